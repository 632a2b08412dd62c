"""changes: what is in maintenance now and what starts in the next hours, running ones first."""

from dataclasses import dataclass
from datetime import datetime

from pydantic import Field

from socwall.durations import duration_words
from socwall.feeds.inventory import Asset, by_name, read_inventory
from socwall.types import ConfigPath, Duration, Strict
from socwall.verdict import row_state, ticket_of
from socwall.widgets.components import html
from socwall.widgets.context import PanelContext, View

needs_source = True
source_types = ("changes",)


class ChangesOptions(Strict):
    ahead: Duration = Field("8h", description="changes starting within this long are listed")
    limit: int = Field(8, ge=1, le=20, description="rows shown; running changes first")
    inventory: ConfigPath | None = Field(
        None, description="CSV ip,name,criticality,role,owner: marks our and HBI hosts"
    )


Options = ChangesOptions


@dataclass(frozen=True)
class ChangesInputs:
    changes: list[dict]
    assets: dict[str, Asset]
    read: bool = True  # the source has read its locations at least once


def check(options: ChangesOptions, source) -> list[tuple[str, str]]:
    return []


def load(reader, panel, context: PanelContext) -> ChangesInputs:
    changes = reader.document(context.source_id, "changes")
    read = changes is not None or bool(reader.source_status(context.source_id).get("last_success"))
    return ChangesInputs(changes or [], read_inventory(panel.options.inventory), read)


def compute(inputs: ChangesInputs, options: ChangesOptions, context: PanelContext) -> dict:
    """Running changes (time left) then upcoming ones (time to start); HBI hosts marked."""
    now, horizon = context.now, context.now + options.ahead
    keyed = by_name(inputs.assets)
    rows = []
    for change in inputs.changes:
        start, end = datetime.fromisoformat(change["start"]), datetime.fromisoformat(change["end"])
        running = start <= now < end
        if not running and not now < start <= horizon:
            continue
        hosts = [_host(name, keyed) for name in change["hosts"]]
        minutes = (end - now if running else start - now).total_seconds() / 60
        rows.append({
            "id": change["id"], "title": change["title"], "running": running,
            "start": change["start"], "end": change["end"], "end_known": change["end_known"],
            "minutes": round(minutes), "hosts": hosts, "services": change["services"],
            "ours": any(h["ours"] for h in hosts), "hbi": any(h["hbi"] for h in hosts),
        })  # fmt: skip
    rows.sort(key=lambda r: (not r["running"], r["start"] if not r["running"] else r["end"]))
    return {
        "facts": [change_fact(r) for r in rows[: options.limit] if r["running"] and r["hbi"]],
        "rows": rows[: options.limit],
        "running": sum(r["running"] for r in rows),
        "upcoming": sum(not r["running"] for r in rows),
        "more": max(0, len(rows) - options.limit),
        "ahead_h": round(options.ahead.total_seconds() / 3600, 1),
        "known": len(inputs.changes),
        "read": inputs.read,
        "highlight": any(r["hbi"] for r in rows),
    }


def change_fact(row: dict) -> dict:
    """A change running on a crown jewel: worth a glance (a notice), never an alarm: it is
    planned. Other panels are explained by it."""
    hosts = ", ".join(h["name"] for h in row["hosts"] if h["hbi"])
    return {"kind": "hbi_change", "severity": "notice", "row": row["id"],
            "text": f"{ticket_of(row)} running on {hosts} (HBI)"}  # fmt: skip


def _host(name: str, keyed: dict[str, Asset]) -> dict:
    asset = keyed.get(name.lower())
    return {"name": asset.name if asset else name, "ours": asset is not None,
            "hbi": bool(asset and asset.hbi)}  # fmt: skip


def render(payload: dict, options: ChangesOptions, view: View):
    """One row per change: 'now' with time left, or 'in 2 h' with time to start."""
    rows = payload["rows"]
    if not rows and not payload.get("read", True):
        return html.Div("no calendar or ticket export read yet", className="panel-empty")
    if not rows:
        known = payload["known"]
        text = f"no change running or starting in the next {payload['ahead_h']:g} h"
        text += f" ({known:,} known)" if known else " (the calendar lists none)"
        return html.Div(text, className="panel-empty")
    summary = (
        f"{payload['running']} running · {payload['upcoming']} in the next "
        f"{payload['ahead_h']:g} h" + (f" · {payload['more']} more" if payload["more"] else "")
    )
    grid = {"gridTemplateRows": f"repeat({len(rows)}, minmax(min-content, 1fr)) auto"}
    children = [_row_view(r, row_state(payload, r["id"])[0]) for r in rows]
    children.append(html.Div(summary, className="change-summary"))
    return html.Div(className="changes", style=grid, children=children)


def _row_view(row: dict, state: str = "calm") -> "html.Div":
    if row["running"]:
        when = "now", ("left " if row["end_known"] else "no end given, ") + duration_words(
            row["minutes"]
        )
    else:
        when = "next", "in " + duration_words(row["minutes"])
    hosts = [
        html.Span([html.Span(h["name"], className="ident"),
                   html.Span("HBI", className="tile-hbi") if h["hbi"] else ""],
                  className="change-host" + (" hbi" if h["hbi"] else ""))
        for h in row["hosts"]
    ]  # fmt: skip
    if not hosts:
        services = ", ".join(row["services"]) or "no host named"
        hosts = [html.Span(services, className="change-host")]
    classes = "change" + (" running" if row["running"] else "") + (" hbi" if row["hbi"] else "")
    classes += "" if row["ours"] or row["running"] else " calm"
    classes += " notice" if state == "notice" else ""
    return html.Div(className=classes, title=row["id"], children=[
        html.Span(when[0], className="change-state"),
        html.Span([html.Span(row["title"], className="change-title"),
                   html.Span(hosts, className="change-hosts")], className="change-what"),
        html.Span(when[1], className="change-when"),
    ])  # fmt: skip
