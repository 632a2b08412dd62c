"""The demo's Sensors page data: the generators append what one batch would write, the collector
stays silent, the stats files are real formats, and the queue file reads through the demo
config's own field mapping with its one SLA breach."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import yaml

from socwall.dashboard.config import parse_config
from socwall.dashboard.demo.queue import thehive_alerts
from socwall.dashboard.demo.sensors import DROPPING, DemoCollector, DemoSensorStats, kept
from socwall.feeds.queue_http import parse_items
from socwall.feeds.sensor_stats_parse import detect, intervals, parse

ROOT = Path(__file__).resolve().parents[2]
BERLIN = ZoneInfo("Europe/Berlin")
ANCHOR = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)


def test_stats_appended_live_equal_one_batch_and_zeek_dmz_drops_for_the_last_hour(tmp_path):
    batch = DemoSensorStats(tmp_path / "batch", BERLIN, 7, ANCHOR)
    batch.write_until(ANCHOR + timedelta(minutes=30))
    live = DemoSensorStats(tmp_path / "live", BERLIN, 7, ANCHOR)
    for minutes in (0, 7, 12, 30):
        live.write_until(ANCHOR + timedelta(minutes=minutes))
    for name in ("zeek/stats.log", "suricata/eve.json"):
        assert (tmp_path / "batch" / name).read_bytes() == (tmp_path / "live" / name).read_bytes()
    zeek = (tmp_path / "batch" / "zeek" / "stats.log").read_bytes()
    eve = (tmp_path / "batch" / "suricata" / "eve.json").read_bytes()
    assert (detect(zeek[:1024]), detect(eve[:1024])) == ("zeek", "suricata")
    samples = parse(zeek, "zeek").samples
    hour = ANCHOR - timedelta(hours=1)

    def share(sensor: str, recent: bool) -> float:
        chosen = [s for s in samples if s.sensor == sensor and (s.ts >= hour) == recent]
        return sum(s.dropped for s in chosen) / sum(s.packets for s in chosen)

    assert share(DROPPING, True) > 0.04 and share(DROPPING, False) < 0.002
    assert share("zeek-core", True) < 0.001
    found, _ = intervals(parse(eve, "suricata").samples, {}, lambda s: s.sensor)
    assert found and all(0 <= d / p < 0.001 for _, _, p, d in found)


def test_the_collector_stops_forty_minutes_before_the_start_and_never_writes_again(tmp_path):
    collector = DemoCollector(tmp_path, BERLIN, 7, ANCHOR)
    assert collector.write_until(ANCHOR) > 1000
    text = (tmp_path / "dmz-fw.csv").read_text().splitlines()
    assert text[0] == "ts,action" and text[-1] < f"{ANCHOR - timedelta(minutes=40):%Y-%m-%dT%H:%M}"
    assert collector.write_until(ANCHOR + timedelta(hours=1)) == 0


def test_history_is_the_last_eight_days_and_this_time_in_past_weeks():
    starts = (ANCHOR - timedelta(days=36)).timestamp() + 300 * np.arange(10368)
    days = {datetime.fromtimestamp(s, UTC).date() for s in kept(starts, ANCHOR)}
    assert {(ANCHOR - timedelta(days=n)).date() for n in (7, 14, 21, 28)} <= days
    assert (ANCHOR - timedelta(days=10)).date() not in days


def test_the_queue_file_reads_through_the_demo_configs_mapping_with_one_breach():
    demo = yaml.safe_load((ROOT / "config.yaml").read_text())
    config = parse_config(demo).sources["alert_queue"]
    items, total = parse_items(thehive_alerts(ANCHOR), config, ANCHOR)
    assert total is None and len(items) == 9
    waiting = {i.severity: [] for i in items}
    for i in items:
        waiting[i.severity].append((ANCHOR - i.created).total_seconds() / 60 if
                                   i.state == "waiting" else None)  # fmt: skip
    assert waiting["critical"] == [38.0]  # over its 15 min: the one breach
    assert max(w for w in waiting["high"] if w is not None) < 60
    assert max(w for w in waiting["medium"] if w is not None) < 240
