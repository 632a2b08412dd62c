"""The wall's one set of rules: what widgets state (facts) becomes alarm, explained, notice or calm.

A widget's `compute` states facts under `payload["facts"]`, each a dict with

- `kind`: a short name ("outside_band", "new_talker", "down", "brute_force", ...);
- `severity`: "alarm" (someone should look now, unless something explains it) or "notice"
  (context worth a glance);
- `text`: what it is, in words ("950 failed logins in the last hour, normal 213-235");
- what it concerns: `hosts` (names or addresses), `services`, and when: `start`/`end` (ISO, a
  span) or `at` (a moment); neither means now;
- `row`: the id of the row, tile or cell it belongs to (optional);
- `explained`: words the widget itself knows account for it ("normal for Monday 09:00").

`judge` joins them with the changes of the wall's calendars and ticket exports: an alarm on a
host or service that a change names, during that change, is *explained* ("explained by
CHG-1042", "in maintenance, CHG-1042, 36 min left"). Nothing else decides a panel's state.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from socwall.durations import duration_words

STATES = ("alarm", "explained", "notice", "calm")  # a panel takes the first its facts reach
HOST_STATES = {"down", "flapping"}  # a host's own state: said as "in maintenance"
TICKET = re.compile(r"[A-Za-z]+-?\d+")


@dataclass(frozen=True)
class Change:
    """A change window as the verdict needs it: its ticket, when, and what it touches."""

    ticket: str
    start: datetime
    end: datetime
    end_known: bool
    hosts: frozenset[str]  # lower case
    services: frozenset[str]  # lower case


def ticket_of(change: Mapping) -> str:
    """'CHG-1042' from an id such as 'CHG-1042@calendar' or a title 'CHG-1042 PostgreSQL ...';
    otherwise the title, which is what people call it."""
    ident = str(change.get("id") or "").split("@", 1)[0]
    if TICKET.fullmatch(ident):
        return ident
    first = str(change.get("title") or "").partition(" ")[0]
    return first if TICKET.fullmatch(first) else str(change.get("title") or ident)


def changes_from(documents: Iterable[Mapping]) -> list[Change]:
    """Change windows from the `changes` documents sources store (skipping unreadable ones)."""
    changes = []
    for doc in documents:
        try:
            start, end = datetime.fromisoformat(doc["start"]), datetime.fromisoformat(doc["end"])
        except (KeyError, TypeError, ValueError):
            continue
        changes.append(Change(ticket_of(doc), start, end, bool(doc.get("end_known", True)),
                              frozenset(h.lower() for h in doc.get("hosts") or []),
                              frozenset(s.lower() for s in doc.get("services") or [])))  # fmt: skip
    return changes


def _span(fact: Mapping, now: datetime) -> tuple[datetime, datetime]:
    start = fact.get("start") or fact.get("at")
    end = fact.get("end") or fact.get("at")
    return (datetime.fromisoformat(start) if start else now,
            datetime.fromisoformat(end) if end else now)  # fmt: skip


def explaining_change(fact: Mapping, changes: list[Change], now: datetime,
                      aliases: Mapping[str, str]) -> Change | None:  # fmt: skip
    """The change that accounts for a fact: it names one of the fact's hosts (or their inventory
    names/addresses) or services, runs at the fact's end, and covers at least half of its span
    (a host down since before its maintenance began is not explained by it)."""
    hosts = {h.lower() for h in fact.get("hosts") or []}
    hosts |= {aliases[h] for h in hosts if h in aliases}
    services = {s.lower() for s in fact.get("services") or []}
    start, end = _span(fact, now)
    for change in sorted(changes, key=lambda c: c.start):
        if not (hosts & change.hosts or services & change.services):
            continue
        if not change.start <= end <= change.end:
            continue
        covered = min(end, change.end) - max(start, change.start)
        if covered * 2 >= end - start:
            return change
    return None


def explained_words(fact: Mapping, change: Change, now: datetime) -> str:
    """'in maintenance, CHG-1042, 36 min left' for a host's state, else 'explained by CHG-1042'."""
    if fact.get("kind") not in HOST_STATES:
        return f"explained by {change.ticket}"
    if not change.end_known:
        return f"in maintenance, {change.ticket}, no end given"
    left = max(0, round((change.end - now).total_seconds() / 60))
    return f"in maintenance, {change.ticket}, {duration_words(left)} left"


def judge(facts: Iterable[Mapping], changes: list[Change], now: datetime,
          aliases: Mapping[str, str] | None = None) -> dict:  # fmt: skip
    """The panel's state, its reasons in words, and the state of each row facts name."""
    aliases = {k.lower(): v.lower() for k, v in (aliases or {}).items()}
    judged = []
    for fact in facts:
        state, because = fact.get("severity", "alarm"), None
        if state not in ("alarm", "notice"):
            state = "alarm"  # an unknown severity must not hide anything
        if fact.get("explained"):
            state, because = "explained", str(fact["explained"])
        elif state == "alarm" and (change := explaining_change(fact, changes, now, aliases)):
            state, because = "explained", explained_words(fact, change, now)
        judged.append({**fact, "state": state, "because": because})
    state = next((s for s in STATES if any(f["state"] == s for f in judged)), "calm")
    return {"state": state, "reasons": _reasons(judged, state), "rows": _rows(judged),
            "facts": judged}  # fmt: skip


def _reasons(judged: list[dict], state: str) -> list[str]:
    """The words beside the panel title: what is explained and by what, or what is noticed."""
    words = []
    for fact in (f for f in judged if f["state"] == state):
        text = fact["because"] if state == "explained" else fact.get("text", "")
        if text and text not in words:
            words.append(text)
    return words[:3]


def _rows(judged: list[dict]) -> dict[str, dict]:
    """Per row id the strongest state of its facts, and why when explained."""
    rows: dict[str, dict] = {}
    for fact in judged:
        row = fact.get("row")
        if row is None:
            continue
        known = rows.get(str(row))
        if known is None or STATES.index(fact["state"]) < STATES.index(known["state"]):
            rows[str(row)] = {"state": fact["state"], "because": fact["because"]}
    return rows


def legacy_facts(payload: Mapping) -> list[dict]:
    """A payload that states no facts but sets `highlight` (a widget not yet moved to facts):
    one alarm, as before, so nothing that alarmed goes quiet."""
    if "facts" in payload:
        return list(payload["facts"] or [])
    if not payload.get("highlight"):
        return []
    return [{"kind": "highlight", "severity": "alarm", "text": ""}]


def row_state(payload: Mapping, row, fallback: str = "calm") -> tuple[str, str | None]:
    """(state, because) of one row from the verdict the runner stored with the payload; the
    widget's own view (`fallback`) when the payload was never judged."""
    rows = (payload.get("verdict") or {}).get("rows")
    if rows is None:
        return fallback, None
    found = rows.get(str(row))
    return (found["state"], found.get("because")) if found else ("calm", None)
