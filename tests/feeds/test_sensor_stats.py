"""The `sensor_stats` source on real Zeek stats.log and Suricata eve.json stats events (see
tests/data/sensor_stats/README.md), checked against awk; drops, restarts and re-reads on
files written here in the same shapes; a real Redis throughout."""

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from socwall.dashboard.config import parse_config
from socwall.dashboard.jobs import run_panel, run_source
from socwall.feeds.sensor_stats_parse import Sample, detect, intervals, parse
from tests.tick import Tick

DATA = Path(__file__).resolve().parents[1] / "data" / "sensor_stats"
ZEEK_TSV, ZEEK_JSON = DATA / "zeek_stats_wrccdc2018.log", DATA / "zeek_stats_wrccdc2018.json"
SURI_DELTAS = DATA / "suricata_eve_stats_deltas_telegraf.json"
SURI_V2 = DATA / "suricata_eve_stats_v2_telegraf.json"


def awk(program: str, path: Path) -> list[str]:
    """An independent reading of a file: awk, not socwall's parser."""
    return subprocess.run(["awk", "-F", "\t", program, str(path)], capture_output=True,
                          text=True, check=True).stdout.split()  # fmt: skip


def test_real_zeek_stats_log_tsv_and_json_agree_with_awk():
    records, processed = awk('!/^#/ && NF {n++; s += $4} END {print n, s}', ZEEK_TSV)
    for path in (ZEEK_TSV, ZEEK_JSON):
        data = path.read_bytes()
        assert detect(data[:1024]) == "zeek"
        parsed = parse(data, "zeek")
        assert (len(parsed.samples), parsed.bad) == (int(records), 0)
        assert sum(s.packets for s in parsed.samples) == float(processed) == 25_433_131
        assert all(s.dropped is None for s in parsed.samples)  # read from pcaps: not reported
        assert {s.sensor for s in parsed.samples} == {"zeek"}
    first = parse(ZEEK_TSV.read_bytes(), "zeek").samples[0]
    assert first.ts == datetime(2018, 3, 24, 17, 15, 20, 600725, tzinfo=UTC)


def test_real_suricata_stats_events_with_and_without_deltas():
    deltas = parse(SURI_DELTAS.read_bytes(), "suricata")
    assert detect(SURI_DELTAS.read_bytes()[:1024]) == "suricata"
    assert deltas.samples == [Sample(datetime(2019, 8, 8, 14, 26, 33, 244, tzinfo=UTC), None,
                                     74.0, 0.0, uptime=15.0)]  # fmt: skip
    v2 = parse(SURI_V2.read_bytes(), "suricata")
    (sample,) = v2.samples
    assert (sample.packets, sample.dropped, sample.cumulative, sample.uptime) == (
        522.0, 0.0, True, 160.0)


def eve_stats(at: datetime, packets: int, drops: int, uptime: int, host="suri-dmz") -> str:
    """A Suricata stats event in eve.json's shape (cumulative counters, as by default)."""
    return json.dumps({"timestamp": at.strftime("%Y-%m-%dT%H:%M:%S.%f+0000"),
                       "event_type": "stats", "host": host,
                       "stats": {"uptime": uptime, "capture": {"kernel_packets": packets,
                                 "kernel_drops": drops, "errors": 0}}})  # fmt: skip


def test_cumulative_counters_become_intervals_across_reads_and_restarts():
    t0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    lines = [eve_stats(t0 + timedelta(seconds=8 * n), 1000 * n, 10 * n, 8 * n) for n in range(4)]
    first = parse("\n".join(lines[:2]).encode(), "suricata")
    found, last = intervals(first.samples, {}, lambda s: s.sensor)
    assert found == [("suri-dmz", t0 + timedelta(seconds=8), 1000.0, 10.0)]
    second = parse("\n".join(lines[2:]).encode(), "suricata")
    found, last = intervals(second.samples, last, lambda s: s.sensor)
    assert [(p, d) for _, _, p, d in found] == [(1000.0, 10.0), (1000.0, 10.0)]
    again, _ = intervals(second.samples, last, lambda s: s.sensor)
    assert again == []  # read again (a commit that failed): nothing counted twice
    restart = parse(eve_stats(t0 + timedelta(seconds=40), 300, 5, 4).encode(), "suricata")
    found, _ = intervals(restart.samples, last, lambda s: s.sensor)
    assert [(p, d) for _, _, p, d in found] == [(300.0, 5.0)]  # since the restart


