"""The frame every panel shares: its age, stale or failed state, and the status line."""

from dataclasses import dataclass
from datetime import datetime

from socwall.durations import humanize_age


@dataclass(frozen=True)
class FrameState:
    """What the frame shows around a payload."""

    css_class: str  # "panel" plus ok / stale / alert / waiting
    age_text: str
    status_text: str
    stale: bool


def frame_state(meta: dict | None, now: datetime, stale_after: int, tz) -> FrameState:
    """Age and state of a panel from its meta: stale after N missed refreshes or a failed job."""
    if not meta or not meta.get("computed_at"):
        failed = meta and meta.get("error")
        text = f"job failed: {meta['error']}" if failed else "waiting for first data"
        return FrameState(
            "panel waiting" + (" stale" if failed else ""), "no data yet", text, bool(failed)
        )
    computed = datetime.fromisoformat(meta["computed_at"])
    age = (now - computed).total_seconds()
    late = age > stale_after * meta.get("refresh_s", 60)
    problems = _problems(meta, late, stale_after)
    stale = (
        late
        or meta.get("status") == "error"
        or (meta.get("source") or {}).get("status") in ("error", "blind")
    )
    classes = ["panel", "stale" if stale else "fresh"]
    if meta.get("highlight"):
        classes.append("alert")
    # the time of the data on the wall's clock (a replay shows its own time), age in real time
    shown = datetime.fromisoformat(meta.get("data_until") or meta["computed_at"])
    local = shown.astimezone(tz).strftime("%H:%M")
    return FrameState(
        " ".join(classes), f"{local} · {humanize_age(age)} ago", " · ".join(problems), stale
    )


def _problems(meta: dict, late: bool, stale_after: int) -> list[str]:
    problems = []
    if meta.get("status") == "error":
        problems.append(f"job failed: {meta.get('error')}")
    if late:
        problems.append(f"no refresh for {stale_after} intervals")
    source = meta.get("source") or {}
    if source.get("status") == "error":
        problems.append(f"source failed: {source.get('error')}")
    elif source.get("status") == "blind":  # it ran and recognised nothing: not an all-clear
        problems.append(f"source blind: {source.get('error')}")
    elif source.get("bad_rows_total") or source.get("bad_rows"):
        total = source.get("bad_rows_total") or source["bad_rows"]
        problems.append(f"{total:,} unreadable rows skipped")
    warnings = source.get("warnings") or []
    if warnings:  # every failing feed or file by name, as many as fit on two lines
        more = f" · and {len(warnings) - 3} more" if len(warnings) > 3 else ""
        problems.append(" · ".join(warnings[:3]) + more)
    return problems


STORE_DOWN = FrameState(
    "panel stale", "store unreachable", "store unreachable: showing the last data", True
)
