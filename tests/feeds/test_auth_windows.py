# ruff: noqa: E501 - events and log rows in their real one-line formats
"""Kerberos tickets granted, accounts renamed or created, MSSQL failed logins, computer accounts
out of user logins in every reader, and passwords kept off the wall."""

import json
import re
from pathlib import Path

import pytest

from socwall.feeds import auth_formats, redact
from tests.feeds.test_auth_formats import raw

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
real_data = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not beside the repo")
ZEEK_HEAD = ("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\t{path}\n"
             "#fields\t{fields}\n#types\t{types}\n")  # fmt: skip


def summary(lines: list[str]) -> list[tuple]:
    events, bad = auth_formats.parse_windows_json("\n".join(lines).encode())
    assert bad == 0
    return [(e.user, e.src_ip, e.outcome, e.method, e.reason) for e in events]


def test_tickets_granted_are_notices_of_the_account_and_its_address():
    assert summary([
        raw(4768, TargetUserName="alice", IpAddress="::ffff:10.0.2.17", Status="0x0"),
        raw(4769, TargetUserName="alice@CORP.EXAMPLE", ServiceName="cifs/fs01", IpAddress="::ffff:10.0.2.17", Status="0x0"),
        raw(4769, TargetUserName="bob@CORP.EXAMPLE", ServiceName="krbtgt", IpAddress="10.0.2.9", Status="0x20"),  # refused: no attempt
        raw(4768, TargetUserName="WS-07$", IpAddress="10.0.2.9", Status="0x0"),  # a computer: no person
    ]) == [
        ("alice", "10.0.2.17", None, "kerberos ticket", "kerberos ticket granted"),
        ("alice", "10.0.2.17", None, "kerberos service ticket", "service ticket for cifs/fs01"),
    ]


def test_a_computer_account_created_then_renamed_without_its_dollar():
    assert summary([
        raw(4741, SubjectUserName="mallory", TargetUserName="EVIL$"),
        raw(4781, SubjectUserName="mallory", OldTargetUserName="EVIL$", NewTargetUserName="DC01"),
        raw(4741, SubjectUserName="DC01$", TargetUserName="WS-08$"),  # the system joining a host
    ]) == [
        ("mallory", None, None, "computer account created", "created computer account EVIL$"),
        ("mallory", None, None, "account renamed", "renamed EVIL$ to DC01; without $ it looks like a user or a host name"),
    ]


def test_mssql_failed_logins_in_both_json_forms():
    dumped = json.dumps({"Event": {"System": {"EventID": {"#attributes": {"Qualifiers": 49152}, "#text": 18456},
                                              "Computer": "SQL01", "TimeCreated": {"#attributes": {"SystemTime": "2019-11-04T13:46:01.171339Z"}}},
                                   "EventData": {"Data": {"#text": ["sa", " Reason: Password did not match that for the login provided.", " [CLIENT: 10.0.2.17]"]}}}})
    listed = json.dumps({"Event": {"System": {"EventID": 18456, "Computer": "SQL01", "TimeCreated": {"SystemTime": "2019-11-04T13:46:02Z"}},
                                   "EventData": {"Data": [{"#text": "ghost"}, {"#text": "Reason: Could not find a login matching the name provided."},
                                                          {"#text": "[CLIENT: <local machine>]"}]}}})
    events, _ = auth_formats.parse_windows_json(f"{dumped}\n{listed}\n".encode())
    assert [(e.user, e.src_ip, e.outcome, e.reason, e.invalid_user) for e in events] == [
        ("sa", "10.0.2.17", "failure", "wrong password", False),
        ("ghost", None, "failure", "user does not exist", True),
    ]


