"""suspicious_users on a hand-built data set whose top users and reasons are known in advance."""

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from socwall.widgets import suspicious_users as su
from socwall.widgets.context import PanelContext, View
from tests.widgets.test_changes import text_of
from tests.widgets.test_top_talkers_context import find

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
CONTEXT = PanelContext(now=NOW, tz=ZoneInfo("UTC"), source_id="auth")


def ev(user, at: datetime, outcome="success", ip="10.0.0.5", host="h1", count=1,
       invalid=False, privileged=False) -> dict:  # fmt: skip
    return {"ts": at.isoformat(), "user": user, "outcome": outcome, "src_ip": ip, "host": host,
            "count": count, "invalid_user": invalid, "privileged": privileged,
            "method": "sudo" if privileged else "password"}  # fmt: skip


def day(n: int, hour: int = 9) -> datetime:
    """n days before NOW's day at `hour`:00 (n=0 is today)."""
    return (NOW - timedelta(days=n)).replace(hour=hour, minute=0)


def dataset() -> list[dict]:
    events = []
    for n in range(2, 16):  # two weeks of ordinary behaviour, before yesterday
        events += [ev("alice", day(n)), ev("bob", day(n), ip="10.0.0.6"),
                   ev("bob", day(n, 10), "failure", ip="10.0.0.6", count=2),
                   ev("carol", day(n), ip="10.0.0.7"), ev("dave", day(n), ip="10.0.0.8")]  # fmt: skip
    events += [ev("alice", day(1)), ev("carol", day(1) + timedelta(hours=1), ip="10.0.0.7")]
    # today: alice as always; bob brute-forced then in at 02:13 from a new address; carol on six
    # hosts; dave uses sudo to root for the first time; a service account fails a lot
    events += [ev("alice", day(0))]
    events += [
        ev("bob", day(0, 2) + timedelta(minutes=m), "failure", ip="203.0.113.7") for m in range(10)
    ]
    events += [ev("bob", day(0, 2) + timedelta(minutes=11), "failure", ip="203.0.113.7", count=31)]
    events += [ev("bob", day(0, 2) + timedelta(minutes=13), ip="203.0.113.7")]
    events += [
        ev("carol", day(0) + timedelta(minutes=m), ip="10.0.0.7", host=f"srv-{m}") for m in range(6)
    ]
    events += [ev("dave", day(0, 11), ip="10.0.0.8", privileged=True)]
    events += [ev("svc-backup", day(0, 3), "failure", ip="10.0.0.9", count=100)]
    events += [
        ev(f"guess{i}", day(0, 4), "failure", ip="203.0.113.99", invalid=True) for i in range(50)
    ]
    events += [ev("admin", day(0, 4), "failure", ip="203.0.113.99", invalid=True, count=20)]
    return events


def options(**overrides) -> su.SuspiciousUsersOptions:
    return su.SuspiciousUsersOptions(exclude=["svc-*"], **overrides)


def test_top_users_and_their_reasons_by_hand():
    data = su.compute(su.AuthInputs(dataset()), options(), CONTEXT)
    users = [(r["user"], r["score"]) for r in data["rows"]]
    # bob: 41 failures vs usual 2 -> 2 * log2(41/3) = 7.55; brute force 6; new source 1.5; 02:13 2
    bob = 2 * math.log2(41 / 3) + 6 + 1.5 + 2  # above_others: only 3 other users, too few to say
    assert users == [("bob", round(bob, 1)), ("carol", 5.0), ("dave", 2.0)]
    rows = {r["user"]: r for r in data["rows"]}
    assert rows["bob"]["reasons"] == ["41 failed (usual 2), from 203.0.113.7", "success after 41 failures from 203.0.113.7",
                                      "login at 02:13"]  # fmt: skip
    assert rows["carol"]["reasons"] == ["logins on 6 hosts (usual 1)"]
    assert rows["dave"]["reasons"] == ["privileged use, new for this user"]
    assert rows["bob"]["alert"] and not rows["carol"]["alert"]  # a brute force that worked
    assert data["highlight"] is True


def test_excluded_accounts_and_unknown_names_ranked_per_source():
    data = su.compute(su.AuthInputs(dataset()), options(), CONTEXT)
    assert "svc-backup" not in {r["user"] for r in data["rows"]}
    assert data["invalid_sources"] == [{"src_ip": "203.0.113.99", "attempts": 70, "names": 51}]
    assert data["invalid_total"] == {"attempts": 70, "sources": 1, "names": 51}
    unfiltered = su.compute(su.AuthInputs(dataset()), su.SuspiciousUsersOptions(), CONTEXT)
    backup = unfiltered["rows"][1]  # 2 * log2(100 / 1) = 13.3, after bob's 17.05
    assert (backup["user"], backup["score"], backup["reasons"]) == (
        "svc-backup",
        13.3,
        ["100 failed (no history before), from 10.0.0.9"],
    )


