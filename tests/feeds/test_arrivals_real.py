"""Arrivals per file on the real Zeek conn logs in ../shared/data (when it is there): what the
job runner records for each file equals awk's count of its records, and a file that stops
growing among others is its own silent row."""

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from socwall.dashboard.config import parse_config
from socwall.dashboard.jobs import run_panel, run_source
from socwall.feeds import arrivals
from tests.tick import Tick

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not beside the repo")
LOGS = ["conn_sample.log", "conn_trickbot_2018-11.log", "conn_malspam_2016-12.log"]



def awk_records(path: Path) -> int:
    """Data lines of a Zeek TSV log, counted by awk (not socwall's reader)."""
    out = subprocess.run(["awk", "!/^#/ && NF {n++} END {print n}", str(path)],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    return int(out)


def test_each_real_zeek_file_arrives_as_awk_counts_it(store, redis_url, prefix, tmp_path):
    folder = tmp_path / "zeek"
    folder.mkdir()
    raw = {"timezone": "UTC", "store": {"url": redis_url, "prefix": prefix},
           "sources": {"zeek": {"type": "flows", "path": str(folder / "*" / "conn*.log"),
                                "format": "zeek", "eof_after": "1s"}},
           "pages": [{"id": "p", "title": "P", "grid": {"columns": 1, "rows": 1}, "panels": [
               {"id": "sensors", "widget": "sensors", "title": "S", "at": [1, 1]}]}]}  # fmt: skip
    config = parse_config(raw)
    now = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    run_source(config, "zeek", store, Tick(now))  # the first read: nothing yet
    for n, name in enumerate(LOGS):  # one sensor per folder, as Zeek clusters write them
        (folder / f"sensor-{n}").mkdir()
        shutil.copy(SHARED / "zeek" / name, folder / f"sensor-{n}" / "conn.log")
    status = run_source(config, "zeek", store, Tick(now + timedelta(minutes=1)))
    expected = {f"sensor-{n}/conn.log": awk_records(SHARED / "zeek" / name)
                for n, name in enumerate(LOGS)}  # fmt: skip
    bucket = [(now, now + timedelta(minutes=5))]
    got = {part: store.metric_series("zeek:arrivals", arrivals.part_metric(part), bucket).sum()
           for part in expected}  # fmt: skip
    assert got == expected  # 92, 13,001 and 1,156 records
    assert store.metric_series("zeek:arrivals", "rows", bucket).sum() == sum(expected.values())
    assert status["rows"] + status["bad_rows"] == sum(expected.values())

    later = now + timedelta(minutes=30)  # sensor-1 and sensor-2 go on, sensor-0 stops
    for n in (1, 2):
        with open(folder / f"sensor-{n}" / "conn.log", "a") as handle:
            records = [line for line in (SHARED / "zeek" / LOGS[n]).read_text().splitlines()
                       if line and not line.startswith("#")]  # fmt: skip
            handle.write(records[-1] + "\n")
    run_source(config, "zeek", store, Tick(later))
    run_panel(config, config.panels()[0], store, Tick(later))
    rows = {r["id"]: r for r in store.panel_data("sensors")["rows"]}
    assert rows["zeek/sensor-0/conn.log"]["words"] == (
        "sensor-0/conn.log (zeek): 0 flows in 29 min; 23 per 15 min in the hour before (no "
        "week-ago "
        "history yet)")  # its 92 records, a quarter of them per 15 min
    assert rows["zeek/sensor-1/conn.log"]["state"] == "back"
    assert [f["row"] for f in store.panel_data("sensors")["facts"]] == ["zeek/sensor-0/conn.log"]
