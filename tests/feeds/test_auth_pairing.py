# ruff: noqa: E501 - log lines in their real one-line formats
"""A PAM failure and its `Failed password` line are one attempt, wherever the reads split them:
an sshd log in OpenSSH's real format written in pieces, each piece read by the auth source
into a real Redis, counts what a plain loop counts over the whole file."""

import os
import re
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socwall.dashboard.config import parse_config
from socwall.dashboard.store import Store
from socwall.feeds import auth, auth_pairing
from socwall.feeds.auth_readers import parse_syslog_counted

NOW = datetime(2026, 1, 3, tzinfo=UTC)
ZONE = auth.ZoneInfo("UTC")
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
PAGE = {"id": "p", "title": "P", "panels": [
    {"id": "k", "widget": "exploited_recent", "title": "K", "source": "kev", "at": [1, 1]}]}


def openssh_log(attempts: int) -> list[str]:
    """Lines as OpenSSH with UsePAM writes them: per attempt the pam_unix failure, then the
    `Failed password` line of the same pid, a few seconds apart; some logins and notices."""
    lines, second = [], 0
    for n in range(attempts):
        pid, ip, user = 4000 + n // 3, f"203.0.113.{n % 7 + 1}", ("root", "admin", "oracle")[n % 3]
        stamp = lambda s: f"Jan  2 {10 + s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"  # noqa: E731
        lines.append(f"{stamp(second)} web1 sshd[{pid}]: pam_unix(sshd:auth): authentication failure; "
                     f"logname= uid=0 euid=0 tty=ssh ruser= rhost={ip}  user={user}")  # fmt: skip
        second += 2  # pam_unix's fail delay
        lines.append(f"{stamp(second)} web1 sshd[{pid}]: Failed password for {user} from {ip} "
                     f"port {40000 + n} ssh2")  # fmt: skip
        if n % 5 == 4:
            lines.append(f"{stamp(second)} web1 sshd[{pid}]: Connection closed by authenticating "
                         f"user {user} {ip} port {40000 + n} [preauth]")  # fmt: skip
        if n % 11 == 10:
            lines.append(f"{stamp(second + 1)} web1 sshd[{9000 + n}]: Accepted publickey for deploy "
                         f"from 10.0.0.5 port 5{n:04d} ssh2: RSA SHA256:abc")  # fmt: skip
        second += 17
    return [line + "\n" for line in lines]


def plain_failures(lines: list[str]) -> Counter:
    """Failed attempts per 5-minute slot, by a regular expression over the whole text."""
    slots = Counter()
    for line in lines:
        if m := re.match(r"Jan  2 (\d\d):(\d\d):\d\d \S+ sshd\[\d+\]: Failed password", line):
            slots[(int(m[1]), int(m[2]) // 5 * 5)] += 1
    return slots


def stored_failures(store: Store) -> Counter:
    values = store.metric_series("auth", "failed_logins", [(NOW - timedelta(days=2), NOW)])
    return Counter({(t.hour, t.minute): int(v) for t, v in values.items() if v})


def new_source(folder: Path, store: Store, **extra) -> auth.Source:
    url = store.redis.connection_pool.connection_kwargs
    raw = {"store": {"url": f"redis://{url['host']}:{url['port']}/0", "prefix": store.keys.prefix},
           "sources": {"auth": {"type": "auth", "path": str(folder / "auth.log"), **extra},
                       "kev": {"type": "kev", "location": "kev.json"}},
           "pages": [PAGE]}  # fmt: skip
    return auth.Source(parse_config(raw).sources["auth"], "auth")


def read_in_pieces(folder: Path, store: Store, lines: list[str], cuts: list[int],
                   now: datetime = NOW, **extra) -> None:
    """Write the lines in pieces ending at `cuts`, reading after each; then let the file go
    quiet and read once more."""
    source, path = new_source(folder, store, **extra), folder / "auth.log"
    start = 0
    for cut in [*sorted(set(cuts)), len(lines)]:
        with open(path, "a") as handle:
            handle.write("".join(lines[start:cut]))
        start = cut
        source.ingest(store, now)
    old = time.time() - 3600
    os.utime(path, (old, old))
    source.ingest(store, now)


@pytest.fixture(scope="module")
def client(redis_url):
    return redis.Redis.from_url(redis_url, decode_responses=True)


def test_split_at_every_line_between_a_pair_counts_each_attempt_once(tmp_path, client):
    lines = openssh_log(60)
    expected = plain_failures(lines)
    assert sum(expected.values()) == 60
    pam_lines = [i + 1 for i, line in enumerate(lines) if "pam_unix(sshd:auth)" in line]
    store = Store(client, f"t{uuid.uuid4().hex[:10]}")
    read_in_pieces(tmp_path, store, lines, pam_lines)  # every read ends on a PAM line
    assert stored_failures(store) == expected


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(min_value=1, max_value=80), max_size=12))
def test_any_split_points_count_what_the_whole_file_counts(tmp_path_factory, client, cuts):
    lines = openssh_log(70)
    store = Store(client, f"t{uuid.uuid4().hex[:10]}")
    read_in_pieces(tmp_path_factory.mktemp("log"), store, lines, [c for c in cuts if c < len(lines)])
    assert stored_failures(store) == plain_failures(lines)


