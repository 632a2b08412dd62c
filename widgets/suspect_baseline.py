"""A user's past in the few numbers suspicious_users asks of it, and hourly summaries of them.

A baseline is 14 days of attempts, but a user's factors only ask of it: how many failures on
each UTC day, whether it did anything, the addresses it came from, when (local hour) and on
which hosts it logged in, and whether it made privileged use. Those add up hour by hour, so a
closed hour is summarized once (stored beside the day's attempts, dashboard/store_history.py)
and a refresh merges 14 days of hourly summaries instead of reading every attempt again.
"""

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

FORMAT = "past-1"  # the stored summaries' layout: another value makes them rebuilt
SLOT_S = 900  # login times are kept per quarter hour: every UTC offset in use since 1972 is a
# multiple of 15 minutes, so the local hour of a quarter hour is the local hour of its logins


@dataclass
class Past:
    """One user's attempts in a baseline, summed (from raw attempts or hourly summaries)."""

    events: int = 0  # attempts and notices: any means the user has a history
    successes: int = 0  # successful attempts, sudo included
    failed: Counter = field(default_factory=Counter)  # UTC day 'YYYY-MM-DD' -> failures
    sources: set = field(default_factory=set)  # every source address of its attempts
    login_slots: set = field(default_factory=set)  # quarter hours (epoch s) of non-sudo logins
    login_hosts: set = field(default_factory=set)  # hosts of non-sudo logins
    hosts_per_day: dict = field(default_factory=lambda: defaultdict(set))  # day -> success hosts
    privileged: bool = False  # privileged use that did not fail

    def add(self, event: dict) -> None:
        self.events += 1
        if event["outcome"] == "failure" and event["count"] > 0:
            self.failed[event["ts"][:10]] += event["count"]
        if event["src_ip"]:
            self.sources.add(event["src_ip"])
        if event["outcome"] == "success":
            self.successes += 1
            self.hosts_per_day[event["ts"][:10]].add(event["host"])
            if event["method"] != "sudo":
                at = datetime.fromisoformat(event["ts"]).timestamp()
                self.login_slots.add(int(at // SLOT_S * SLOT_S))
                if event["host"]:
                    self.login_hosts.add(event["host"])
        if event["privileged"] and event["outcome"] != "failure":
            self.privileged = True

    def merge_json(self, value: list) -> None:
        """Add an hour's Past as stored (to_json), without making a Past of it first."""
        events, successes, failed, sources, slots, login_hosts, per_day, privileged = value
        self.events += events
        self.successes += successes
        self.failed.update(failed)  # a Counter adds a dict's counts
        self.sources.update(sources)
        self.login_slots.update(slots)
        self.login_hosts.update(login_hosts)
        for day, hosts in per_day.items():
            self.hosts_per_day[day].update(hosts)
        self.privileged = self.privileged or privileged

    def login_hours(self, tz) -> set[int]:
        """Local hours at which the user logged in (sudo is not a login)."""
        return {datetime.fromtimestamp(slot, tz).hour for slot in self.login_slots}

    def to_json(self) -> list:
        return [self.events, self.successes, dict(self.failed), sorted(self.sources),
                sorted(self.login_slots), sorted(self.login_hosts),
                {day: list(hosts) for day, hosts in self.hosts_per_day.items()},
                self.privileged]  # fmt: skip


def usable(event: dict) -> bool:
    """Attempts on names that exist, by someone: the only ones a user's past is made of."""
    return bool(event["user"]) and not event["invalid_user"]


def pasts_of(events) -> dict[str, Past]:
    """Per user, the Past of these attempts (names that do not exist left out)."""
    pasts: dict[str, Past] = defaultdict(Past)
    for event in events:
        if usable(event):
            pasts[event["user"]].add(event)
    return pasts


UTC_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00")


def summarize_hours(events) -> dict[int, str] | None:
    """Per UTC hour start (epoch s) of these attempts, its summary as stored: how many attempts
    it holds (any: the source saw something then) and each user's Past. None when a time is
    not written as UTC ISO: windows compare times as text, and only then is text order time
    order, so only then does an hour hold exactly the attempts a window's text test keeps."""
    held: Counter = Counter()
    users: dict[int, dict[str, Past]] = defaultdict(lambda: defaultdict(Past))
    for event in events:
        if not UTC_TIME.fullmatch(event["ts"]):
            return None
        hour = int(datetime.fromisoformat(event["ts"]).timestamp() // 3600 * 3600)
        held[hour] += 1
        if usable(event):
            users[hour][event["user"]].add(event)
    return {hour: json.dumps({"all": n, "users": {user: past.to_json()
                              for user, past in users[hour].items()}},
                             separators=(",", ":"))  # fmt: skip
            for hour, n in held.items()}  # fmt: skip


@dataclass(frozen=True)
class HourSummary:
    """One closed hour: how many attempts it held, and each user's Past in it (as stored)."""

    held: int
    users: dict[str, list]

    @classmethod
    def from_text(cls, text: str) -> "HourSummary":
        if not text:
            return cls(0, {})
        value = json.loads(text)
        return cls(value["all"], value["users"])


HOUR = 3600


def summarized_hours(start: datetime, end: datetime, edges: list[datetime]) -> list[int]:
    """The whole UTC hours in [start, end) that no edge cuts: they may come from summaries."""
    first = -(-int(start.timestamp()) // HOUR) * HOUR
    cuts = [edge.timestamp() for edge in edges]
    return [hour for hour in range(first, int(end.timestamp()) - HOUR + 1, HOUR)
            if not any(hour < cut < hour + HOUR for cut in cuts)]  # fmt: skip


def raw_spans(start: datetime, end: datetime, hours) -> list[tuple[datetime, datetime]]:
    """[start, end) without the summarized hours: the spans whose attempts are read whole."""
    spans, at = [], start
    for hour in sorted(hours):
        begin = datetime.fromtimestamp(hour, start.tzinfo)
        if begin > at:
            spans.append((at, begin))
        at = max(at, datetime.fromtimestamp(hour + HOUR, start.tzinfo))
    return spans + [(at, end)] if at < end else spans


def pasts_between(events: list[dict], hours: dict[int, HourSummary], start: datetime,
                  end: datetime) -> dict[str, Past]:  # fmt: skip
    """Each user's Past in [start, end): its attempts read whole, merged with the summaries of
    the hours inside. An hour that [start, end) cuts cannot be split: never asked for."""
    lo, hi = start.isoformat(), end.isoformat()
    pasts = pasts_of(e for e in events if lo <= e["ts"] < hi)
    for hour, summary in hours.items():
        if hour + HOUR <= start.timestamp() or hour >= end.timestamp():
            continue
        if not start.timestamp() <= hour <= end.timestamp() - HOUR:
            raise ValueError(f"the summary of the hour at {hour} is cut by [{lo}, {hi})")
        for user, past in summary.users.items():
            pasts[user].merge_json(past)
    return pasts
