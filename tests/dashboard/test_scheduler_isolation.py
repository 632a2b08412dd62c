"""Eight query sources at a server that accepts and never answers do not starve a healthy
source or its panel: the real scheduler runs them side by side for a while, and the healthy
source and panel stay fresh the whole time."""

import time
from datetime import UTC, datetime

from socwall.dashboard.clock import Clock
from socwall.dashboard.config import parse_config
from socwall.dashboard.scheduler import create_scheduler
from tests.conftest import events_config
from tests.dashboard.test_jobs import write_events
from tests.feeds.test_query_honest import SilentServer

WATCH_S = 10.0  # the hanging sources block about 6 s per attempt


def test_hanging_sources_hold_no_thread_a_healthy_source_needs(tmp_path, store, redis_url, prefix):
    silent = SilentServer()
    data = tmp_path / "events"
    data.mkdir()
    write_events(data, [5, 30])
    raw = events_config(data, redis_url, prefix)
    for n in range(8):
        raw["sources"][f"lake{n}"] = {
            "type": "query", "engine": "postgres", "kind": "flows", "table": "t",
            "url": f"postgres://socwall@127.0.0.1:{silent.port}/db", "time_column": "ts",
            "columns": {"src_ip": "a", "dst_ip": "b"}, "timeout": "6s",
            "refresh": "1s"}  # fmt: skip
    config = parse_config(raw)
    scheduler = create_scheduler(config, store, Clock(), "w1", lambda: True)
    scheduler.start()
    seen_sources, seen_panels, started = [], [], time.monotonic()
    try:
        while time.monotonic() - started < WATCH_S:
            status = store.source_status("events") or {}
            meta = store.panel_meta("failed") or {}
            seen_sources.append((time.monotonic(), status.get("last_success")))
            seen_panels.append((time.monotonic(), meta.get("computed_at")))
            time.sleep(0.1)
        hanging = [store.source_status(f"lake{n}") or {} for n in range(8)]
    finally:
        scheduler.shutdown(wait=False)
        silent.close()
    assert all(h.get("status") == "error" and "cannot connect" in h["error"] for h in hanging)
    for seen in (seen_sources, seen_panels):
        assert longest_unchanged(seen) < 3.0, seen[-1]


def longest_unchanged(samples: list[tuple[float, str | None]]) -> float:
    """The longest time (s) a stamp stayed the same, from its first appearance on."""
    longest, since, last = 0.0, None, None
    for at, stamp in samples:
        if stamp is None:
            continue
        if stamp != last:
            since, last = at, stamp
        longest = max(longest, at - since)
    assert last is not None and datetime.fromisoformat(last) <= datetime.now(UTC)
    return longest
