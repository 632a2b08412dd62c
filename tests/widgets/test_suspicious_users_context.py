"""suspicious_users with the context of issue 14: first logins to HBI hosts, logins in changes."""

from datetime import timedelta

from socwall.widgets import suspicious_users as su
from tests.widgets.test_suspicious_users import CONTEXT, day, ev


def history() -> list[dict]:
    events = []
    for n in range(2, 16):
        events += [ev("erin", day(n), host="web-01"), ev("erin", day(n, 10), host="hr-db-01"),
                   ev("frank", day(n), ip="10.0.0.9", host="web-01")]  # fmt: skip
    return events


def test_a_first_login_to_an_hbi_host_is_a_named_factor():
    events = history() + [ev("frank", day(0), ip="10.0.0.9", host="hr-db-01"),
                          ev("erin", day(0), host="hr-db-01")]  # fmt: skip
    plain = su.compute(su.AuthInputs(events), su.SuspiciousUsersOptions(), CONTEXT)
    assert plain["rows"] == []  # without an inventory, nothing unusual
    inputs = su.AuthInputs(events, hbi=frozenset({"hr-db-01"}))
    rows = su.compute(inputs, su.SuspiciousUsersOptions(), CONTEXT)["rows"]
    assert [r["user"] for r in rows] == ["frank"]  # erin logs in there every day
    assert rows[0]["reasons"] == ["first login to hr-db-01 (HBI)"] and rows[0]["score"] == 2.0


def test_logins_during_a_change_on_that_host_are_said():
    change = {"title": "CHG-1042 failover", "hosts": ["HR-DB-01"],
              "start": (day(0) - timedelta(minutes=30)).isoformat(),
              "end": (day(0) + timedelta(minutes=30)).isoformat()}  # fmt: skip
    events = history() + [ev("frank", day(0), ip="10.0.0.9", host="hr-db-01")]
    inputs = su.AuthInputs(events, hbi=frozenset({"hr-db-01"}), changes=(change,))
    row = su.compute(inputs, su.SuspiciousUsersOptions(), CONTEXT)["rows"][0]
    assert row["reasons"] == ["first login to hr-db-01 (HBI)",
                              "logins on hr-db-01 during change CHG-1042 failover"]  # fmt: skip
    assert row["score"] == 2.0  # the change explains, it does not add points
