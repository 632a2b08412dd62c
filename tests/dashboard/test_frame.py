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


def test_explained_and_notice_are_their_own_classes_with_their_reason():
    explained = frame_state(meta(5, state="explained", highlight=False,
                                 reasons=["explained by CHG-1042"]), NOW, 3, BERLIN)  # fmt: skip
    assert explained.css_class == "panel fresh explained"
    assert explained.verdict_text == "explained by CHG-1042"
    notice = frame_state(meta(5, state="notice", reasons=["a", "b", "c"]), NOW, 3, BERLIN)
    assert (notice.css_class, notice.verdict_text) == ("panel fresh notice", "a · b")
    alarm = frame_state(meta(5, state="alarm", reasons=["950 above normal"]), NOW, 3, BERLIN)
    assert (alarm.css_class, alarm.verdict_text) == ("panel fresh alert", "")  # the body says


def test_a_blind_source_is_said_in_words_and_claims_no_age():
    blind = {"status": "blind", "error": "no file matches /var/log/auth.log*", "warnings": [],
             "last_success": (NOW - timedelta(minutes=1)).isoformat()}  # fmt: skip
    state = frame_state(meta(5, source=blind), NOW, 3, BERLIN)
    assert state.problem == "no file matches /var/log/auth.log*"
    assert state.age_text == "no data"  # it ran, but never read a record
    assert state.stale and state.status_text == ""
    worded = frame_state(meta(5, source={"status": "blind"}), NOW, 3, BERLIN)
    assert worded.problem == "the source ran but recognised nothing it read"


def test_a_failed_source_that_had_data_says_when_it_last_read():
    failed = {"status": "error", "error": "cannot connect to db.example:5432: connection refused",
              "last_success": (NOW - timedelta(hours=2)).isoformat(),
              "newest": NOW.isoformat()}  # fmt: skip
    state = frame_state(meta(5, source=failed), NOW, 3, BERLIN)
    assert state.problem.startswith("cannot connect to db.example:5432")
    assert state.age_text == "last read 11:00 · 2 h ago"
    first = {"status": "ok", "source": {**failed, "last_success": None}}  # never computed
    never = frame_state(first, NOW, 3, BERLIN)
    assert never.age_text == "no data yet" and never.problem and never.stale
