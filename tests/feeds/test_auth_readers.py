"""sshd, su and sudo syslog lines in RFC 3164, RFC 5424 and journald short-iso form."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from socwall.feeds import auth_readers as ar

NOW = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)
UTC_TZ = ZoneInfo("UTC")


def one(line: str, now=NOW, tz=UTC_TZ) -> ar.AuthEvent:
    (event,) = ar.parse_line(line, now, tz)
    return event


def test_failed_password_for_invalid_user_rfc3164():
    e = one(
        "Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2"
    )
    assert (e.user, e.src_ip, e.outcome, e.method, e.invalid_user) == (
        "webmaster",
        "173.234.31.186",
        "failure",
        "password",
        True,
    )
    assert (e.host, e.program, e.count) == ("LabSZ", "sshd", 1)
    assert e.ts == datetime(2025, 12, 10, 6, 55, 46, tzinfo=UTC)  # December before a January "now"


@pytest.mark.parametrize("line,user,method,ip", [
    ("Jan  2 09:00:01 web-01 sshd[77]: Failed publickey for alice from 2001:db8::17 port 50022 ssh2", "alice", "publickey", "2001:db8::17"),
    ("Jan  2 09:00:02 web-01 sshd[77]: Failed none for invalid user  from 10.0.0.9 port 4 ssh2", "", "none", "10.0.0.9"),
    ("Jan  2 09:00:03 web-01 sshd[77]: Failed password for invalid user admin user from 192.0.2.4 port 22 ssh2", "admin user", "password", "192.0.2.4"),
    ("Jan  2 09:00:04 web-01 sshd[77]: Failed password for jürgen from 192.0.2.5 port 22 ssh2", "jürgen", "password", "192.0.2.5"),
    ("Jan  2 09:00:05 web-01 sshd[77]: Failed keyboard-interactive/pam for root from 192.0.2.6 port 22 ssh2", "root", "keyboard-interactive/pam", "192.0.2.6"),
])  # fmt: skip
def test_failure_kinds_and_odd_user_names(line, user, method, ip):
    e = one(line)
    assert (e.user, e.method, e.src_ip, e.outcome) == (user, method, ip, "failure")


@pytest.mark.parametrize("line,method", [
    ("Jan  2 09:10:00 db.prod.example sshd[5]: Accepted password for bob from 198.51.100.2 port 51000 ssh2", "password"),
    ("Jan  2 09:10:00 db.prod.example sshd[5]: Accepted publickey for bob from 198.51.100.2 port 51000 ssh2: RSA SHA256:abc", "publickey"),
    ("Jan  2 09:10:00 db.prod.example sshd: Accepted keyboard-interactive/pam for bob from 198.51.100.2 port 51000 ssh2", "keyboard-interactive/pam"),
])  # fmt: skip
def test_accepted_logins_hosts_with_dots_and_missing_pid(line, method):
    e = one(line)
    assert (e.outcome, e.method, e.user, e.host) == ("success", method, "bob", "db.prod.example")


def test_root_login_is_privileged():
    assert one(
        "Jan  2 09:11:00 h sshd[5]: Accepted password for root from 198.51.100.2 port 1 ssh2"
    ).privileged


@pytest.mark.parametrize("line,reason", [
    ("Jan  2 09:00:00 h sshd[1]: Invalid user oracle from 203.0.113.7 port 40000", "invalid user"),
    ("Jan  2 09:00:00 h sshd[1]: Disconnected from invalid user oracle 203.0.113.7 port 40000 [preauth]", "closed before login"),
    ("Jan  2 09:00:00 h sshd[1]: Connection closed by authenticating user root 203.0.113.7 port 40000 [preauth]", "closed before login"),
    ("Jan  2 09:00:00 h sshd[1]: error: maximum authentication attempts exceeded for invalid user pi from 203.0.113.7 port 40000 ssh2 [preauth]", "too many attempts"),
    ("Jan  2 09:00:00 h sshd[1]: reverse mapping checking getaddrinfo for ns.example.com [203.0.113.7] failed - POSSIBLE BREAK-IN ATTEMPT!", "reverse mapping failed"),
    ("Jan  2 09:00:00 h sshd[1]: Address 203.0.113.7 maps to ns.example.com, but this does not map back to the address - POSSIBLE BREAK-IN ATTEMPT!", "reverse mapping failed"),
])  # fmt: skip
def test_notices_are_kept_but_are_not_attempts(line, reason):
    e = one(line)
    assert (e.reason, e.outcome, e.src_ip) == (reason, None, "203.0.113.7")


def test_pam_and_sshd_logging_the_same_attempt_count_once():
    lines = [
        "Jan  2 09:00:00 h sshd[9]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.7  user=root",
        "Jan  2 09:00:02 h sshd[9]: Failed password for root from 203.0.113.7 port 40000 ssh2",
    ]  # fmt: skip
    events, bad = ar.parse_syslog("\n".join(lines).encode(), NOW, UTC_TZ)
    assert bad == 0
    assert sum(e.count for e in events if e.outcome == "failure") == 1


def test_message_repeated_counts_n_more():
    events, _ = ar.parse_syslog(
        b"Jan  2 09:00:02 h sshd[9]: Failed password for root from 203.0.113.7 port 40000 ssh2\n"
        b"Jan  2 09:00:40 h sshd[9]: message repeated 5 times: [ Failed password for root from 203.0.113.7 port 40000 ssh2]\n",
        NOW, UTC_TZ,
    )  # fmt: skip
    assert [e.count for e in events] == [1, 5]


def test_su_and_sudo():
    failed_su = one("Jan  2 10:00:00 h su[300]: FAILED SU (to root) alice on pts/1")
    assert (failed_su.user, failed_su.outcome, failed_su.privileged) == ("alice", "failure", False)  # a failure is no privileged use
    opened = one(
        "Jan  2 10:00:05 h su[301]: pam_unix(su-l:session): session opened for user root(uid=0) by alice(uid=1000)"
    )
    assert (opened.user, opened.outcome, opened.privileged) == ("alice", "success", True)
    pam_su = one(
        "Jan  2 10:00:00 h su[300]: pam_unix(su:auth): authentication failure; logname=alice uid=1000 euid=0 tty=/dev/pts/1 ruser=alice rhost=  user=root"
    )
    assert (pam_su.user, pam_su.outcome) == (
        "root",
        "failure",
    )  # su logs no failure line of its own here
    sudo = one(
        "Jan  2 10:01:00 h sudo:    alice : TTY=pts/1 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx"
    )
    assert (sudo.user, sudo.outcome, sudo.privileged, sudo.extra["command"]) == (
        "alice",
        "success",
        True,
        "/usr/bin/systemctl restart nginx",
    )
    wrong = one(
        "Jan  2 10:02:00 h sudo:      bob : 3 incorrect password attempts ; TTY=pts/2 ; PWD=/tmp ; USER=root ; COMMAND=/bin/bash"
    )
    assert (wrong.user, wrong.outcome, wrong.count) == ("bob", "failure", 3)
    pam_line = "Jan  2 10:02:00 h sudo: pam_unix(sudo:auth): authentication failure; logname=bob uid=1001 euid=0 tty=/dev/pts/2 ruser=bob rhost=  user=bob"
    wrong_line = "Jan  2 10:02:00 h sudo:      bob : 3 incorrect password attempts ; TTY=pts/2 ; PWD=/tmp ; USER=root ; COMMAND=/bin/bash"
    both, _ = ar.parse_syslog(f"{pam_line}\n{wrong_line}\n".encode(), NOW, UTC_TZ)
    assert sum(e.count for e in both if e.outcome == "failure") == 3  # sudo's own line counts them
    alone, _ = ar.parse_syslog(f"{pam_line}\n".encode(), NOW, UTC_TZ)
    assert [e.outcome for e in alone] == ["failure"]  # PAM-only logging: the PAM line is the attempt


def test_old_pam_only_logging_counts_each_failure_once_with_host_names_kept():
    lines = [
        "Jun 15 02:04:59 combo sshd(pam_unix)[20882]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=220-135-151-1.hinet-ip.hinet.net  user=root",
        "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ",
        "Jun 15 04:06:18 combo su(pam_unix)[21416]: session opened for user cyrus by (uid=0)",
        "Jun 15 12:12:34 combo sshd(pam_unix)[23397]: check pass; user unknown",
        "Jun 30 20:53:04 combo klogind[19272]: Authentication failed from 163.27.187.39 (163.27.187.39): Permission denied in replay cache code ",
        "Jun 15 02:05:00 combo sshd[20883]: Failed password for root from 198.51.100.1 port 1 ssh2",
        "Jun 15 02:05:00 combo sshd[20883]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.1  user=root",
    ]
    events, bad = ar.parse_syslog(("\n".join(lines) + "\n").encode(), NOW, UTC_TZ)
    failures = [(e.user, e.src_ip, e.method) for e in events if e.outcome == "failure"]
    assert failures == [("root", "220-135-151-1.hinet-ip.hinet.net", "sshd"), (None, "218.188.2.4", "sshd"),
                        (None, "163.27.187.39", "klogind"), ("root", "198.51.100.1", "password")]
    assert not any(e.privileged for e in events if e.outcome == "failure")


def test_rfc5424_and_journald_short_iso():
    e = one(
        "<38>1 2026-01-02T08:15:00.123+01:00 bastion.example sshd 4242 - - Failed password for eve from 203.0.113.9 port 2222 ssh2"
    )
    assert (e.ts, e.host, e.user) == (
        datetime(2026, 1, 2, 7, 15, 0, 123000, tzinfo=UTC),
        "bastion.example",
        "eve",
    )
    e = one(
        '<38>1 2026-01-02T08:15:00Z bastion sshd - - [meta sequenceId="1"] Accepted publickey for eve from 203.0.113.9 port 2 ssh2'
    )
    assert e.outcome == "success"
    e = one(
        "2026-01-02T09:15:00+0100 bastion sshd[4242]: Invalid user test from 203.0.113.9 port 2222"
    )
    assert (e.ts, e.reason) == (datetime(2026, 1, 2, 8, 15, tzinfo=UTC), "invalid user")


def test_year_inference_across_new_year_and_local_time():
    berlin = ZoneInfo("Europe/Berlin")
    text = (b"Dec 31 23:59:58 h sshd[1]: Failed password for a from 192.0.2.1 port 1 ssh2\n"
            b"Jan  1 00:00:03 h sshd[1]: Failed password for a from 192.0.2.1 port 1 ssh2\n")  # fmt: skip
    events, _ = ar.parse_syslog(text, datetime(2026, 1, 1, 6, tzinfo=UTC), berlin)
    assert [e.ts for e in events] == [datetime(2025, 12, 31, 22, 59, 58, tzinfo=UTC),
                                      datetime(2025, 12, 31, 23, 0, 3, tzinfo=UTC)]  # fmt: skip


def test_unreadable_and_unrelated_lines():
    events, bad = ar.parse_syslog(
        b"garbage without a header\n\n"
        b"Jan  2 09:00:00 h CRON[5]: pam_unix(cron:session): session opened for user root by (uid=0)\n"
        b"Jan  2 09:00:00 h sshd[5]: Received disconnect from 203.0.113.7 port 1:11: Bye Bye [preauth]\n",
        NOW, UTC_TZ,
    )  # fmt: skip
    assert (events, bad) == ([], 1)


def test_the_event_has_exactly_the_declared_fields():
    from dataclasses import fields

    from socwall.feeds.fields import AUTH_FIELDS

    assert tuple(f.name for f in fields(ar.AuthEvent) if f.name != "extra") == AUTH_FIELDS
