"""Authentication events from syslog text: OpenSSH sshd, su and sudo lines. Pure functions.

One event per attempt, not per line: sshd's "Failed password" counts, the PAM line for the same
attempt does not; "message repeated N times" counts N more; notices ("Invalid user", "Connection
closed by ...", reverse-mapping warnings) are kept with no outcome so they never count as attempts.
"""

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from socwall.feeds.auth_event import AuthEvent
from socwall.feeds.auth_pairing import settle

RFC3164 = re.compile(r"^(?:<\d+>)?(?P<month>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) (?P<time>\d\d:\d\d:\d\d)"
                     r" (?P<host>\S+) (?P<program>[^\s\[:]+)(?:\[(?P<pid>\d+)\])?: ?(?P<message>.*)$")  # fmt: skip
RFC5424 = re.compile(r"^<\d{1,3}>1 (?P<ts>\S+) (?P<host>\S+) (?P<program>\S+) (?P<pid>\S+) \S+"
                     r" (?:-|(?:\[.*?\])+) ?(?:\ufeff)?(?P<message>.*)$")  # fmt: skip
SHORT_ISO = re.compile(r"^(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)"
                       r" (?P<host>\S+) (?P<program>[^\s\[:]+)(?:\[(?P<pid>\d+)\])?: ?(?P<message>.*)$")  # fmt: skip
MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}

USER_FROM = r"(?P<invalid>invalid user )?(?P<user>.*?) from (?P<ip>\S+)(?: port (?P<port>\d+))?"
SSHD = [  # (pattern, outcome, reason); named groups fill the event
    (rf"^Failed (?P<method>password|publickey|none|keyboard-interactive(?:/pam)?) for {USER_FROM}(?: ssh\d)?\s*$", "failure", "failed"),
    (rf"^Accepted (?P<method>password|publickey|keyboard-interactive(?:/pam)?|gssapi-with-mic) for {USER_FROM}(?: ssh\d)?(?::.*)?$", "success", "accepted"),
    (r"^[Ii]nvalid user (?P<user>.*?) from (?P<ip>\S+)(?: port (?P<port>\d+))?\s*$", None, "invalid user"),
    (r"^(?:Disconnected from|Connection closed by) (?P<phase>invalid|authenticating) user (?P<user>.*?) (?P<ip>\S+) port (?P<port>\d+)(?: \[preauth\])?$", None, "closed before login"),
    (rf"^error: maximum authentication attempts exceeded for {USER_FROM}(?: ssh\d)?(?: \[preauth\])?$", None, "too many attempts"),
    (r"^reverse mapping checking getaddrinfo for (?P<name>\S+) \[(?P<ip>[^\]]+)\] failed(?: - POSSIBLE BREAK-IN ATTEMPT!)?$", None, "reverse mapping failed"),
    (r"^Address (?P<ip>\S+) maps to (?P<name>\S+), but this does not map back to the address(?: - POSSIBLE BREAK-IN ATTEMPT!)?$", None, "reverse mapping failed"),
]  # fmt: skip
PAM_FAILURE = re.compile(r"^pam_unix\((?P<service>[\w-]+):auth\): authentication failure; logname=(?P<logname>\S*)"
                         r" uid=\d* euid=\d* tty=\S* ruser=\S* rhost=(?P<ip>\S*)(?:\s+user=(?P<user>.*\S))?\s*$")  # fmt: skip
OLD_PAM_PROGRAM = re.compile(r"^(?P<service>[\w-]+)\(pam_unix\)$")  # sshd(pam_unix)[pid]: ...
OLD_PAM_FAILURE = re.compile(r"^authentication failure; logname=(?P<logname>\S*) uid=\d* euid=\d*"
                             r" tty=\S* ruser=\S* rhost=(?P<ip>\S*)(?:\s+user=(?P<user>.*\S))?\s*$")  # fmt: skip
OLD_PAM_SESSION = re.compile(r"^session opened for user (?P<target>\S+?)(?:\(uid=\d+\))? by (?P<user>[^\s(]*)")
KLOGIND_FAILED = re.compile(r"^Authentication failed from (?P<ip>\S+)")
REPEATED = re.compile(r"^message repeated (?P<times>\d+) times: \[ ?(?P<message>.*?) ?\]$")
SU_FAILED = re.compile(
    r"^(?:FAILED SU|FAILED su) (?:\(to (?P<target1>\S+)\) (?P<user1>\S+)|for (?P<target2>\S+) by (?P<user2>\S+))"
)
SU_SESSION = re.compile(
    r"^pam_unix\(su(?:-l)?:session\): session opened for user (?P<target>\S+?)(?:\(uid=\d+\))? by (?P<user>[^\s(]*)"
)
SUDO_COMMAND = re.compile(r"^\s*(?P<user>\S+) : (?:(?P<tries>\d+) incorrect password attempts? ; )?(?:.*?; )?TTY=\S+ ; PWD=.*? ; USER=(?P<target>\S+) ;(?: .*?;)? COMMAND=(?P<command>.*)$")  # fmt: skip
SSHD_PATTERNS = [(re.compile(p), outcome, reason) for p, outcome, reason in SSHD]