def test_weights_change_the_order():
    heavy_hosts = options(weights={"many_hosts": 5})
    data = su.compute(su.AuthInputs(dataset()), heavy_hosts, CONTEXT)
    assert [r["user"] for r in data["rows"]][:2] == ["carol", "bob"]  # 25 points against 17.05


def test_rank_change_and_new_against_the_previous_window():
    events = dataset()
    # yesterday morning (the previous window) bob already failed 20 times: he ranked first then
    events.append(ev("bob", day(1, 8), "failure", ip="10.0.0.6", count=20))
    rows = {r["user"]: r for r in su.compute(su.AuthInputs(events), options(), CONTEXT)["rows"]}
    assert (rows["bob"]["rank"], rows["bob"]["new"], rows["bob"]["change"]) == (1, False, 0)
    assert rows["dave"]["new"] is True and rows["carol"]["new"] is True
    assert rows["bob"]["alert"]  # the brute force that worked, whatever the rank
    assert rows["carol"]["alert"] and not rows["dave"]["alert"]  # NEW: 5 points alert, 2 stay calm


def test_quiet_users_score_nothing():
    quiet = [e for e in dataset() if e["user"] == "alice"]
    data = su.compute(su.AuthInputs(quiet), options(), CONTEXT)
    assert data["rows"] == [] and data["highlight"] is False
    assert "no account behaves unlike itself" in str(su.render(data, options(), View()))


def words(component) -> str:
    """The text a person reads, spaces as on screen."""
    return " ".join(text_of(component).split()).replace(" :", ":").replace(" ,", ",")


def test_render_shows_reasons_and_new():
    data = su.compute(su.AuthInputs(dataset()), options(), CONTEXT)
    tree = su.render(data, options(), View())
    reasons = [r.children for r in find(tree, "suspect-reason")]  # few rows: one reason a line
    assert reasons[:3] == ["41 failed (usual 2), from 203.0.113.7",
                           "success after 41 failures from 203.0.113.7", "login at 02:13"]
    assert "203.0.113.99: 70 attempts on 51 unknown user names" in words(tree)


def test_a_few_typos_before_a_login_are_not_a_brute_force():
    typos = [ev("erin", day(n)) for n in range(2, 16)]
    typos += [ev("erin", day(0) + timedelta(seconds=s), "failure") for s in range(4)]
    typos.append(ev("erin", day(0) + timedelta(minutes=1)))
    assert su.compute(su.AuthInputs(typos), options(), CONTEXT)["rows"] == []


def test_failures_far_above_all_other_users():
    # a new account (no baseline of its own) against nine colleagues who fail 0-2 times today
    events = [ev(f"u{i}", day(0, 9), "failure", count=i % 3) for i in range(9)]
    events += [ev(f"u{i}", day(0, 10)) for i in range(9)]
    events += [ev("newbie", day(0, 11), "failure", count=24)]
    (row,) = [
        r
        for r in su.compute(su.AuthInputs(events), options(), CONTEXT)["rows"]
        if r["user"] == "newbie"
    ]
    # own baseline: 2 * log2(24 / 1) = 9.17; others' 90th percentile is 2: 1 * log2(24 / 3) = 3
    assert row["score"] == round(2 * math.log2(24) + 3, 1)
    assert row["reasons"] == ["24 failed (no history before), from 10.0.0.5", "others fail up to 2"]


def test_a_big_brute_force_is_highlighted_in_a_first_window_and_names_its_sources():
    """loghub's shape: root brute-forced 378 times, 276 from one address, never got in, and no
    history before: highlighted by `alert_failures`, sources in words, no 'usual 0', no NEW."""
    events = [ev("root", day(0, 2) + timedelta(seconds=i), "failure", ip="183.62.140.253") for i in range(276)]
    for k, ip in enumerate(["1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4"]):
        events += [ev("root", day(0, 3) + timedelta(seconds=k * 100 + i), "failure", ip=ip) for i in range(24 + k)]
    events += [ev("root", day(0, 4), "failure", ip="5.5.5.5", count=0)]  # no attempts: no source
    data = su.compute(su.AuthInputs(events), options(), CONTEXT)
    (row,) = data["rows"]
    assert data["first_window"] is True and row["new"] is False and row["alert"] is True
    assert row["failed"] == 378 and data["highlight"] is True
    assert row["reasons"][0] == "378 failed (no history before), from 183.62.140.253 (276) and 4 more"
    assert not any("usual 0" in r or "privileged" in r for r in row["reasons"])
    text = str(su.render(data, options(), View()))
    assert "183.62.140.253" in text and "first" in text


