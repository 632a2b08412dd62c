# ruff: noqa: E501 - events in their one-line forms
"""A spray that worked is an alarm row with a fact; claims about a user's usual behaviour are
made only from history that was observed; account changes are factors in words."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from socwall.dashboard.clock import Clock
from socwall.dashboard.config import parse_config
from socwall.dashboard.jobs import run_panel
from socwall.feeds import auth
from socwall.widgets import suspicious_users as su
from socwall.widgets.context import PanelContext
from tests.feeds.test_auth_formats import raw

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
CONTEXT = PanelContext(now=NOW, tz=ZoneInfo("UTC"), source_id="auth")
SPRAYER = "10.0.2.17"


def ev(user, at: datetime, outcome=None, ip=SPRAYER, method="kerberos", host="DC01", reason="", **flags) -> dict:
    return {"ts": at.isoformat(), "user": user, "outcome": outcome, "src_ip": ip, "host": host, "count": 1,
            "invalid_user": flags.get("invalid", False), "privileged": flags.get("privileged", False),
            "method": method, "reason": reason}


def spray(at: datetime, accounts: int = 12) -> list[dict]:
    return [ev(f"user{n:02d}", at + timedelta(milliseconds=40 * n), "failure", reason="wrong password")
            for n in range(accounts)]


def test_a_ticket_for_a_sprayed_account_right_after_the_spray_is_an_alarm_row_and_a_fact():
    start = NOW - timedelta(hours=2)
    last = start + timedelta(milliseconds=40 * 11)
    events = spray(start) + [ev("user07", last + timedelta(milliseconds=25), method="kerberos ticket")]
    data = su.compute(su.AuthInputs(events), su.SuspiciousUsersOptions(), CONTEXT)
    (found,) = data["sprays"]
    assert found["alert"] and [hit["user"] for hit in found["succeeded"]] == ["user07"]
    words = f"user07 got a Kerberos ticket for {SPRAYER} 25 ms after its spray on 12 accounts"
    row = next(r for r in data["rows"] if r["user"] == "user07")
    assert row["alert"] and "spray_success" in row["factors"] and words in row["reasons"]
    got_in = [f for f in data["facts"] if f["row"] == "user07"]
    assert got_in == [{"kind": "success_after_spray", "severity": "alarm", "text": words,
                       "at": events[-1]["ts"], "row": "user07", "users": ["user07"],
                       "src_ip": SPRAYER}]  # no hosts: a change window never explains it
    assert [f["kind"] for f in data["facts"]] == ["password_spray", "success_after_spray"]
    assert data["highlight"]


def test_a_ticket_from_another_address_or_for_another_account_is_no_success():
    start = NOW - timedelta(hours=2)
    events = spray(start) + [ev("user07", start + timedelta(seconds=2), method="kerberos ticket", ip="10.0.2.99"),
                             ev("carol", start + timedelta(seconds=2), method="kerberos ticket")]
    data = su.compute(su.AuthInputs(events), su.SuspiciousUsersOptions(), CONTEXT)
    assert "succeeded" not in data["sprays"][0]
    assert [f["kind"] for f in data["facts"]] == ["password_spray"]  # the spray, no success


def test_no_usual_and_no_new_for_this_user_without_observed_history():
    logins = [ev("carol", NOW - timedelta(hours=3, minutes=m), "success", ip="10.0.0.7", method="password",
                 host=f"srv-{m}") for m in range(11)]
    root = [ev("dave", NOW - timedelta(hours=1), "success", ip="10.0.0.8", method="sudo", privileged=True)]
    first = su.compute(su.AuthInputs(logins + root), su.SuspiciousUsersOptions(), CONTEXT)
    carol = next(r for r in first["rows"] if r["user"] == "carol")
    assert "logins on 11 hosts (no history before)" in carol["reasons"]
    assert not any("usual" in reason for r in first["rows"] for reason in r["reasons"])
    assert not any(r["user"] == "dave" for r in first["rows"])  # "new for this user": unknown
    covered = su.AuthInputs(logins + root, covered_since=NOW - timedelta(days=40))
    later = su.compute(covered, su.SuspiciousUsersOptions(), CONTEXT)
    carol = next(r for r in later["rows"] if r["user"] == "carol")
    assert "logins on 11 hosts (nothing in the 14 days before)" in carol["reasons"]
    dave = next(r for r in later["rows"] if r["user"] == "dave")
    assert dave["reasons"] == ["privileged use, nothing in the 14 days before"]


def test_a_computer_account_created_and_renamed_are_factors_in_words():
    events = [ev("mallory", NOW - timedelta(hours=1), method="computer account created", reason="created computer account EVIL$"),
              ev("mallory", NOW - timedelta(minutes=50), method="account renamed", reason="renamed EVIL$ to DC01; without $ it looks like a user or a host name")]
    data = su.compute(su.AuthInputs(events), su.SuspiciousUsersOptions(), CONTEXT)
    (row,) = data["rows"]
    assert row["score"] == 6.0 and row["reasons"] == [
        "created computer account EVIL$; renamed EVIL$ to DC01; without $ it looks like a user or a host name"]


def test_a_spray_that_got_a_ticket_reaches_the_panel_from_windows_events(tmp_path, store, redis_url, prefix):
    """4771 failures of twelve accounts and a 4768 ticket for one of them, as a DC writes them,
    read by the auth source into a real Redis: the panel's payload carries the alarm fact."""
    def at(ms: int) -> str:
        return (NOW - timedelta(hours=1) + timedelta(milliseconds=ms)).isoformat().replace("+00:00", "Z")

    lines = [raw(4771, TargetUserName=f"user{n:02d}", IpAddress=f"::ffff:{SPRAYER}", Status="0x18").replace(
        "2026-01-02T09:00:00.5Z", at(40 * n)) for n in range(12)]
    lines.append(raw(4768, TargetUserName="user03", IpAddress=f"::ffff:{SPRAYER}", Status="0x0").replace(
        "2026-01-02T09:00:00.5Z", at(40 * 11 + 25)))
    (tmp_path / "security.jsonl").write_text("\n".join(lines) + "\n")
    config = parse_config({
        "store": {"url": redis_url, "prefix": prefix},
        "sources": {"dc": {"type": "auth", "path": str(tmp_path / "*.jsonl")}},
        "pages": [{"id": "p", "title": "P", "panels": [
            {"id": "users", "widget": "suspicious_users", "title": "U", "source": "dc", "at": [1, 1]}]}]})
    auth.Source(config.sources["dc"], "dc").ingest(store, NOW)
    meta = run_panel(config, config.panels()[0], store, Clock(replay_start=NOW, frozen=True))
    facts = store.panel_data("users")["facts"]
    assert meta["status"] == "ok" and meta["highlight"]
    assert [f["text"] for f in facts if f["kind"] == "success_after_spray"] == [f"user03 got a Kerberos ticket for {SPRAYER} 25 ms after its spray on 12 accounts"]
