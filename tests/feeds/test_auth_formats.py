"""Windows Security events (raw and ECS JSON lines) and Zeek ssh.log as authentication events."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from socwall.dashboard.config import parse_config
from socwall.feeds import auth, auth_formats


def raw(event_id: int, **data) -> str:
    """An event as evtx-dump / Get-WinEvent JSON writes it."""
    return json.dumps({"Event": {"System": {"EventID": event_id, "Computer": "DC01.corp.example",
                                            "TimeCreated": {"SystemTime": "2026-01-02T09:00:00.5Z"}},
                                 "EventData": data}})  # fmt: skip


def ecs(event_id: int, **data) -> str:
    """The same event as winlogbeat writes it (Elastic Common Schema)."""
    return json.dumps({"@timestamp": "2026-01-02T09:00:00.500Z", "event": {"code": str(event_id)},
                       "host": {"name": "DC01"}, "winlog": {"event_id": event_id, "event_data": data}})  # fmt: skip


@pytest.mark.parametrize("form", [raw, ecs])
def test_logons_and_failures_in_both_forms(form):
    lines = [
        form(4624, TargetUserName="alice", IpAddress="10.0.0.5", LogonType="10"),
        form(4625, TargetUserName="bob", IpAddress="::ffff:203.0.113.7", LogonType="3", Status="0xC000006D", SubStatus="0xC000006A"),
        form(4625, TargetUserName="nosuch", IpAddress="203.0.113.7", LogonType="3", Status="0xC000006D", SubStatus="0xC0000064"),
        form(4625, TargetUserName="carol", IpAddress="-", LogonType="2", Status="0xC0000234", SubStatus="0x0"),
    ]  # fmt: skip
    events, bad = auth_formats.parse_windows_json("\n".join(lines).encode())
    assert bad == 0
    summary = [(e.user, e.outcome, e.method, e.reason, e.src_ip, e.invalid_user) for e in events]
    assert summary == [
        ("alice", "success", "remote interactive", "logon", "10.0.0.5", False),
        ("bob", "failure", "network", "wrong password", "203.0.113.7", False),
        ("nosuch", "failure", "network", "user does not exist", "203.0.113.7", True),
        ("carol", "failure", "interactive", "account locked out", None, False),
    ]
    assert events[0].ts == datetime(2026, 1, 2, 9, 0, 0, 500000, tzinfo=UTC)


def test_kerberos_ntlm_privileges_and_machine_accounts():
    lines = [
        raw(4771, TargetUserName="dave", IpAddress="::ffff:10.0.0.8", Status="0x19"),  # pre-auth required: normal
        raw(4771, TargetUserName="dave", IpAddress="::ffff:10.0.0.8", Status="0x18"),  # wrong password
        raw(4776, TargetUserName="erin", Workstation="WS-07", Status="0xC000006A"),
        raw(4776, TargetUserName="erin", Workstation="WS-07", Status="0x0"),  # validated: not an attempt
        raw(4672, SubjectUserName="admin-frank"),
        raw(4648, SubjectUserName="gina", TargetUserName="admin-gina"),
        raw(4624, TargetUserName="WS-07$", IpAddress="10.0.0.9", LogonType="3"),  # a computer account
        raw(4688, NewProcessName="cmd.exe"),  # not an authentication event
        "{not json",
    ]  # fmt: skip
    events, bad = auth_formats.parse_windows_json("\n".join(lines).encode())
    assert bad == 1
    summary = [(e.user, e.outcome, e.method, e.reason, e.privileged) for e in events]
    assert summary == [
        ("dave", "failure", "kerberos", "wrong password", False),
        ("erin", "failure", "ntlm", "wrong password", False),
        ("admin-frank", None, "special privileges", "special privileges assigned", True),
        ("gina", None, "explicit credentials", "explicit credentials of admin-gina", False),
    ]
    assert events[1].host == "WS-07"


ZEEK_SSH = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tssh\n"
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tauth_success\tauth_attempts\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\tcount\tbool\tcount\n"
    "1767344400.0\tC1\t203.0.113.7\t40000\t10.0.0.22\t22\t2\tF\t6\n"
    "1767344460.0\tC2\t203.0.113.7\t40001\t10.0.0.22\t22\t2\tT\t4\n"
    "1767344520.0\tC3\t198.51.100.1\t40002\t10.0.0.22\t22\t2\t-\t-\n"
    "#close\t2026-01-02-10-00-00\n"
)


def test_zeek_ssh_counts_attempts_and_the_success():
    events, bad = auth_formats.parse_zeek_ssh(ZEEK_SSH.encode())
    assert bad == 0
    assert [(e.outcome, e.count, e.src_ip, e.host, e.user) for e in events] == [
        ("failure", 6, "203.0.113.7", "10.0.0.22", None),
        ("failure", 3, "203.0.113.7", "10.0.0.22", None),  # 4 attempts, the last one worked
        ("success", 1, "203.0.113.7", "10.0.0.22", None),
    ]


def test_the_auth_source_tells_formats_apart(tmp_path, store, redis_url, prefix):
    (tmp_path / "security.jsonl").write_text(raw(4625, TargetUserName="bob", IpAddress="203.0.113.7",
                                                 LogonType="3", SubStatus="0xC000006A") + "\n")  # fmt: skip
    (tmp_path / "ssh.log").write_text(ZEEK_SSH)
    (tmp_path / "auth.log").write_text(
        "Jan  2 09:00:00 h sshd[1]: Failed password for root from 192.0.2.1 port 1 ssh2\n"
    )
    panel = {
        "id": "f",
        "widget": "metric_compare",
        "title": "F",
        "source": "a",
        "at": [1, 1],
        "options": {"metric": "failed_logins"},
    }
    config = parse_config({"store": {"url": redis_url, "prefix": prefix},
                           "sources": {"a": {"type": "auth", "path": str(tmp_path / "*")}},
                           "pages": [{"id": "p", "title": "P", "panels": [panel]}]})  # fmt: skip
    now = datetime(2026, 1, 2, 12, tzinfo=UTC)
    stats = auth.Source(config.sources["a"], "a").ingest(store, now)
    assert (stats["files"], stats["bad_rows"]) == (3, 0)
    total = store.metric_series("a", "failed_logins", [(now - timedelta(days=1), now)]).sum()
    assert total == 1 + 9 + 1  # windows, zeek (6 + 3), syslog
