"""drop_long_lines: its shortcut (an aligned stride of half the limit without a newline must
exist for a line to be too long) never keeps a line the plain count would drop, with lines of
every length around the limit."""

import mmap

from hypothesis import given, settings
from hypothesis import strategies as st

from socwall.feeds.follow import drop_long_lines


def plainly(data: bytes, limit: int) -> tuple[bytes, int, int]:
    """Line by line: the answer the shortcut must give (kept, dropped, longest dropped)."""
    lines = data.splitlines(keepends=True)
    kept = [line for line in lines if len(line) <= limit]
    dropped = [len(line) for line in lines if len(line) > limit]
    return b"".join(kept), len(dropped), max(dropped, default=0)


@settings(max_examples=300, deadline=None)
@given(lengths=st.lists(st.integers(1, 40), min_size=1, max_size=30),
       limit=st.integers(2, 24), ends_open=st.booleans())  # fmt: skip
def test_same_lines_as_a_plain_count(lengths, limit, ends_open):
    data = b"".join(b"x" * (n - 1) + b"\n" for n in lengths)
    data = data[:-1] if ends_open else data
    kept, dropped, longest = drop_long_lines(data, limit)
    assert (bytes(kept), dropped, longest) == plainly(data, limit)


def test_a_memory_mapped_read_of_short_lines_is_kept_whole(tmp_path):
    path = tmp_path / "flows.csv"
    path.write_bytes(b"a,b,c\n" * 200_000)
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as m:
        kept, dropped, longest = drop_long_lines(m, 64)
        assert dropped == longest == 0 and len(kept) == len(m)
        del kept  # the view must be released before the map closes
