"""The shared panel frame: age text, stale after missed refreshes or failures, alert."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from socwall.dashboard.frame import frame_state

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def meta(age_s: float, **extra) -> dict:
    computed = (NOW - timedelta(seconds=age_s)).isoformat()
    return {"status": "ok", "computed_at": computed, "refresh_s": 60, **extra}


def test_fresh_panel_shows_local_time_and_age():
    state = frame_state(meta(75), NOW, 3, BERLIN)
    assert state.css_class == "panel fresh" and not state.stale
    assert state.age_text == "12:58 · 75 s ago"
    assert state.status_text == ""


def test_stale_after_three_missed_refreshes_not_before():
    assert not frame_state(meta(180), NOW, 3, BERLIN).stale
    late = frame_state(meta(181), NOW, 3, BERLIN)
    assert late.stale and late.css_class == "panel stale"
    assert late.status_text == "no refresh for 3 intervals"


def test_failed_job_and_failed_source_make_it_stale_with_reasons():
    state = frame_state(
        meta(
            5,
            status="error",
            error="ValueError: x",
            source={"status": "error", "error": "OSError: gone"},
        ),
        NOW,
        3,
        BERLIN,
    )
    assert state.stale
    assert state.status_text == "job failed: ValueError: x"  # the source's words go large
    assert state.problem == "OSError: gone" and state.age_text == "no data"


def test_skipped_rows_are_mentioned_without_turning_stale():
    state = frame_state(meta(5, source={"status": "ok", "bad_rows": 1234}), NOW, 3, BERLIN)
    assert state.stale is False  # the data is fresh; the frame still says what was skipped
    assert state.status_text == "1,234 unreadable rows skipped"


def test_source_warnings_are_shown():
    source = {"status": "ok", "bad_rows": 1, "warnings": ["conn.log.gz: truncated gzip"]}
    state = frame_state(meta(5, source=source), NOW, 3, BERLIN)
    assert state.status_text == "1 unreadable rows skipped · conn.log.gz: truncated gzip"


def test_alert_class_when_the_payload_is_highlighted():
    assert frame_state(meta(5, highlight=True), NOW, 3, BERLIN).css_class == "panel fresh alert"


def test_waiting_and_never_succeeded():
    assert frame_state(None, NOW, 3, BERLIN).css_class == "panel waiting"
    failed = frame_state({"status": "error", "error": "boom"}, NOW, 3, BERLIN)
    assert failed.stale and failed.status_text == "job failed: boom"
