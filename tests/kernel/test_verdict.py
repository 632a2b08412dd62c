"""socwall/verdict.py: facts joined with change windows become alarm, explained, notice or calm."""

from datetime import UTC, datetime, timedelta

import pytest

from socwall import verdict

NOW = datetime(2026, 3, 30, 8, 30, tzinfo=UTC)
MIN = timedelta(minutes=1)


def iso(minutes: float) -> str:
    return (NOW + minutes * MIN).isoformat()


CHG_1042 = {"id": "CHG-1042@demo.socwall", "title": "CHG-1042 PostgreSQL failover db-02",
            "start": iso(-50), "end": iso(40), "end_known": True, "hosts": ["db-02"],
            "services": ["database"]}  # fmt: skip
SAN = {"id": "CHG-1051", "title": "SAN firmware update", "start": iso(-20), "end": iso(220),
       "end_known": False, "hosts": ["Backup-01"], "services": ["storage"]}  # fmt: skip
CHANGES = verdict.changes_from([CHG_1042, SAN])


def down(host="db-02", since=-47, **extra) -> dict:
    return {"kind": "down", "severity": "alarm", "text": f"{host} postgres down", "row": host,
            "hosts": [host], "start": iso(since), "end": iso(0), **extra}  # fmt: skip


def test_ticket_ids_from_ids_and_titles():
    assert [c.ticket for c in CHANGES] == ["CHG-1042", "CHG-1051"]
    assert verdict.ticket_of({"id": "patch@cal@20260330T1100Z", "title": "Weekly patch"}) == (
        "Weekly patch")
    assert verdict.ticket_of({"id": "x@cal", "title": "INC42 reboot"}) == "INC42"


def test_a_host_down_inside_its_change_is_in_maintenance_with_the_time_left():
    judged = verdict.judge([down()], CHANGES, NOW)
    assert judged["state"] == "explained"
    assert judged["reasons"] == ["in maintenance, CHG-1042, 40 min left"]
    assert judged["rows"] == {"db-02": {"state": "explained",
                                        "because": "in maintenance, CHG-1042, 40 min left"}}


def test_a_change_without_an_end_says_so():
    judged = verdict.judge([down("backup-01", since=-10)], CHANGES, NOW)
    assert judged["reasons"] == ["in maintenance, CHG-1051, no end given"]


def test_down_since_before_the_maintenance_began_is_not_explained_by_it():
    judged = verdict.judge([down(since=-200)], CHANGES, NOW)  # 150 of 200 min outside CHG-1042
    assert judged["state"] == "alarm" and judged["rows"]["db-02"]["because"] is None


def test_a_change_that_ended_explains_nothing_now():
    ended = verdict.changes_from([{**CHG_1042, "end": iso(-5)}])
    assert verdict.judge([down(since=-40)], ended, NOW)["state"] == "alarm"


def test_a_metric_outside_its_band_during_a_change_on_a_linked_host_or_service():
    metric = {"kind": "outside_band", "severity": "alarm", "text": "1,131 above normal",
              "hosts": ["db-01", "DB-02", "fw-01"], "start": iso(-60), "end": iso(0)}  # fmt: skip
    assert verdict.judge([metric], CHANGES, NOW)["reasons"] == ["explained by CHG-1042"]
    by_service = {**metric, "hosts": [], "services": ["Database"]}
    assert verdict.judge([by_service], CHANGES, NOW)["state"] == "explained"
    unrelated = {**metric, "hosts": ["web-01"]}
    assert verdict.judge([unrelated], CHANGES, NOW)["state"] == "alarm"
    no_target = {**metric, "hosts": []}  # a metric linked to nothing is never explained
    assert verdict.judge([no_target], CHANGES, NOW)["state"] == "alarm"


def test_an_address_meets_a_change_by_the_inventory_name():
    talker = {"kind": "new_talker", "severity": "alarm", "text": "NEW", "row": "10.0.1.30",
              "hosts": ["10.0.1.30"], "start": iso(-60), "end": iso(0)}  # fmt: skip
    assert verdict.judge([talker], CHANGES, NOW)["state"] == "alarm"  # an address names no change
    named = verdict.judge([talker], CHANGES, NOW, aliases={"10.0.1.30": "backup-01"})
    assert named["state"] == "alarm"  # SAN covers only 20 of the 60 minutes
    short = {**talker, "start": iso(-30)}
    assert verdict.judge([short], CHANGES, NOW, {"10.0.1.30": "backup-01"})["state"] == "explained"


def test_a_reason_the_widget_knows_and_notices():
    weekly = {"kind": "weekly_rhythm", "severity": "notice", "text": "12x the other days",
              "explained": "normal for Mondays at 10:30 (past weeks)"}  # fmt: skip
    notice = {"kind": "hbi_change", "severity": "notice", "text": "CHG-1042 running on db-02"}
    assert verdict.judge([weekly], [], NOW)["reasons"] == [
        "normal for Mondays at 10:30 (past weeks)"]
    judged = verdict.judge([notice], CHANGES, NOW)
    assert (judged["state"], judged["reasons"]) == ("notice", ["CHG-1042 running on db-02"])
    assert verdict.judge([], CHANGES, NOW) == {"state": "calm", "reasons": [], "rows": {},
                                               "facts": []}  # fmt: skip


@pytest.mark.parametrize("states,expected", [
    (["notice", "alarm"], "alarm"), (["notice", "explained"], "explained"),
    (["notice"], "notice"), (["bogus"], "alarm"),  # an unknown severity hides nothing
])  # fmt: skip
def test_the_panel_takes_its_strongest_fact(states, expected):
    facts = [{"kind": "x", "severity": s, "text": s, "row": "r"} for s in states]
    if "explained" in states:
        facts = [f if f["severity"] != "explained" else {**f, "severity": "alarm",
                 "explained": "known"} for f in facts]  # fmt: skip
    judged = verdict.judge(facts, [], NOW)
    assert judged["state"] == expected and judged["rows"]["r"]["state"] == expected


def test_a_payload_without_facts_keeps_its_highlight_as_an_alarm():
    assert verdict.legacy_facts({"highlight": True})[0]["severity"] == "alarm"
    assert verdict.legacy_facts({"highlight": False}) == []
    assert verdict.legacy_facts({"facts": [], "highlight": True}) == []  # facts win


def test_row_state_falls_back_to_the_widget_until_judged():
    assert verdict.row_state({}, "a", "alarm") == ("alarm", None)
    judged = {"verdict": {"rows": {"a": {"state": "explained", "because": "by X"}}}}
    assert verdict.row_state(judged, "a", "alarm") == ("explained", "by X")
    assert verdict.row_state(judged, "b", "alarm") == ("calm", None)


def test_unreadable_change_documents_are_skipped():
    assert verdict.changes_from([{"start": "soon"}, {"title": "x"}]) == []
