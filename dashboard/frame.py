"""The frame every panel shares: its age, stale or failed state, its verdict and the status line."""

from dataclasses import dataclass
from datetime import datetime

from socwall.durations import humanize_age

BROKEN_SOURCE = ("error", "blind")  # a source that failed, or ran and recognised nothing


@dataclass(frozen=True)
class FrameState:
    """What the frame shows around a payload."""

    css_class: str  # "panel" plus fresh / stale / waiting, and alert / explained / notice
    age_text: str
    status_text: str
    stale: bool
    verdict_text: str = ""  # beside the title: "explained by CHG-1042", a notice in words
    problem: str = ""  # a broken source, in words, shown large at the top of the body


def frame_state(meta: dict | None, now: datetime, stale_after: int, tz) -> FrameState:
    """Age and state of a panel from its meta: stale after N missed refreshes or a failed job."""
    source = (meta or {}).get("source") or {}
    problem = source_problem(source)
    if not meta or not meta.get("computed_at"):
        failed = meta and meta.get("error")
        text = f"job failed: {meta['error']}" if failed else "waiting for first data"
        return FrameState("panel waiting" + (" stale" if failed or problem else ""),
                          "no data yet", "" if problem else text, bool(failed or problem),
                          problem=problem)  # fmt: skip
    computed = datetime.fromisoformat(meta["computed_at"])
    age = (now - computed).total_seconds()
    late = age > stale_after * meta.get("refresh_s", 60)
    stale = late or meta.get("status") == "error" or bool(problem)
    state = meta.get("state") or ("alarm" if meta.get("highlight") else "calm")
    classes = ["panel", "stale" if stale else "fresh", VERDICT_CLASS.get(state, "")]
    # the time of the data on the wall's clock (a replay shows its own time), age in real time
    shown = datetime.fromisoformat(meta.get("data_until") or meta["computed_at"])
    age_text = f"{shown.astimezone(tz).strftime('%H:%M')} · {humanize_age(age)} ago"
    if problem:  # no age for data the source never had; the last good read's, if it had one
        age_text = _last_read(source, now, tz)
    reasons = meta.get("reasons") or []
    return FrameState(
        " ".join(c for c in classes if c), age_text,
        " · ".join(_problems(meta, late, stale_after, bool(problem))), stale,
        verdict_text=" · ".join(reasons[:2]) if state in ("explained", "notice") else "",
        problem=problem,
    )  # fmt: skip


VERDICT_CLASS = {"alarm": "alert", "explained": "explained", "notice": "notice"}


def source_problem(source: dict) -> str:
    """A failed or blind source, in words; '' when it is fine or unknown."""
    status = source.get("status")
    if status not in BROKEN_SOURCE:
        return ""
    words = (source.get("error") or "").strip()
    if status == "blind":
        return words or "the source ran but recognised nothing it read"
    return words or "the source could not be read"


def _last_read(source: dict, now: datetime, tz) -> str:
    """'last read 07:10 · 1 h ago', or 'no data' when the source never read anything."""
    last = source.get("last_success")
    if not last or (source.get("status") == "blind" and not source.get("newest")):
        return "no data"
    moment = datetime.fromisoformat(last)
    age = humanize_age((now - moment).total_seconds())
    return f"last read {moment.astimezone(tz).strftime('%H:%M')} · {age} ago"


def _problems(meta: dict, late: bool, stale_after: int, source_shown: bool) -> list[str]:
    problems = []
    if meta.get("status") == "error":
        problems.append(f"job failed: {meta.get('error')}")
    if late:
        problems.append(f"no refresh for {stale_after} intervals")
    source = meta.get("source") or {}
    if source.get("status") == "error" and not source_shown:
        problems.append(f"source failed: {source.get('error')}")
    elif source.get("status") == "blind" and not source_shown:  # recognised nothing: no all-clear
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
# a panel this screen never received (a rotating wall's next page): no "last data" to claim
STORE_DOWN_EMPTY = "store unreachable: nothing to show until it answers"