def test_a_password_spray_gets_a_summary_row():
    events = [ev(f"user{i}", day(0, 5) + timedelta(minutes=i), "failure", ip="172.16.66.1") for i in range(7)]
    events += [ev(f"ghost{i}", day(0, 5) + timedelta(minutes=20 + i), "failure", ip="172.16.66.1", invalid=True)
               for i in range(2)]  # fmt: skip
    data = su.compute(su.AuthInputs(events), options(), CONTEXT)
    assert data["sprays"] == [{"src_ip": "172.16.66.1", "accounts": 9, "existing": 7, "attempts": 9, "alert": False}]
    assert "password spray: 172.16.66.1 tried 9 accounts, 7 exist" in words(su.render(data, options(), View()))
    many = su.compute(su.AuthInputs(events), options(spray_accounts=3), CONTEXT)
    assert many["sprays"][0]["alert"] is True and many["highlight"] is True


def test_explicit_credentials_and_the_systems_own_words_reach_the_row():
    events = [ev("user01", day(0, 9) + timedelta(minutes=m), "failure", ip="10.0.0.50") for m in range(12)]
    for e in events:
        e["reason"] = "wrong password"
    explicit = ev("user01", day(0, 10), None, ip="10.0.0.50", host="ws-02")
    explicit.update(method="explicit credentials", reason="explicit credentials of administrator")
    data = su.compute(su.AuthInputs([*events, explicit]), options(), CONTEXT)
    (row,) = data["rows"]
    assert row["reasons"][0] == "12 failed (no history before), from 10.0.0.50, mostly wrong password"
    assert "used administrator's credentials on ws-02" in row["reasons"]


def test_facts_the_denominator_and_what_stands_behind_each_row():
    data = su.compute(su.AuthInputs(dataset()), options(), CONTEXT)
    bob = next(f for f in data["facts"] if f["row"] == "bob")
    assert (bob["kind"], bob["severity"]) == ("brute_force", "alarm")
    assert bob["text"] == "bob: 41 failed (usual 2), from 203.0.113.7"
    assert "hosts" not in bob  # no change window explains an account behaving unlike itself
    assert (data["active"], data["failing"]) == (4, 1)  # svc-* excluded, unknown names apart
    assert data["details"]["bob"] == {
        "sources": [{"ip": "203.0.113.7", "failed": 41, "succeeded": 1}],
        "hosts": [{"host": "h1", "logins": 1}]}  # fmt: skip
    assert "4 accounts active in the last 24 h stand out · 1 had failed logins" in words(
        su.render(data, options(), View()))


def test_a_spray_is_a_styled_row_and_its_drawer_lists_the_accounts_tried():
    events = [ev(f"user{i}", day(0, 5) + timedelta(minutes=i), "failure", ip="172.16.66.1")
              for i in range(12)]  # fmt: skip
    events.append(ev("ghost", day(0, 5), "failure", ip="172.16.66.1", invalid=True))
    data = su.compute(su.AuthInputs(events), options(), CONTEXT)
    (spray,) = data["facts"]
    assert (spray["row"], spray["severity"]) == ("spray:172.16.66.1", "alarm")
    tree = su.render(data, options(), View(desk=True))
    (row,) = find(tree, "suspect-invalid spray alert")
    assert row.role == "button" and row.__getattribute__("data-row") == "spray:172.16.66.1"
    drawer = words(su.drawer(data, "spray:172.16.66.1", options(), View(desk=True)))
    assert "password spray from 172.16.66.1" in drawer
    assert "ghost 1 tries no such user" in drawer and "user0 1 tries exists" in drawer


def test_a_users_drawer_shows_sources_and_hosts():
    data = su.compute(su.AuthInputs(dataset()), options(), CONTEXT)
    drawer = words(su.drawer(data, "bob", options(), View(desk=True)))
    assert "source addresses 203.0.113.7 41 failed 1 succeeded" in drawer
    assert "hosts logged in to h1 1 logins" in drawer
    assert "no longer in the list" in words(su.drawer(data, "zed", options(), View()))
