"""The `changes` source: a change calendar (iCalendar, RFC 5545 with recurrence) and CSV/JSON
ticket exports, normalized to change occurrences with their affected hosts and services."""

import csv
import io
import json
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pandas as pd
import recurring_ical_events

from socwall.feeds import fetch
from socwall.feeds.changes_config import (
    ChangesConfig,
    Config,  # noqa: F401  (the registry reads changes.Config)
)
from socwall.text import one_line

DROPPED_STATES = {"cancelled", "canceled", "rejected", "withdrawn"}
SPLIT = re.compile(r"[,;\s]+")
REEXPAND = timedelta(hours=1)  # recurrences move with the clock even when the file does not
MAX_NAMED = 5  # bad rows named in the status; the rest are counted


def file_format(location: str, configured: str) -> str:
    """The configured format, or the one the name says."""
    if configured != "auto":
        return configured
    name = location.lower().split("?", 1)[0]
    for suffix, fmt in ((".ics", "ics"), (".ical", "ics"), (".csv", "csv"), (".json", "json")):
        if name.endswith(suffix):
            return fmt
    raise ValueError(f"{location}: cannot tell the format from the name; set `format`")


def _names(value) -> list[str]:
    """Host or service names from 'db-01, db-02', 'db-01;db-02' or a list."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [n for item in items for n in SPLIT.split(str(item).strip()) if n]


def _utc(value: datetime | date, zone: ZoneInfo) -> datetime:
    if not isinstance(value, datetime):  # an all-day date starts at local midnight
        value = datetime.combine(value, time(), tzinfo=zone)
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def parse_ics(data: bytes, start: datetime, end: datetime, zone: ZoneInfo) -> tuple[list, int]:
    """Occurrences of the events of a calendar between start and end, and unusable events."""
    changes, problems = read_ics(data, start, end, zone)
    return changes, len(problems)


def read_ics(data: bytes, start: datetime, end: datetime, zone: ZoneInfo) -> tuple[list, list]:
    """Occurrences between start and end, and a sentence per event that could not be used."""
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except ValueError as error:
        raise ValueError(f"not an iCalendar file: {error}") from None
    if calendar.name != "VCALENDAR":
        raise ValueError(f"not an iCalendar file: it starts with {calendar.name}")
    try:
        events = recurring_ical_events.of(calendar).between(start, end)
    except Exception as error:  # the library raises many types for broken dates or rules
        raise ValueError(f"unusable calendar: {type(error).__name__}: {error}") from None
    recurring = {str(e.get("UID")) for e in calendar.walk("VEVENT")
                 if e.get("RRULE") or e.get("RDATE")}  # fmt: skip
    changes, problems = [], []
    for event in events:
        try:
            changes.append(_ics_change(event, zone, str(event.get("UID")) in recurring))
        except (ValueError, TypeError, AttributeError, KeyError, OverflowError) as error:
            ident = str(event.get("UID") or event.get("SUMMARY") or "?")
            problems.append(f"event {ident}: {str(error) or type(error).__name__}")
    return [c for c in changes if c["state"] not in DROPPED_STATES], problems


def _ics_change(event, zone: ZoneInfo, recurring: bool) -> dict:
    begin = _utc(event["DTSTART"].dt, zone)
    finish = _utc(event["DTEND"].dt, zone) if event.get("DTEND") else begin
    categories = event.get("CATEGORIES")
    services = [str(c) for c in categories.cats] if categories is not None else []
    uid = str(event.get("UID") or event.get("SUMMARY") or "event")
    return {
        "id": f"{uid}@{begin:%Y%m%dT%H%M}Z" if recurring else uid,
        "title": one_line(event.get("SUMMARY") or "") or uid,
        "start": begin.isoformat(),
        "end": max(finish, begin).isoformat(),
        "end_known": True,
        "hosts": _names(str(event.get("X-HOSTS") or event.get("LOCATION") or "")),
        "services": _names(services),
        "state": str(event.get("STATUS") or "confirmed").lower(),
        "recurring": recurring,
    }


def parse_tickets(data: bytes, fmt: str, zone: ZoneInfo, open_end: timedelta) -> tuple[list, int]:
    """Changes from a CSV or JSON ticket export (id,title,start,end,hosts,services,state), and
    how many rows could not be used (read_tickets says which and why)."""
    changes, problems = read_tickets(data, fmt, zone, open_end)
    return changes, len(problems)


def read_tickets(data: bytes, fmt: str, zone: ZoneInfo, open_end: timedelta) -> tuple[list, list]:
    """(changes, one sentence per row that could not be used: "row 4 (CHG-7): end '01' is not
    a time"). A bad row never costs the good ones."""
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig", errors="replace"))))
        name = lambda n: f"row {n + 2}"  # noqa: E731 - the header is line 1
    else:
        try:
            document = json.loads(data)
        except ValueError as error:
            raise ValueError(f"not JSON: {error}") from None
        rows = document.get("changes") if isinstance(document, dict) else document
        if not isinstance(rows, list):
            raise ValueError("not a ticket export: expected a list or {'changes': [...]}")
        name = lambda n: f"item {n + 1}"  # noqa: E731
    changes, problems = [], []
    for n, row in enumerate(rows):
        try:
            changes.append(_ticket(row, zone, open_end))
        except ValueError as error:
            ident = str(row.get("id") or "").strip() if isinstance(row, dict) else ""
            problems.append(f"{name(n)}{f' ({ident})' if ident else ''}: {error}")
    return [c for c in changes if c["state"] not in DROPPED_STATES], problems


def _time(value, zone: ZoneInfo, key: str) -> datetime | None:
    """A ticket time (ISO 8601 with or without zone) as UTC; ValueError naming it otherwise."""
    if value in (None, ""):
        return None
    try:
        stamp = pd.Timestamp(str(value).strip())
        moment = _utc(stamp.to_pydatetime(), zone)
    except (ValueError, TypeError, OverflowError, OSError):
        moment = None
    if moment is None or not 1990 <= moment.year <= 2100:
        raise ValueError(f"{key} {str(value)[:40]!r} is not a time")
    return moment


def _ticket(row, zone: ZoneInfo, open_end: timedelta) -> dict:
    """One ticket as a change; ValueError in words when it has no id, no readable start, or
    ends before it starts."""
    if not isinstance(row, dict):
        raise ValueError("not a row of fields")
    row = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
    ident = str(row.get("id") or "").strip()
    if not ident:
        raise ValueError("no id")
    begin, finish = _time(row.get("start"), zone, "start"), _time(row.get("end"), zone, "end")
    if begin is None:
        raise ValueError("no start")
    if finish is not None and finish < begin:
        raise ValueError("ends before it starts")
    return {
        "id": ident,
        "title": one_line(row.get("title") or "") or ident,
        "start": begin.isoformat(),
        "end": (finish or begin + open_end).isoformat(),
        "end_known": finish is not None,
        "hosts": _names(row.get("hosts")),
        "services": _names(row.get("services")),
        "state": str(row.get("state") or "scheduled").strip().lower(),
        "recurring": False,
    }


class Source:
    """Fetches each location when it changed (or recurrences need expanding) and keeps every
    change occurrence from `past` ago to `ahead` in one document, ticket ids merged."""

    def __init__(self, config: ChangesConfig, source_id: str):
        self.config, self.source_id = config, source_id

    def ingest(self, store, now: datetime) -> dict:
        """Read changed locations; merge their changes into the stored list by id."""
        known = {c["id"]: c for c in store.document(self.source_id, "changes") or []}
        state = store.document(self.source_id, "state") or {}
        stats = {"rows": 0, "bad_rows": 0, "newest": None, "files": len(self.config.locations)}
        warnings: list[str] = []
        for index, location in enumerate(self.config.locations):
            target = f"location{index}"
            try:
                read = self._read(store, target, location, state.setdefault(target, {}), now)
            except (fetch.FetchError, ValueError) as error:  # the others are still read
                state[target]["error"] = f"{location.rsplit('/', 1)[-1]}: {error}"
                continue
            state[target]["error"] = None
            if read is None:
                continue
            changes, problems = read
            short = location.rsplit("/", 1)[-1]
            warnings += [f"{short} {problem}" for problem in problems]
            if file_format(location, self.config.format) == "ics":  # the calendar is whole
                known = {k: c for k, c in known.items() if c.get("origin") != target}
            for change in changes:
                known[change["id"]] = {**change, "origin": target}
            stats["rows"] += len(changes)
            stats["bad_rows"] += len(problems)
        cutoff = (now - self.config.past).isoformat()
        kept = sorted((c for c in known.values() if c["end"] >= cutoff), key=_order)
        store.write_document(self.source_id, "changes", kept)
        store.write_document(self.source_id, "state", state)
        stats["newest"] = now.isoformat() if stats["rows"] else None
        more = f"and {len(warnings) - MAX_NAMED} more rows" if len(warnings) > MAX_NAMED else None
        stats["warnings"] = warnings[:MAX_NAMED] + ([more] if more else [])
        errors = [s["error"] for s in state.values() if s.get("error")]
        if errors:  # said every round until the location reads again, not only once
            raise ValueError("; ".join(errors))
        return stats

    def _read(self, store, target: str, location: str, state: dict, now: datetime):
        """(changes, bad rows) of a location that changed or whose recurrences are due, else
        None; raises FetchError or ValueError."""
        limits = {"timeout": self.config.timeout.total_seconds(),
                  "max_bytes": self.config.max_bytes,
                  "allow_hosts": self.config.allow_hosts}  # fmt: skip
        fetched = fetch.fetch_tracked(store, self.source_id, target, location,
                                      self.config.refresh, now, **limits)  # fmt: skip
        if fetched is None:  # backing off after a failed fetch: still failing
            raise fetch.FetchError(store.fetch_state(self.source_id, target).get("error", ""))
        body = fetched.body
        if body is None and state.get("failed_text"):  # unchanged since it failed to parse
            raise ValueError(state["failed_text"])
        expanded = state.get("expanded")
        due = expanded is None or now - datetime.fromisoformat(expanded) >= REEXPAND
        if body is None and due and state.get("text") is not None:
            body = state["text"].encode()  # same file, the clock moved on
        if body is None:
            return None
        fmt = file_format(location, self.config.format)
        try:
            read = self._parse(body, fmt, now)
        except ValueError as error:
            state["failed_text"] = str(error)
            raise
        state["failed_text"] = None
        if fmt == "ics":
            state["text"] = body.decode("utf-8", errors="replace")
        state["expanded"] = now.isoformat()
        return read

    def _parse(self, body: bytes, fmt: str, now: datetime) -> tuple[list, list]:
        """(changes, a sentence per unusable row or event)."""
        zone = ZoneInfo(self.config.timezone)
        if fmt == "ics":
            return read_ics(body, now - self.config.past, now + self.config.ahead, zone)
        return read_tickets(body, fmt, zone, self.config.open_end)


def _order(change: dict) -> tuple[str, str]:
    return change["start"], change["id"]


def active_spans(changes: list[dict], start: datetime, end: datetime) -> list[dict]:
    """The changes that overlap [start, end), earliest first."""
    low, high = start.isoformat(), end.isoformat()
    return [c for c in changes if c["start"] < high and c["end"] > low]


def running_by_host(changes: list[dict], now: datetime) -> dict[str, str]:
    """Lower-case host name -> title of a change running on it now (maintenance marks)."""
    stamp = now.isoformat()
    return {host.lower(): change["title"] for change in changes
            if change["start"] <= stamp < change["end"] for host in change["hosts"]}  # fmt: skip
