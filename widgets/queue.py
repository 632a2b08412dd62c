"""queue: the alerts and cases waiting for people. Counts by severity, the oldest waiting one
against its SLA, breaches as alarms, and the mean time to acknowledge today against the same
hours a week ago. A queue that cannot be read is an alarm in words, never "0 waiting"."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal

from pydantic import Field

from socwall.durations import duration_words
from socwall.feeds.queue_items import SEVERITIES
from socwall.types import Duration, Strict
from socwall.widgets.context import PanelContext, View
from socwall.widgets.queue_view import render_queue, wait_words

needs_source = True
source_types = ("alertmanager", "queue_http")
LEVELS = (*SEVERITIES, "unknown")
Severity = Literal["critical", "high", "medium", "low", "info", "unknown"]


class QueueOptions(Strict):
    sla: dict[Severity, Duration] = Field(
        default_factory=lambda: {"critical": "15m", "high": "1h", "medium": "4h", "low": "1d"},
        description="longest wait per severity before an item is a breach (none: no SLA)",
    )
    breaches: int = Field(4, ge=1, le=12, description="breaches listed by name")
    stale_after: int = Field(3, ge=1, description="refreshes missed before the counts are old")


Options = QueueOptions


@dataclass(frozen=True)
class QueueInputs:
    status: dict
    snapshot: dict | None
    acks_today: list[dict]
    acks_week_ago: list[dict]
    refresh: timedelta


def check(options: QueueOptions, source) -> list[tuple[str, str]]:
    return []


def today_windows(now: datetime, tz) -> tuple[tuple, tuple]:
    """Local midnight to now (included: an acknowledgement seen by this very poll), and the
    same local hours a week ago (DST-safe)."""
    local = now.astimezone(tz)
    start = datetime.combine(local.date(), time(0), tzinfo=tz)
    week_start = datetime.combine(local.date() - timedelta(days=7), time(0), tzinfo=tz)
    week_end = (local.replace(tzinfo=None) - timedelta(days=7)).replace(tzinfo=tz)
    moment = timedelta(seconds=1)
    return (start, now + moment), (week_start, week_end + moment)


def load(reader, panel, context: PanelContext) -> QueueInputs:
    sid = context.source_id
    (start, end), (week_start, week_end) = today_windows(context.now, context.tz)
    return QueueInputs(reader.source_status(sid), reader.document(sid, "queue"),
                       reader.records(sid, "acks", start, end),
                       reader.records(sid, "acks", week_start, week_end),
                       reader.config.sources[sid].refresh)  # fmt: skip


def compute(inputs: QueueInputs, options: QueueOptions, context: PanelContext) -> dict:
    """Counts, oldest and breaches per severity, time to acknowledge; facts for what is late."""
    now, snapshot = context.now, inputs.snapshot or {}
    fetched = snapshot.get("fetched_at")
    age = (now - datetime.fromisoformat(fetched)).total_seconds() if fetched else None
    problem = _problem(inputs, age, options)
    items = list((snapshot.get("items") or {}).values())
    levels, breaches = _levels(items, options, now)
    payload = {
        "known": problem is None,
        "problem": problem,
        "as_of": datetime.fromisoformat(fetched).astimezone(context.tz).strftime("%H:%M")
        if fetched else None,
        "waiting": sum(level["waiting"] for level in levels),
        "acknowledged": sum(level["acknowledged"] for level in levels),
        "levels": [lv for lv in levels if lv["severity"] in SEVERITIES[:4] or lv["waiting"]],
        "breaches": breaches[: options.breaches],
        "more_breaches": max(0, len(breaches) - options.breaches),
        "mtta": {"today": _mean_minutes(inputs.acks_today), "today_n": len(inputs.acks_today),
                 "week_ago": _mean_minutes(inputs.acks_week_ago),
                 "week_ago_n": len(inputs.acks_week_ago)},  # fmt: skip
        "truncated": snapshot.get("total") is not None and snapshot["total"] > snapshot.get(
            "read", 0),  # fmt: skip
    }
    payload["facts"] = _facts(payload, now)
    payload["highlight"] = bool(payload["facts"])
    return payload


def _problem(inputs: QueueInputs, age: float | None, options: QueueOptions) -> str | None:
    """Why the counts are not the queue now, in words; None when they are."""
    status = inputs.status or {}
    if status.get("status") in ("error", "blind"):
        return status.get("error") or "the queue could not be read"
    if inputs.snapshot is None or age is None:
        return "the queue has not been read yet"
    if age > options.stale_after * inputs.refresh.total_seconds():
        return f"the queue was last read {duration_words(age / 60)} ago"
    return None


def _levels(items: list[dict], options: QueueOptions, now: datetime) -> tuple[list, list]:
    levels, breaches = [], []
    for severity in LEVELS:
        mine = [i for i in items if i["severity"] == severity]
        waiting = sorted((i for i in mine if i["state"] == "waiting"), key=lambda i: i["created"])
        sla = options.sla.get(severity)
        oldest = _age(waiting[0], now) if waiting else None
        for item in waiting:
            if sla is not None and _age(item, now) > sla.total_seconds() / 60:
                breaches.append({"id": item["id"], "title": item["title"], "severity": severity,
                                 "minutes": round(_age(item, now)),
                                 "sla": round(sla.total_seconds() / 60)})  # fmt: skip
        levels.append({"severity": severity, "waiting": len(waiting),
                       "acknowledged": sum(i["state"] == "acknowledged" for i in mine),
                       "oldest": None if oldest is None else round(oldest),
                       "sla": None if sla is None else round(sla.total_seconds() / 60),
                       "breach": sla is not None and oldest is not None and (
                           oldest > sla.total_seconds() / 60)})  # fmt: skip
    breaches.sort(key=lambda b: (LEVELS.index(b["severity"]), -(b["minutes"] - b["sla"])))
    return levels, breaches


def _age(item: dict, now: datetime) -> float:
    return max(0.0, (now - datetime.fromisoformat(item["created"])).total_seconds() / 60)


def _mean_minutes(acks: list[dict]) -> float | None:
    return round(sum(a["tta_s"] for a in acks) / len(acks) / 60, 1) if acks else None


def _facts(payload: dict, now: datetime) -> list[dict]:
    if not payload["known"]:
        last = (f"; last known {payload['waiting']} waiting at {payload['as_of']}"
                if payload["as_of"] else "")  # fmt: skip
        return [{"kind": "queue-unknown", "severity": "alarm", "row": "queue",
                 "text": f"alert queue unknown: {payload['problem']}{last}",
                 "at": now.isoformat()}]  # fmt: skip
    return [{"kind": "sla-breach", "severity": "alarm", "row": b["id"], "at": now.isoformat(),
             "text": f"{b['severity']} waiting {duration_words(b['minutes'])} "
                     f"(SLA {wait_words(b['sla'])}): {b['title']}"}
            for b in payload["breaches"]]  # fmt: skip


def render(payload: dict, options: QueueOptions, view: View):
    """Tiles per severity, the breaches by name, the time to acknowledge; or why it is unknown."""
    return render_queue(payload, view)
