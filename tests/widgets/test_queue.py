"""The `queue` widget's compute and render: counts, oldest against the SLA, breaches in order,
the time to acknowledge today against the same hours a week ago (across DST), and a queue that
is not known now shown as unknown, never as zero."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from socwall.widgets import queue
from socwall.widgets.context import PanelContext, View

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
CONTEXT = PanelContext(now=NOW, tz=BERLIN, source_id="q")


def item(ident: str, severity: str, minutes: int, state: str = "waiting") -> dict:
    return {"id": ident, "title": f"alert {ident}", "severity": severity, "state": state,
            "created": (NOW - timedelta(minutes=minutes)).isoformat(), "acked_at": None}


def inputs(items: list[dict], status: str = "ok", fetched: datetime = NOW, acks=(), week=()):
    snapshot = {"fetched_at": fetched.isoformat(), "items": {i["id"]: i for i in items},
                "total": None, "read": len(items)}  # fmt: skip
    return queue.QueueInputs({"status": status, "error": "cannot reach thehive:9000: timed out"},
                             snapshot, list(acks), list(week), timedelta(minutes=1))  # fmt: skip


def test_counts_oldest_and_breaches_by_severity_then_overshoot():
    items = [item("a", "critical", 14), item("b", "critical", 50), item("c", "high", 90),
             item("d", "high", 30), item("e", "medium", 300, "acknowledged"),
             item("f", "unknown", 999), item("g", "low", 10)]  # fmt: skip
    payload = queue.compute(inputs(items), queue.Options(), CONTEXT)
    levels = {lv["severity"]: lv for lv in payload["levels"]}
    assert list(levels) == ["critical", "high", "medium", "low", "unknown"]
    assert (levels["critical"]["waiting"], levels["critical"]["oldest"]) == (2, 50)
    assert levels["critical"]["breach"] and levels["high"]["breach"]
    assert (levels["medium"]["waiting"], levels["medium"]["acknowledged"]) == (0, 1)
    assert levels["unknown"]["sla"] is None and not levels["unknown"]["breach"]
    assert [b["id"] for b in payload["breaches"]] == ["b", "c"]  # a: 14 min is inside 15 min
    assert [f["text"] for f in payload["facts"]] == [
        "critical waiting 50 min (SLA 15 min): alert b",
        "high waiting 1 h 30 min (SLA 1 h): alert c"]
    assert payload["waiting"] == 6 and payload["highlight"]


def test_mean_time_to_acknowledge_today_and_the_same_hours_a_week_ago_across_dst():
    now = datetime(2026, 3, 31, 9, 0, tzinfo=UTC)  # 11:00 CEST; a week before it was CET
    (today, week) = queue.today_windows(now, BERLIN)
    assert today[0] == datetime(2026, 3, 30, 22, 0, tzinfo=UTC)  # local midnight, CEST
    assert week[0] == datetime(2026, 3, 23, 23, 0, tzinfo=UTC)  # local midnight, CET
    assert week[1] == datetime(2026, 3, 24, 10, 0, 1, tzinfo=UTC)  # 11:00 CET, included
    acks = [{"tta_s": 300}, {"tta_s": 900}]
    payload = queue.compute(inputs([], acks=acks, week=[{"tta_s": 1800}]), queue.Options(),
                            PanelContext(now=NOW, tz=BERLIN, source_id="q"))  # fmt: skip
    assert payload["mtta"] == {"today": 10.0, "today_n": 2, "week_ago": 30.0, "week_ago_n": 1}


def test_a_failed_or_stale_queue_is_unknown_with_the_last_count_said_as_such():
    items = [item("a", "high", 5)]
    failed = queue.compute(inputs(items, status="error"), queue.Options(), CONTEXT)
    assert not failed["known"] and failed["problem"] == "cannot reach thehive:9000: timed out"
    (fact,) = failed["facts"]
    assert fact == {"kind": "queue-unknown", "severity": "alarm", "row": "queue",
                    "at": NOW.isoformat(), "text": "alert queue unknown: cannot reach "
                    "thehive:9000: timed out; last known 1 waiting at 11:00"}  # fmt: skip
    stale = queue.compute(inputs(items, fetched=NOW - timedelta(minutes=4)), queue.Options(),
                          CONTEXT)  # fmt: skip
    assert stale["problem"] == "the queue was last read 4 min ago"
    never = queue.compute(queue.QueueInputs({}, None, [], [], timedelta(minutes=1)),
                          queue.Options(), CONTEXT)  # fmt: skip
    assert never["problem"] == "the queue has not been read yet" and never["as_of"] is None


def test_render_shows_unknown_in_words_and_never_a_zero():
    payload = queue.compute(inputs([], status="error"), queue.Options(), CONTEXT)
    text = str(queue.render(payload, queue.Options(), View()).to_plotly_json())
    assert "Queue unknown" in text and "cannot reach thehive:9000" in text
    assert "last known at 11:00: 0 waiting" in text  # said as the last known, not as now
    known = queue.compute(inputs([item("b", "critical", 50)]), queue.Options(), CONTEXT)
    text = str(queue.render(known, queue.Options(), View()).to_plotly_json())
    assert "oldest 50 min" in text and "SLA 15 min" in text and "alert b" in text
