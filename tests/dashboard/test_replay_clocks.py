# ruff: noqa: E501 - log lines in their real one-line formats
"""A year-less syslog replayed at several `--now`: its year comes from the file (its
modification time, or `year`), never from the wall clock, and each source runs on its own
clock, so the same file gives the same counts and its panels show them whatever --now is."""

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from socwall.dashboard.clock import make_clock
from socwall.dashboard.config import parse_config
from socwall.dashboard.jobs import run_all_once
from socwall.dashboard.store import Store

WRITTEN = datetime(2005, 7, 28, 3, 0, tzinfo=UTC)  # the archive's last write
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "auth" / "loghub_Linux_2k.log"


def archive(folder: Path) -> list[str]:
    """Ten days of sshd failures in July 2005, without a year, as syslog writes them."""
    lines, at = [], WRITTEN - timedelta(days=10)
    for n in range(600):
        lines.append(f"{at:%b %d %H:%M:%S} combo sshd[{n}]: Failed password for root from 203.0.113.{n % 9} port {n} ssh2\n")
        at += timedelta(minutes=23)
    path = folder / "messages"
    path.write_text("".join(lines))
    os.utime(path, (WRITTEN.timestamp(), WRITTEN.timestamp()))
    return lines


def plain_failures(lines: list[str], year: int, start: datetime, end: datetime) -> int:
    count = 0
    for line in lines:
        at = datetime.strptime(f"{year} {line[:15]}", "%Y %b %d %H:%M:%S").replace(tzinfo=UTC)
        count += "Failed password" in line and start <= at < end
    return count


def config_for(folder: Path, redis_url: str, prefix: str, **auth):
    return parse_config({
        "store": {"url": redis_url, "prefix": prefix},
        "sources": {"old": {"type": "auth", "path": str(folder / "messages"), **auth}},
        "pages": [{"id": "p", "title": "P", "panels": [
            {"id": "day", "widget": "metric_compare", "title": "failed", "source": "old", "at": [1, 1],
             "options": {"metric": "failed_logins", "window": "24h", "current": "24h"}}]}]})  # fmt: skip


@pytest.mark.parametrize("now", ["latest", "2005-07-28T00:00:00Z", "2026-12-01T00:00:00Z"])
def test_a_yearless_syslog_replayed_at_any_now_counts_the_same(now, tmp_path, store, redis_url, prefix):
    lines = archive(tmp_path)
    config = config_for(tmp_path, redis_url, prefix)
    run_all_once(config, store, make_clock(config, now, store, frozen=True), catch_up=True)
    status = store.source_status("old")
    assert (status["status"], status["newest"]) == ("ok", "2005-07-27T16:37:00+00:00")  # the last line
    newest = datetime.fromisoformat(status["newest"])
    clock = datetime(2005, 7, 28, tzinfo=UTC) if now.startswith("2005") else newest  # an archive runs on its own time
    assert status["clock"] == clock.isoformat()
    end = clock.replace(minute=clock.minute // 5 * 5, second=0, microsecond=0)
    data = store.panel_data("day")
    assert data["current"] == plain_failures(lines, 2005, end - timedelta(hours=24), end) > 40
    span = [(datetime(2005, 7, 1, tzinfo=UTC), datetime(2005, 8, 1, tzinfo=UTC))]
    assert store.metric_series("old", "failed_logins", span).sum() == 600  # nothing dropped


def test_year_beats_the_modification_time(tmp_path, store, redis_url, prefix):
    lines = archive(tmp_path)
    os.utime(tmp_path / "messages")  # copied without -p: the file looks written now
    config = config_for(tmp_path, redis_url, prefix, year=2005)
    run_all_once(config, store, make_clock(config, "latest", store, frozen=True))
    assert store.source_status("old")["newest"] == "2005-07-27T16:37:00+00:00"
    span = [(datetime(2005, 7, 1, tzinfo=UTC), datetime(2005, 8, 1, tzinfo=UTC))]
    assert store.metric_series("old", "failed_logins", span).sum() == len(lines)


@pytest.mark.skipif(not SHARED.is_dir() and not SHARED.exists(), reason="../shared/data is not beside the repo")
def test_real_2005_messages_replayed_latest_show_their_failures(tmp_path, redis_url, prefix):
    """loghub's Linux_2k (June-July 2005, no year) with `year: 2005`: at --now latest the
    panel shows the failures of its last day, as a regular expression counts them."""
    import redis

    text = SHARED.read_text(errors="replace")
    (tmp_path / "messages").write_text(text)
    store = Store(redis.Redis.from_url(redis_url, decode_responses=True), prefix)
    config = config_for(tmp_path, redis_url, prefix, year=2005)
    run_all_once(config, store, make_clock(config, "latest", store, frozen=True))
    newest = datetime.fromisoformat(store.source_status("old")["newest"])
    end = newest.replace(minute=newest.minute // 5 * 5, second=0, microsecond=0)
    expected = 0
    for line in text.splitlines():
        if re.search(r"(\(pam_unix\)\[\d+\]: authentication failure|klogind\[\d+\]: Authentication failed)", line):
            at = datetime.strptime(f"2005 {line[:15]}", "%Y %b %d %H:%M:%S").replace(tzinfo=UTC)
            expected += end - timedelta(hours=24) <= at < end
    assert store.panel_data("day")["current"] == expected


def test_source_lag_is_measured_against_the_sources_own_clock(tmp_path, store, redis_url, prefix):
    from socwall.dashboard.metrics import prometheus_text

    archive(tmp_path)
    config = config_for(tmp_path, redis_url, prefix)
    run_all_once(config, store, make_clock(config, "2026-12-01T00:00:00Z", store, frozen=True))
    text = prometheus_text(config, store, datetime(2026, 12, 1, tzinfo=UTC))
    assert 'socwall_source_lag_seconds{source="old"} 0.0' in text.splitlines()  # not 676,000,000 s