def test_a_pam_line_alone_counts_once_the_file_is_quiet_or_the_data_moves_on():
    pam = (b"Jan  2 10:00:00 h sshd[7]: pam_unix(sshd:auth): authentication failure; logname= "
           b"uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.4  user=root\n")
    events, _, _, carry = parse_syslog_counted(pam, NOW, ZONE, None, final=False)
    assert [e.outcome for e in events] == [] and len(carry["pending"]) == 1
    later = b"Jan  2 10:06:00 h cron[9]: (root) CMD (true)\n"  # six minutes later, no pair
    events, _, _, carry = parse_syslog_counted(later, NOW, ZONE, carry, final=False)
    assert [(e.outcome, e.src_ip) for e in events] == [("failure", "198.51.100.4")]
    assert carry is None
    events, _, _, _ = parse_syslog_counted(b"", NOW, ZONE,
                                           parse_syslog_counted(pam, NOW, ZONE, None, False)[3],
                                           final=True)  # fmt: skip
    assert [e.outcome for e in events] == ["failure"]


def test_the_own_line_first_then_the_pam_line_in_the_next_read_is_one_attempt():
    own = b"Jan  2 10:00:02 h sshd[7]: Failed password for root from 198.51.100.4 port 1 ssh2\n"
    pam = (b"Jan  2 10:00:03 h sshd[7]: pam_unix(sshd:auth): authentication failure; logname= "
           b"uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.4  user=root\n")
    first, _, _, carry = parse_syslog_counted(own, NOW, ZONE, None, final=False)
    second, _, _, _ = parse_syslog_counted(pam, NOW, ZONE, carry, final=True)
    assert sum(e.count for e in first + second if e.outcome == "failure") == 1


def test_waiting_lines_are_bounded():
    pam = "Jan  2 10:00:{:02d} h sshd[{}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.4  user=root\n"
    text = "".join(pam.format(n % 60, n) for n in range(50)).encode()
    limit = auth_pairing.MAX_WAITING
    auth_pairing.MAX_WAITING = 20
    try:
        events, _, _, carry = parse_syslog_counted(text, NOW, ZONE, None, final=False)
    finally:
        auth_pairing.MAX_WAITING = limit
    assert (len(events), len(carry["pending"])) == (30, 20)


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not beside the repo")
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(min_value=1, max_value=1999), max_size=6))
def test_real_pam_only_log_split_anywhere_counts_its_490_failures(tmp_path_factory, client, cuts):
    """loghub's 2005 log has PAM lines (489 of sshd, 1 of su) and no own lines: each waits,
    then counts once; klogind's failures count as they come."""
    lines = (SHARED / "auth" / "loghub_Linux_2k.log").read_text(errors="replace").splitlines(True)
    store = Store(client, f"t{uuid.uuid4().hex[:10]}")
    folder = tmp_path_factory.mktemp("log")
    read_in_pieces(folder, store, lines, cuts, now=datetime(2005, 7, 28, tzinfo=UTC),
                   retention="400d")
    span = [(datetime(2004, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))]
    failed = store.metric_series("auth", "failed_logins", span).sum()
    plain = sum(1 for line in lines if re.search(r"\(pam_unix\)\[\d+\]: authentication failure", line))
    klogind = sum(1 for line in lines if "klogind" in line and "Authentication failed" in line)
    assert (plain, failed) == (490, plain + klogind)
