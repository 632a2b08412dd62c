"""The kernel's duration words, as the wall says them."""

from socwall.durations import duration_words


def test_duration_words():
    assert [duration_words(m) for m in (0, 12, 60, 125, 1500)] == [
        "0 min", "12 min", "1 h 00 min", "2 h 05 min", "1 d 1 h"]  # fmt: skip
