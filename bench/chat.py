"""What chat costs: the Jetstream filter per event, IRC line reading, subjects per message.

Each part prints its rate and a ratio against a baseline measured in the same run:
- Jetstream: `post_message` (JSON decode + filter) against `json.loads` alone, over events in
  the recorded shape of which 1 in 100 names a CVE;
- IRC: socwall's bounded, per-line-decoding buffer against jaraco's LenientDecodingLineBuffer;
- subjects: `chat_subjects.mentions` (the news feeds' finder) against a bare CVE regex count,
  over the 15,773 real ransomware leak posts of ../shared/data when it is there.

    .venv/bin/python bench/chat.py
"""

import json
import time
from datetime import UTC, datetime
from pathlib import Path

from jaraco.stream.buffer import LenientDecodingLineBuffer

from socwall.feeds.chat_bluesky import BlueskyConfig, PostFilter, post_message
from socwall.feeds.chat_irc_lines import BoundedLines
from socwall.feeds.chat_subjects import cve_sightings, mentions
from socwall.feeds.subjects import build_finder

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def best(run, repeat: int = 5) -> float:
    """The fastest of `repeat` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def jetstream(count: int = 200_000) -> None:
    recorded = json.loads((ROOT / "tests" / "data" / "chat" / "jetstream_v1.jsonl")
                          .read_text().splitlines()[4])  # fmt: skip
    frames = []
    for n in range(count):
        text = f"CVE-2024-{n} seen" if n % 100 == 0 else f"a post about lunch {n}"
        record = {**recorded["commit"]["record"], "text": text}
        event = {**recorded, "time_us": recorded["time_us"] + n,
                 "commit": {**recorded["commit"], "rkey": f"r{n}", "record": record}}
        frames.append(json.dumps(event).encode())
    config = BlueskyConfig(name="j", keywords=["ransomware", "zero-day"])
    keep = PostFilter(config)
    def decode_only():
        for frame in frames:
            json.loads(frame)

    def decode_and_filter():
        for frame in frames:
            post_message(json.loads(frame), config, keep, 1000)

    base, ours = best(decode_only), best(decode_and_filter)
    kept = sum(post_message(json.loads(f), config, keep, 1000) is not None for f in frames)
    print(f"jetstream: {count:,} events, {kept:,} kept: {count / ours:,.0f} events/s "
          f"(json.loads alone {count / base:,.0f}/s); ratio {ours / base:.2f}")


def irc(count: int = 200_000) -> None:
    data = b"".join(b":nick%d!u@h PRIVMSG #soc :line %d about CVE-2024-3400 caf\xc3\xa9\r\n"
                    % (n, n) for n in range(count))  # fmt: skip
    chunks = [data[i : i + 16384] for i in range(0, len(data), 16384)]  # what recv() gives

    def read(buffer_class):
        buffer = buffer_class()
        if isinstance(buffer, BoundedLines):
            buffer.counts = {}
        return sum(sum(1 for _ in buffer.lines()) for chunk in chunks if buffer.feed(chunk) or True)

    assert read(BoundedLines) == read(LenientDecodingLineBuffer) == count
    base, ours = best(lambda: read(LenientDecodingLineBuffer)), best(lambda: read(BoundedLines))
    print(f"irc lines: {count:,}: {count / ours:,.0f} lines/s (jaraco's lenient buffer "
          f"{count / base:,.0f}/s); ratio {ours / base:.2f}")


def subjects() -> None:
    from socwall.feeds import kev
    from socwall.feeds.feed_parse import parse_feed

    path = SHARED / "feeds" / "real" / "ransomwatch_rss_feed_2025-04-17.xml"
    if not path.exists():
        print("subjects: ../shared/data is not there; skipped")
        return
    entries, _ = parse_feed(path.read_bytes(), "rw", None, datetime.now(UTC))
    messages = [{"id": str(n), "author": "a", "time": e["published"],
                 "text": f"{e['title']} {e['summary']}"}
                for n, e in enumerate(entries)]  # fmt: skip
    records, _, _ = kev.parse_catalog((SHARED / "intel" / "kev_2025-01-29.json").read_bytes())
    built = best(lambda: build_finder(records, [], []))
    finder = build_finder(records, [], [])
    base = best(lambda: cve_sightings(messages))
    ours = best(lambda: mentions(messages, finder))
    print(f"subjects: {len(messages):,} real messages: {len(messages) / ours:,.0f} messages/s "
          f"({ours:.2f} s; a CVE regex alone {base:.3f} s, ratio {ours / base:.1f}); "
          f"finder built in {built:.2f} s")


if __name__ == "__main__":
    jetstream()
    irc()
    subjects()
