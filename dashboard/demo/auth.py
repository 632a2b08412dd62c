"""Generated sshd/sudo syslog (RFC 3164) for the demo: office habits, internet noise, and a
planted brute force that worked, followed by sudo to root."""

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from socwall.dashboard.demo.history import writes_day, written

DAY = timedelta(days=1)
PLANTED_FOR = timedelta(minutes=61)  # from 02:05 local: the brute force, dnovak, the scanner
HISTORY = timedelta(days=36)
RECENT = timedelta(days=17)  # suspicious_users: 14 days before the last 2 x 24 h, continuous
USERS = [
    f"{first}{last}"
    for first in "abcdefgh"
    for last in ("meyer", "novak", "okafor", "silva", "tan")
]
SERVERS = ["web-01", "web-02", "db-01", "build-01", "git-01", "mail-01", "crm-01", "vpn-gw"]
GUESSES = ["admin", "test", "oracle", "postgres", "ubuntu", "pi", "user", "guest", "ftp", "git",
           "support", "deploy", "jenkins", "minecraft", "teamspeak"]  # fmt: skip


def day_lines(
    day: datetime, tz: ZoneInfo, seed: int, anchor: datetime
) -> list[tuple[datetime, str]]:
    """(UTC time, syslog line) of one UTC day, the same for the same day and seed."""
    rng = np.random.default_rng([seed, day.toordinal(), 11])
    lines: list[tuple[datetime, str]] = []
    for i, user in enumerate(USERS):
        local_day = day.astimezone(tz)
        if local_day.weekday() >= 5 and i % 5:
            continue
        home = f"10.0.20.{10 + i}"
        for _ in range(int(rng.integers(1, 4))):
            at = day + timedelta(
                hours=float(rng.normal(9 - tz.utcoffset(day).total_seconds() / 3600 + 3, 2.5))
            )
            host = SERVERS[(i + int(rng.integers(0, 2))) % len(SERVERS)]
            if rng.random() < 0.15:
                lines.append((at - timedelta(seconds=20), _failed(host, user, home)))
            lines.append((at, _accepted(host, user, home)))
    lines += _internet_noise(day, rng)
    return [item for item in lines if day <= item[0] < day + DAY] + _planted(day, anchor, tz)


def _internet_noise(day: datetime, rng) -> list[tuple[datetime, str]]:
    """Scanners guessing user names all day: 'Invalid user' then 'Failed password'."""
    count = int(rng.integers(600, 900))
    seconds = rng.uniform(0, 86400, count)
    octets = rng.integers(1, 255, size=(count, 3))
    first = rng.choice([45, 61, 103, 185, 193], count)
    names = rng.choice(GUESSES, count)
    hosts = rng.choice(["vpn-gw", "web-01"], count)
    lines = []
    for s, head, (b, c, d), name, host in zip(seconds, first, octets, names, hosts, strict=True):
        at, source = day + timedelta(seconds=float(s)), f"{head}.{b}.{c}.{d}"
        lines.append((at, f"{host} sshd[4242]: Invalid user {name} from {source} port 40404"))
        lines.append((at + timedelta(seconds=1), _failed(host, name, source, invalid=True)))
    return lines


def _planted(day: datetime, anchor: datetime, tz: ZoneInfo) -> list[tuple[datetime, str]]:
    """cmeyer: 60 failures from outside at 02:05 local, in at 02:13, then sudo to root;
    dnovak, who uses one or two servers a day, logs in on seven; a scanner guesses 240 names.
    When the anchor is between 02:05 and 03:06 local, the story starts 23h55m before it."""
    local = anchor.astimezone(tz)
    night = local.replace(hour=2, minute=5, second=0, microsecond=0)
    # the whole story (the scanner ends last, at +60 min) lies before the anchor, else it is
    # yesterday's; and it begins within the last day, so a 24h window shows all of it
    latest = night if night + PLANTED_FOR < local else night - DAY
    start = max(latest, local - DAY + timedelta(minutes=5)).astimezone(day.tzinfo)
    lines = [
        (start + timedelta(seconds=8 * i), _failed("vpn-gw", "cmeyer", "198.51.100.77"))
        for i in range(60)
    ]
    lines.append((start + timedelta(minutes=13), _accepted("vpn-gw", "cmeyer", "198.51.100.77")))
    lines.append(
        (
            start + timedelta(minutes=16),
            "vpn-gw sudo:   cmeyer : TTY=pts/0 ; PWD=/home/cmeyer ; USER=root ; COMMAND=/bin/bash",
        )
    )
    lines += [
        (start + timedelta(minutes=40 + 3 * i), _accepted(host, "dnovak", "10.0.20.26"))
        for i, host in enumerate(SERVERS[:7])
    ]
    lines += [  # a persistent scanner guessing many names
        (
            start + timedelta(minutes=40, seconds=5 * i),
            _failed("web-01", f"{GUESSES[i % 15]}{i // 15}", "45.148.10.240", invalid=True),
        )
        for i in range(240)
    ]
    return [item for item in lines if day <= item[0] < day + DAY]


def _failed(host: str, user: str, source: str, invalid: bool = False) -> str:
    who = f"invalid user {user}" if invalid else user
    return f"{host} sshd[4242]: Failed password for {who} from {source} port 51515 ssh2"


def _accepted(host: str, user: str, source: str) -> str:
    return f"{host} sshd[4242]: Accepted publickey for {user} from {source} port 51515 ssh2"


class DemoAuth:
    """Writes the history once, then appends what happened since, to one auth.log."""

    def __init__(self, directory: Path, tz: ZoneInfo, seed: int, anchor: datetime):
        self.directory, self.tz, self.seed, self.anchor = Path(directory), tz, seed, anchor
        self.written_until = anchor - HISTORY

    def write_until(self, until: datetime) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        day = self.written_until.replace(hour=0, minute=0, second=0, microsecond=0)
        rows = []
        while day < until:
            if writes_day(day, self.anchor, RECENT):
                rows += self._lines(day, until)
            day += DAY
        rows.sort(key=lambda item: item[0])
        with open(self.directory / "auth.log", "a", encoding="utf-8") as handle:
            for at, line in rows:
                handle.write(f"{at.astimezone(self.tz):%b %e %H:%M:%S} {line}\n")
        self.written_until = max(self.written_until, until)
        return len(rows)

    def _lines(self, day: datetime, until: datetime) -> list[tuple[datetime, str]]:
        """The day's lines in [written_until, until) that the demo writes (demo/history.py)."""
        lines = [item for item in day_lines(day, self.tz, self.seed, self.anchor)
                 if self.written_until <= item[0] < until]  # fmt: skip
        times = np.array([at.replace(tzinfo=None) for at, _ in lines], dtype="datetime64[us]")
        return [item for item, kept in zip(lines, written(times, self.anchor, RECENT),
                                           strict=True) if kept]  # fmt: skip