class Header(NamedTuple):  # a tuple: one per line, built faster than a frozen dataclass
    ts: datetime
    host: str
    program: str
    message: str
    pid: str | None = None


def parse_header(line: str, now: datetime, tz: ZoneInfo) -> Header | None:
    """The syslog header of a line in any of the three forms; None when it has none."""
    if match := RFC3164.match(line):
        return Header(_year_less(match, now, tz), match["host"], match["program"], match["message"],
                      match["pid"])  # fmt: skip
    for pattern in (RFC5424, SHORT_ISO):
        if match := pattern.match(line):
            stamp = datetime.fromisoformat(match["ts"].replace("Z", "+00:00"))
            stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=tz)
            return Header(stamp.astimezone(UTC), match["host"], match["program"], match["message"],
                          match["pid"])  # fmt: skip
    return None


def _year_less(match: re.Match, now: datetime, tz: ZoneInfo) -> datetime:
    """RFC 3164 has no year: take the one that puts the time at most a day after `now`, so a
    file that crosses New Year gets December in the old year and January in the new one."""
    hour, minute, second = map(int, match["time"].split(":"))
    month, day = match["month"], int(match["day"])
    start = _hour_start(month, day, hour, now, tz) if minute < 60 and second < 60 else None
    if start is None:
        return _stamp(month, day, hour, minute, second, now, tz)
    return start + timedelta(minutes=minute, seconds=second)


@lru_cache(maxsize=4096)
def _hour_start(month: str, day: int, hour: int, now: datetime, tz: ZoneInfo) -> datetime | None:
    """The hour's start in UTC when its whole hour has one year and one UTC offset (every hour
    but a DST change's and the one a day after `now`), else None: a log's lines then cost an
    addition each, not a time zone lookup per year tried."""
    first, last = _stamp(month, day, hour, 0, 0, now, tz), _stamp(month, day, hour, 59, 59, now, tz)
    return first if last - first == timedelta(minutes=59, seconds=59) else None


def _stamp(month: str, day: int, hour: int, minute: int, second: int, now: datetime,
           tz: ZoneInfo) -> datetime:  # fmt: skip
    local_now = now.astimezone(tz)
    for year in range(local_now.year + 1, local_now.year - 8, -1):  # Feb 29: a leap year back
        try:
            stamp = datetime(year, MONTHS[month], day, hour, minute, second, tzinfo=tz)
        except ValueError:  # Feb 29 in a year without it
            continue
        if stamp <= local_now + timedelta(days=1):
            return stamp.astimezone(UTC)
    raise ValueError(f"no year fits {month} {day}")


def parse_line(line: str, now: datetime, tz: ZoneInfo) -> list[AuthEvent] | None:
    """Events of one log line: [] for lines about something else, None for unreadable lines."""
    header = parse_header(line.rstrip("\r\n"), now, tz)
    if header is None:
        return None
    return message_events(header, header.message.strip(), 1)


def message_events(header: Header, message: str, times: int) -> list[AuthEvent]:
    if repeated := REPEATED.match(message):
        return message_events(header, repeated["message"], times * int(repeated["times"]))
    program = header.program.lower()
    event = None
    if old := OLD_PAM_PROGRAM.match(program):
        event = _old_pam(header, old["service"], message)
    elif program == "klogind" and (failed := KLOGIND_FAILED.match(message)):
        event = _base(header, src_ip=failed["ip"], outcome="failure", method="klogind",
                      reason="kerberos login failed")  # fmt: skip
    elif program.startswith("sshd"):
        event = _sshd(header, message)
    elif program in ("su", "su-l"):
        event = _su(header, message)
    elif program == "sudo":
        event = _sudo(header, message)
    if event is None and (pam := PAM_FAILURE.match(message)):
        event = _pam(header, pam)
    if event is None:
        return []
    event.count *= times
    return [event]


def _base(header: Header, **values) -> AuthEvent:
    values["extra"] = {"pid": header.pid, **values.get("extra", {})}
    return AuthEvent(ts=header.ts, host=header.host, program=header.program, **values)


