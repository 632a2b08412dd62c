"""/metrics on a real week of Zeek conn.log (../shared/data, when it is there): the counters
equal a plain count of the file, and the lag is measured on the replay's clock, not today's."""

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from socwall.dashboard.clock import Clock
from socwall.dashboard.config import parse_config
from socwall.dashboard.jobs import run_source
from tests.dashboard.test_metrics import scrape

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not beside the repo")


def test_real_conn_log_counts_and_lag_on_the_replay_clock(tmp_path, store, redis_url, prefix):
    original = SHARED / "zeek" / "conn_trickbot_2018-11.log"
    shutil.copy(original, tmp_path / "conn.log")
    lines = original.read_text().splitlines()
    rows = [line for line in lines if not line.startswith("#")]  # an independent count
    newest = max(float(line.split("\t")[0]) for line in rows)
    raw = {"store": {"url": redis_url, "prefix": prefix},
           "sources": {"net": {"type": "flows", "path": str(tmp_path / "conn.log"),
                               "format": "zeek"}},
           "pages": [{"id": "p", "title": "P", "panels": [
               {"id": "t", "widget": "top_talkers", "title": "T", "source": "net",
                "at": [1, 1]}]}]}  # fmt: skip
    config = parse_config(raw)
    replay = datetime.fromtimestamp(newest, UTC) + timedelta(minutes=10)
    assert run_source(config, "net", store, Clock(replay, frozen=True))["status"] == "ok"
    got = scrape(config, store)
    read = got['socwall_source_records_read_total{source="net"}']
    unreadable = got['socwall_source_records_unreadable_total{source="net"}']
    assert read + unreadable == len(rows) == 13001
    assert got['socwall_source_bytes_read_total{source="net"}'] == original.stat().st_size
    # 2018 seen from today would lag by years; on the replay's clock it is the 10 minutes
    assert abs(got['socwall_source_lag_seconds{source="net"}'] - 600) < 1
