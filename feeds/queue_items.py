"""The alert queue, whatever product holds it: items in one shape, severities in one scale, and
the snapshot and acknowledgement history every queue source writes.

An item is `waiting` (nobody took it), `acknowledged` (someone did: silenced, assigned, in
progress) or `closed`. When an item is first seen no longer waiting, its acknowledgement is
recorded once (by id) with its time to acknowledge: the product's own time when it gives one
(TheHive's `inProgressDate`, OpenSearch's `acknowledged_time`, a silence's start), else the
poll that saw it change (exact to one refresh). An item first seen already acknowledged has
no known time and adds nothing to the mean time to acknowledge.
"""

import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from pydantic import Field

from socwall.types import Duration, Strict

SEVERITIES = ("critical", "high", "medium", "low", "info")
DEFAULT_WORDS = {
    "critical": ["critical", "crit", "emergency", "fatal", "disaster", "p1", "sev1"],
    "high": ["high", "error", "major", "severe", "p2", "sev2"],
    "medium": ["medium", "moderate", "warning", "warn", "average", "p3", "sev3"],
    "low": ["low", "minor", "p4", "sev4"],
    "info": ["info", "informational", "information", "notice", "none", "p5", "sev5"],
}
MAX_BACKOFF = timedelta(minutes=15)
RANGE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*-\s*(-?\d+(?:\.\d+)?)\s*$")


class QueueSettings(Strict):
    """Keys every queue source has."""

    refresh: Duration = "1m"
    timeout: Duration = Field("15s", description="no complete answer by then: the read fails")
    severities: dict[str, list[str | int | float]] = Field(
        default_factory=dict,
        description="the product's values per socwall severity (critical, high, medium, low, "
        "info); numbers may be ranges like '12-15'; unlisted levels keep the common words",
    )
    retention: Duration = Field("15d", description="acknowledgements kept (a week ago needs 8d)")
    max_items: int = Field(5000, ge=1, le=100_000, description="more items than this fail")


@dataclass(frozen=True)
class Item:
    """One alert or case in the queue."""

    id: str
    title: str
    severity: str  # one of SEVERITIES, or "unknown"
    created: datetime
    state: str  # waiting, acknowledged, closed
    acked_at: datetime | None = None  # as the product says, when it does


def severity_of(value, mapping: dict[str, list]) -> str:
    """The socwall severity of a product's value: configured values first, then common words."""
    if value is None:
        return "unknown"
    text = str(value).strip().lower()
    number = _float(text)
    for level in SEVERITIES:
        for wanted in mapping.get(level) or []:
            found = RANGE.match(str(wanted))
            if found and number is not None:
                if float(found.group(1)) <= number <= float(found.group(2)):
                    return level
            elif str(wanted).strip().lower() == text:
                return level
    for level, words in DEFAULT_WORDS.items():
        if level not in mapping and text in words:
            return level
    return "unknown"


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def parse_time(value, unit: str = "auto") -> datetime | None:
    """An item time: ISO 8601 (no zone = UTC) or epoch seconds/milliseconds (auto: by size)."""
    if value in (None, "", 0):
        return None
    number = value if isinstance(value, int | float) else _float(str(value))
    if number is not None:
        millis = unit == "ms" or (unit == "auto" and abs(number) > 1e11)
        return datetime.fromtimestamp(number / 1000 if millis else number, UTC)
    moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def merge(previous: dict, items: list[Item], now: datetime) -> tuple[dict, list[dict]]:
    """The new snapshot (open items by id) and the acknowledgements first seen in this poll."""
    before = previous.get("items") or {}
    open_items, acks = {}, []
    for item in items:
        was = before.get(item.id) or {}
        acked = item.acked_at or parse_time(was.get("acked_at"))
        if item.state != "waiting" and was.get("state") in (None, "waiting"):
            if acked is None and was.get("state") == "waiting":
                acked = now  # seen waiting last time, taken since: exact to one refresh
            if acked is not None and acked >= item.created:
                acks.append({"ts": acked.isoformat(), "id": item.id, "severity": item.severity,
                             "created": item.created.isoformat(),
                             "tta_s": round((acked - item.created).total_seconds())})  # fmt: skip
        if item.state != "closed":
            row = {**asdict(item), "created": item.created.isoformat(), "acked_at": None}
            if acked is not None and item.state == "acknowledged":
                row["acked_at"] = acked.isoformat()
            open_items[item.id] = row
    return {"fetched_at": now.isoformat(), "items": open_items}, acks


def write(store, source_id: str, settings: QueueSettings, items: list[Item], total: int | None,
          now: datetime) -> dict:  # fmt: skip
    """Store the snapshot and new acknowledgements; the stats the job runner keeps."""
    if len(items) > settings.max_items:
        raise ValueError(f"{len(items):,} items is more than max_items ({settings.max_items:,})")
    snapshot, acks = merge(store.document(source_id, "queue") or {}, items, now)
    snapshot["total"] = total
    snapshot["read"] = len(items)
    store.write_document(source_id, "queue", snapshot)
    if acks:
        store.add_records(source_id, "acks", acks, now, settings.retention, id_field="id")
    waiting = [i for i in items if i.state == "waiting"]
    warnings = []
    if total is not None and total > len(items):
        warnings.append(f"the answer holds {len(items):,} of {total:,} items: the counts are "
                        "too low; ask for more per page")  # fmt: skip
    newest = max((i.created for i in items), default=None)
    return {"rows": len(items), "bad_rows": 0, "warnings": warnings, "waiting": len(waiting),
            "newest": newest.isoformat() if newest else None}  # fmt: skip


def backoff_wait(state: dict, now: datetime) -> str | None:
    """The sentence to fail with while backing off after failures, else None."""
    retry = state.get("next_attempt")
    if retry and now < datetime.fromisoformat(retry):
        when = datetime.fromisoformat(retry).strftime("%H:%M:%S")
        return f"{state.get('error') or 'failed'}; next try at {when} UTC"
    return None


def failed_state(state: dict, error: Exception, refresh: timedelta, now: datetime) -> dict:
    """The fetch state after one more failure: waits refresh x 2^failures, at most 15 min (the
    queue is what a shift watches: it is asked again soon, but a dead server is not hammered)."""
    failures = int(state.get("failures") or 0)
    wait = min(refresh * 2**failures, MAX_BACKOFF)
    return {"failures": failures + 1, "error": str(error), "next_attempt": (now + wait).isoformat()}