def _sshd(header: Header, message: str) -> AuthEvent | None:
    for pattern, outcome, reason in SSHD_PATTERNS:
        if match := pattern.match(message):
            groups = match.groupdict()
            invalid = (
                bool(groups.get("invalid"))
                or groups.get("phase") == "invalid"
                or reason == "invalid user"
            )
            user = groups.get("user")
            # built here, not through _base: most lines of an sshd log come this way
            return AuthEvent(ts=header.ts, host=header.host, program=header.program, user=user,
                             src_ip=groups.get("ip"), outcome=outcome, method=groups.get("method"),
                             reason=reason, invalid_user=invalid,
                             privileged=user == "root" and outcome == "success",
                             extra={"pid": header.pid})  # fmt: skip
    return None


def _su(header: Header, message: str) -> AuthEvent | None:
    if match := SU_FAILED.match(message):
        target = match["target1"] or match["target2"]
        return _base(header, user=match["user1"] or match["user2"], outcome="failure", method="su",
                     reason=f"su to {target} failed")  # fmt: skip
    if match := SU_SESSION.match(message):
        return _base(header, user=match["user"] or None, outcome="success", method="su",
                     reason=f"su to {match['target']}", privileged=match["target"] == "root")  # fmt: skip
    return None


def _sudo(header: Header, message: str) -> AuthEvent | None:
    match = SUDO_COMMAND.match(message)
    if match is None:
        return None
    tries = int(match["tries"] or 0)
    root = match["target"] == "root"
    if tries:
        return _base(header, user=match["user"], outcome="failure", method="sudo", count=tries,
                     reason=f"{tries} wrong sudo passwords")  # fmt: skip
    return _base(header, user=match["user"], outcome="success", method="sudo",
                 reason=f"sudo to {match['target']}", privileged=root,
                 extra={"command": match["command"]})  # fmt: skip


def _pam(header: Header, match: re.Match) -> AuthEvent | None:
    """A PAM failure is an attempt; for sshd and sudo, whose own line usually counts it, it is
    settled with that line (feeds/auth_pairing.py): it counts only when the process wrote no
    own failure line near it (PAM-only logging). A failure is never privileged use."""
    service = match["service"]
    user = match["user"] or match["logname"] or None
    return _base(header, user=user, src_ip=match["ip"] or None, outcome="failure", method=service,
                 reason="pam authentication failure",
                 extra={"pam": True, "pid": header.pid})  # fmt: skip


def _old_pam(header: Header, service: str, message: str) -> AuthEvent | None:
    """The older `program(pam_unix)[pid]:` form (Red Hat 9 era): failures and su sessions."""
    if match := OLD_PAM_FAILURE.match(message):
        user = match["user"] or match["logname"] or None
        return _base(header, user=user, src_ip=match["ip"] or None, outcome="failure",
                     method=service, reason="pam authentication failure",
                     extra={"pam": True, "pid": header.pid})  # fmt: skip
    if service in ("su", "su-l") and (match := OLD_PAM_SESSION.match(message)):
        return _base(header, user=match["user"] or None, outcome="success", method="su",
                     reason=f"su to {match['target']}", privileged=match["target"] == "root")  # fmt: skip
    return None


def parse_syslog(data: bytes, now: datetime, tz: ZoneInfo) -> tuple[list[AuthEvent], int]:
    """Events of a whole syslog text, and how many lines could not be read at all."""
    events, bad, _, _ = parse_syslog_counted(data, now, tz)
    return events, bad


def parse_syslog_counted(data: bytes, now: datetime, tz: ZoneInfo, carry: dict | None = None,
                         final: bool = True, mask=None) -> tuple[list, int, int, dict | None]:  # fmt: skip
    """(events, unreadable lines, recognised lines, what waits for the next read): a line is
    recognised when it is an authentication message socwall understands, attempt or notice.
    PAM lines are settled with their own lines (feeds/auth_pairing.py), across reads; `mask`
    hides secrets in each event before it is settled or carried."""
    events, bad, recognised, newest = [], 0, 0, None
    for raw in data.decode("utf-8", "replace").splitlines():
        if not raw.strip():
            continue
        header = parse_header(raw.rstrip("\r\n"), now, tz)
        if header is None:
            bad += 1
            continue
        newest = header.ts if newest is None else max(newest, header.ts)
        found = message_events(header, header.message.strip(), 1)
        recognised += bool(found)
        events += [mask(e) for e in found] if mask else found
    settled, carry = settle(events, carry, newest, final)
    return settled, bad, recognised, carry