def test_computer_accounts_are_no_user_logins_in_zeek_kerberos_and_ntlm():
    kerberos = ZEEK_HEAD.format(path="kerberos", fields="ts\tuid\tid.orig_h\tid.resp_h\trequest_type\tclient\tsuccess\terror_msg",
                                types="time\tstring\taddr\taddr\tstring\tstring\tbool\tstring")
    kerberos += "1521911885.7\tC1\t10.0.0.5\t10.0.0.1\tAS\tBANSHEE157-PC$/CORP\tT\t-\n"
    kerberos += "1521911886.7\tC2\t10.0.0.6\t10.0.0.1\tAS\talice/CORP\tT\t-\n"
    events, _ = auth_formats.parse_zeek_kerberos(kerberos.encode())
    assert [(e.user, e.outcome) for e in events] == [("alice", "success")]
    ntlm = ZEEK_HEAD.format(path="ntlm", fields="ts\tuid\tid.orig_h\tid.resp_h\tusername\tdomainname\tsuccess",
                            types="time\tstring\taddr\taddr\tstring\tstring\tbool")
    ntlm += "1521911885.7\tC1\t10.0.0.5\t10.0.0.1\tWS-07$\tCORP\tT\n1521911886.7\tC2\t10.0.0.6\t10.0.0.1\tBob\tCORP\tT\n"
    events, _ = auth_formats.parse_zeek_ntlm(ntlm.encode())
    assert [(e.user, e.outcome) for e in events] == [("bob", "success")]


def test_a_password_in_the_user_field_and_configured_patterns_are_masked():
    masks = redact.Redactor((redact.USER_PASSWORD, r"token=\S+"))
    assert masks.user("wwonka:ComeWithM3") == "wwonka:***"
    assert masks.user("administrator:Cloud$erver5!") == "administrator:***"
    assert masks.user("alice") == "alice" and masks.user(None) is None
    assert masks.text("explicit credentials of svc token=abc123") == "explicit credentials of svc ***"
    with pytest.raises(ValueError, match='"\\(" is not a regular expression'):
        redact.check_rules(["("])


@real_data
def test_real_mssql_sample_gives_its_ten_failed_logins():
    path = SHARED / "auth" / "windows" / "MSSQL_multiple_failed_logon_EventID_18456.evtx"
    events, bad = auth_formats.parse_evtx(path.read_bytes())
    dump = Path(f"{path}_dump.jsonl").read_text().splitlines()
    clients = [re.search(r"\[CLIENT: ([^\]]+)\]", line).group(1) for line in dump]
    assert bad == 0 and len(events) == len(dump) == 10
    assert [e.src_ip for e in events] == clients == ["10.0.2.17"] * 10
    assert [e.user for e in events][0] == "sa" and events[0].reason == "wrong password"
    assert all(e.outcome == "failure" and e.method == "mssql" for e in events)


@real_data
def test_real_ntlm_log_keeps_no_password_on_the_wall(tmp_path, store, redis_url, prefix):
    """WRCCDC's ntlm.log has passwords typed into the user field; after a read into a real
    Redis, none of them is anywhere in the stored attempts."""
    from datetime import UTC, datetime

    from socwall.dashboard.config import parse_config
    from socwall.feeds import auth

    text = (SHARED / "zeek" / "ntlm.log").read_text()
    names = next(line for line in text.splitlines() if line.startswith("#fields")).split("\t")[1:]
    users = [dict(zip(names, line.split("\t"), strict=False))["username"] for line in text.splitlines()
             if not line.startswith("#")]
    secrets = {u.split(":", 1)[1] for u in users if ":" in u}
    assert len(secrets) >= 8  # wwonka:ComeWithM3 and more
    (tmp_path / "ntlm.log").write_text(text)
    raw_config = {"store": {"url": redis_url, "prefix": prefix},
                  "sources": {"z": {"type": "auth", "path": str(tmp_path / "ntlm.log"), "retention": "4000d"},
                              "kev": {"type": "kev", "location": "kev.json"}},
                  "pages": [{"id": "p", "title": "P", "panels": [
                      {"id": "k", "widget": "exploited_recent", "title": "K", "source": "kev", "at": [1, 1]}]}]}
    source = auth.Source(parse_config(raw_config).sources["z"], "z")
    source.ingest(store, datetime(2018, 4, 1, tzinfo=UTC))
    stored = store.auth_events("z", datetime(2018, 3, 1, tzinfo=UTC), datetime(2018, 4, 1, tzinfo=UTC))
    assert len(stored) == sum(1 for line in text.splitlines() if not line.startswith("#")
                              and line.split("\t")[names.index("success")] in ("T", "F"))
    blob = json.dumps(stored)
    assert not [s for s in secrets if f":{s}" in blob]  # (one password is its user's own name)
    assert sum(e["user"].endswith(":***") for e in stored if e["user"]) > 0
