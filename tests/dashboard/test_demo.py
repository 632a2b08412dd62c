"""The demo data generator: deterministic, appendable, seasonal, with its anomalies planted."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from socwall.dashboard.demo.events import DemoData, day_events, planted_anomalies

BERLIN = ZoneInfo("Europe/Berlin")
ANCHOR = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)  # a Wednesday afternoon


def read_all(directory) -> pa.Table:
    return pa.concat_tables(pacsv.read_csv(p) for p in sorted(directory.glob("*.csv")))


def count(table: pa.Table, kind: str, start: datetime, end: datetime) -> int:
    ts, kinds = table.column("ts"), table.column("kind")
    mask = pc.and_(pc.equal(kinds, kind), pc.and_(pc.greater_equal(ts, start), pc.less(ts, end)))
    return pc.sum(mask).as_py()


def test_same_seed_same_rows_and_live_appends_equal_one_batch(tmp_path):
    batch = DemoData(tmp_path / "batch", BERLIN, seed=5, anchor=ANCHOR)
    batch.write_until(ANCHOR + timedelta(hours=2))
    live = DemoData(tmp_path / "live", BERLIN, seed=5, anchor=ANCHOR)
    live.write_until(ANCHOR)
    for minutes in (7, 45, 120):
        live.write_until(ANCHOR + timedelta(minutes=minutes))
    assert read_all(tmp_path / "batch").equals(read_all(tmp_path / "live"))


def test_five_weeks_of_history_with_office_hours_and_quiet_weekends(tmp_path):
    demo = DemoData(tmp_path, BERLIN, seed=5, anchor=ANCHOR)
    demo.write_until(ANCHOR)
    table = read_all(tmp_path)
    ts_type = table.column("ts").type  # written as ISO 8601 with Z: read back as UTC times
    assert pa.types.is_timestamp(ts_type) and ts_type.tz == "UTC"
    oldest = pc.min(table.column("ts")).as_py()
    assert ANCHOR - timedelta(days=28, hours=28) <= oldest < ANCHOR - timedelta(days=29)
    for weeks in range(1, 5):  # today (local) in past weeks, with 2 h either side, is whole
        ago = ANCHOR - timedelta(weeks=weeks)
        start = ago - timedelta(hours=17)  # 23:00 local the day before, to 16:00 + 2 h after
        hours = [start + timedelta(hours=h) for h in range(29)]
        assert all(count(table, "fw_block", h, h + timedelta(hours=1)) > 100 for h in hours)
    gap = ANCHOR - timedelta(days=11)  # between: no panel reads it, so it is not written
    assert count(table, "fw_block", gap - timedelta(hours=12), gap + timedelta(hours=12)) == 0
    tuesday_10 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # 10:00-11:00 in Berlin
    tuesday_03 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    sunday_10 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    hour = timedelta(hours=1)
    office = count(table, "vpn_login", tuesday_10, tuesday_10 + hour)
    assert office > 5 * count(table, "vpn_login", tuesday_03, tuesday_03 + hour)
    assert office > 3 * count(table, "vpn_login", sunday_10, sunday_10 + hour)


def test_brute_force_is_planted_in_the_last_hour(tmp_path):
    demo = DemoData(tmp_path, BERLIN, seed=5, anchor=ANCHOR)
    demo.write_until(ANCHOR)
    table = read_all(tmp_path)
    hour = timedelta(hours=1)
    now = count(table, "failed_login", ANCHOR - hour, ANCHOR)
    week_ago = count(
        table, "failed_login", ANCHOR - timedelta(days=7) - hour, ANCHOR - timedelta(days=7)
    )
    assert now > 2.5 * week_ago
    assert {a.kind for a in planted_anomalies(ANCHOR)} >= {"failed_login", "vpn_login"}


def test_one_traffic_summary_per_minute():
    day = datetime(2026, 11, 24, tzinfo=UTC)
    table = day_events(day, 5, BERLIN, [])
    egress = table.filter(pc.equal(table.column("kind"), "egress"))
    assert egress.num_rows == 1440
    assert pc.min(egress.column("bytes")).as_py() > 0


def test_demo_flows_are_vast_csv_with_a_new_exfiltrating_host(tmp_path):
    from socwall.dashboard.demo.flows import DemoFlows
    from socwall.feeds import flow_readers, flow_rules, flow_sums
    from socwall.widgets.top_talkers import rank

    batch = DemoFlows(tmp_path / "batch" / "flows", BERLIN, seed=5, anchor=ANCHOR)
    batch.write_until(ANCHOR)
    live = DemoFlows(tmp_path / "live" / "flows", BERLIN, seed=5, anchor=ANCHOR)
    live.write_until(ANCHOR - timedelta(minutes=30))
    live.write_until(ANCHOR)
    assert read_all(tmp_path / "batch" / "flows").equals(read_all(tmp_path / "live" / "flows"))
    assert (tmp_path / "batch" / "hosts.csv").read_text().count("hr-files-02") == 1

    data = b"".join(
        p.read_bytes() for p in sorted((tmp_path / "batch" / "flows").glob("*.csv"))[-1:]
    )
    chunk = flow_readers.read_vast_csv(data)
    cleaned, repaired = flow_rules.repair_direction(
        flow_rules.clear_portless(chunk.table), flow_rules.SERVICE_PORTS
    )
    assert chunk.bad_rows == 0 and 0.02 < repaired / cleaned.num_rows < 0.04  # 3 % backwards
    networks = flow_rules.Networks(flow_rules.PRIVATE_NETWORKS, [])
    pairs, _ = flow_sums.boundary_pairs(cleaned, networks, 300)
    frame = pairs.to_pandas()
    hour = int(ANCHOR.timestamp()) - 3600
    now_top = rank(frame[frame["bucket"] >= hour], "bytes")
    before = rank(frame[(frame["bucket"] < hour) & (frame["bucket"] >= hour - 3600)], "bytes")
    assert now_top.iloc[0]["host"] == "10.0.1.66"
    assert "10.0.1.66" not in set(before["host"])


def test_the_planted_login_story_lies_wholly_before_the_anchor_at_any_time_of_day():
    """Whatever the hour the demo (or a test) starts, the brute force, dnovak's hops and the
    name scanner have all happened within the last day: none is cut off as 'in the future'."""
    from socwall.dashboard.demo.auth import _planted

    tz = ZoneInfo("Europe/Berlin")
    midnight = datetime(2026, 11, 29, tzinfo=tz)
    for quarter in range(96):
        anchor = (midnight + timedelta(minutes=15 * quarter)).astimezone(UTC)
        today = anchor.replace(hour=0, minute=0, second=0, microsecond=0)
        lines = _planted(today - timedelta(days=1), anchor, tz) + _planted(today, anchor, tz)
        story = [at for at, _ in lines]
        scanner = [at for at, line in lines if "45.148.10.240" in line]
        assert len(scanner) == 240, anchor
        assert anchor - timedelta(days=1) < min(story) and max(story) < anchor, anchor