def stats_wall(data_dir: Path, redis_url: str, prefix: str) -> dict:
    return {"timezone": "UTC", "store": {"url": redis_url, "prefix": prefix},
            "sources": {"sensors": {"type": "sensor_stats", "path": str(data_dir / "*"),
                                    "eof_after": "1s"}},
            "pages": [{"id": "p", "title": "P", "grid": {"columns": 1, "rows": 1}, "panels": [
                {"id": "health", "widget": "sensors", "title": "Sensors", "at": [1, 1],
                 "options": {"quiet": "15m", "drop_alarm": 1.0}}]}]}  # fmt: skip



@pytest.fixture
def stats_dir(tmp_path) -> Path:
    folder = tmp_path / "stats"
    folder.mkdir()
    return folder


def test_real_zeek_stats_stored_per_bucket_and_shown_as_drops_not_reported(
        store, redis_url, prefix, stats_dir):  # fmt: skip
    shutil.copy(ZEEK_TSV, stats_dir / "stats.log")
    config = parse_config(stats_wall(stats_dir, redis_url, prefix))
    clock = Tick(datetime(2018, 3, 24, 17, 40, tzinfo=UTC))
    status = run_source(config, "sensors", store, clock)
    assert (status["status"], status["rows"], status["bad_rows"]) == ("ok", 6, 0)
    stored = store.metric_series("sensors", "packets@stats.log", [(clock.at - timedelta(hours=1),
                                                                   clock.at)])  # fmt: skip
    buckets = awk('!/^#/ && NF {b = int($1 / 300) * 300; s[b] += $4} END {for (k in s) '
                  'print k, s[k]}', ZEEK_TSV)  # fmt: skip
    expected = {int(k): float(v) for k, v in zip(buckets[::2], buckets[1::2], strict=True)}
    assert {int(t.timestamp()): v for t, v in stored.items()} == expected
    assert store.metric_series("sensors", "dropped@stats.log", [(clock.at - timedelta(hours=1),
                                                                  clock.at)]).empty  # fmt: skip
    run_panel(config, config.panels()[0], store, clock)
    rows = {r["id"]: r for r in store.panel_data("health")["rows"]}
    assert rows["sensors/stats.log"]["words"] == "drops not reported (read from a capture file?)"
    assert rows["sensors/stats.log"]["level"] == "calm"


def test_a_sensor_dropping_packets_is_an_alarm_with_its_share(store, redis_url, prefix,
                                                              stats_dir):  # fmt: skip
    now = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    lines, packets, drops = [], 0, 0
    for n in range(int(timedelta(minutes=40) / timedelta(seconds=8))):
        at = now - timedelta(minutes=40) + timedelta(seconds=8 * n)
        packets += 10_000
        drops += 420 if at >= now - timedelta(minutes=15) else 0  # 4.2 % in the last 15 min
        lines.append(eve_stats(at, packets, drops, 8 * n))
        lines.append(eve_stats(at, 5_000 * n, 0, 8 * n, host="suri-core"))
        lines.append(json.dumps({"timestamp": at.isoformat(), "event_type": "alert"}))
    (stats_dir / "eve.json").write_text("\n".join(lines) + "\n")
    config = parse_config(stats_wall(stats_dir, redis_url, prefix))
    clock = Tick(now + timedelta(seconds=10))
    assert run_source(config, "sensors", store, clock)["rows"] == 2 * 300
    run_panel(config, config.panels()[0], store, clock)
    payload = store.panel_data("health")
    rows = {r["id"]: r for r in payload["rows"]}
    dmz, core = rows["sensors/suri-dmz"], rows["sensors/suri-core"]
    assert dmz["state"] == "drops" and dmz["level"] == "alarm"
    assert dmz["words"] == "suri-dmz: 4.2 % of packets dropped in 15 min (47k of 1.1M)"
    assert core["state"] == "ok" and core["drop_pct"] == 0
    assert [f["row"] for f in payload["facts"]] == ["sensors/suri-dmz"]
