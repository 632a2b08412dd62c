"""hbi_contacts: who in the outside world talks to each high-business-impact machine, vs before.

The flows source keeps, per bucket, the sums of every internal host with each outside peer; this
widget reads the window and the same window `baseline` ago for the HBI hosts of the inventory.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
from dash import html
from pydantic import Field

from socwall.feeds.inventory import Asset, read_inventory
from socwall.types import ConfigPath, Duration, Strict
from socwall.widgets.context import PanelContext, View

needs_source = True
source_types = ("flows",)


class HbiContactsOptions(Strict):
    inventory: ConfigPath = Field(description="CSV ip,name,criticality,role,owner; HBI rows shown")
    window: Duration = Field("1h", description="contacts counted over the last window")
    baseline: Duration = Field("7d", description="compared with the same window this long ago")
    new_peers: int = Field(3, ge=1, description="this many outside peers not seen then...")
    growth: float = Field(2.0, ge=1, description="...and this many times the peers then: highlight")
    limit: int = Field(10, ge=1, le=20, description="HBI hosts shown; changed ones first")


Options = HbiContactsOptions


@dataclass(frozen=True)
class ContactInputs:
    now_pairs: pd.DataFrame  # host, peer, bytes, connections of the window
    then_pairs: pd.DataFrame  # the same of the window `baseline` ago
    assets: dict[str, Asset]
    baseline_known: bool  # the source has data from before the baseline window


def check(options: HbiContactsOptions, source) -> list[tuple[str, str]]:
    if options.window % source.bucket:
        return [("window", f"must be a multiple of the source bucket ({source.bucket})")]
    if options.baseline % source.bucket or options.baseline < options.window:
        return [("baseline", "must be a multiple of the source bucket and at least the window")]
    return []


def load(reader, panel, context: PanelContext) -> ContactInputs:
    """The pairs of the window and of the baseline window; whether the baseline was observed."""
    options: HbiContactsOptions = panel.options
    bucket_s = int(reader.source_bucket(context.source_id).total_seconds())
    current = int(context.now.timestamp()) // bucket_s * bucket_s
    count, back = int(options.window.total_seconds()) // bucket_s, int(
        options.baseline.total_seconds())  # fmt: skip
    now_buckets = [current - i * bucket_s for i in range(count)]
    then_buckets = [b - back for b in now_buckets]
    then_pairs = reader.flow_pairs(context.source_id, then_buckets)
    covered = reader.source_covered_since(context.source_id)
    # a baseline window in which the source saw no flow at all is unknown, not "no contacts"
    known = len(then_pairs) > 0 or (
        covered is not None and covered <= datetime.fromtimestamp(min(then_buckets), UTC))
    return ContactInputs(reader.flow_pairs(context.source_id, now_buckets), then_pairs,
                         read_inventory(options.inventory), known)  # fmt: skip


def _peers(pairs: pd.DataFrame, host: str) -> dict[str, float]:
    mine = pairs[pairs["host"].astype(str) == host] if len(pairs) else pairs
    if not len(mine):
        return {}
    return mine.groupby(mine["peer"].astype(str))["bytes"].sum().astype(float).to_dict()


def compute(inputs: ContactInputs, options: HbiContactsOptions, context: PanelContext) -> dict:
    """Per HBI host: outside peers now and then, new peers, first contact with the outside."""
    rows = []
    for asset in (a for a in inputs.assets.values() if a.hbi):
        now, then = _peers(inputs.now_pairs, asset.ip), _peers(inputs.then_pairs, asset.ip)
        new = sorted((p for p in now if p not in then), key=lambda p: -now[p])
        first_contact = inputs.baseline_known and bool(now) and not then
        grew = len(now) >= options.growth * max(len(then), 1)  # churn alone is not a change
        alert = inputs.baseline_known and (
            first_contact or (len(new) >= options.new_peers and grew))
        rows.append({
            "host": asset.ip, "name": asset.name, "role": asset.role, "owner": asset.owner,
            "peers": len(now), "peers_then": len(then) if inputs.baseline_known else None,
            "new": len(new) if inputs.baseline_known else None, "examples": new[:2],
            "bytes": sum(now.values()), "outside": bool(now),
            "first_contact": first_contact, "alert": alert,
        })  # fmt: skip
    rows.sort(key=lambda r: (not r["alert"], -(r["new"] or 0), -r["peers"], r["name"]))
    return {
        "rows": rows[: options.limit],
        "hbi_hosts": len(rows),
        "talking": sum(r["outside"] for r in rows),
        "baseline_known": inputs.baseline_known,
        "window_seen": len(inputs.now_pairs) > 0,  # no flow at all: unknown, not "no contact"
        "baseline_h": round(options.baseline.total_seconds() / 3600),
        "window_m": round(options.window.total_seconds() / 60),
        "more": max(0, len(rows) - options.limit),
        "highlight": any(r["alert"] for r in rows),
    }


def ago_words(hours: int) -> str:
    """'a week ago', 'a day ago', '36 h ago'."""
    names = {168: "a week ago", 24: "a day ago"}
    return names.get(hours, f"{hours // 24} days ago" if hours % 24 == 0 else f"{hours} h ago")


def render(payload: dict, options: HbiContactsOptions, view: View):
    """One row per HBI host: outside peers now vs then, new ones, in words."""
    rows = payload["rows"]
    if not rows:
        return html.Div("no HBI host in the inventory (criticality column = HBI)",
                        className="panel-empty")  # fmt: skip
    then = ago_words(payload["baseline_h"])
    head = html.Div(className="hbic head", children=[
        html.Span("HBI host"), html.Span("outside"), html.Span(then), html.Span("new"),
        html.Span(""),
    ])  # fmt: skip
    summary = (
        f"{payload['talking']} of {payload['hbi_hosts']} HBI hosts talk to the outside "
        f"(last {payload['window_m']} min)"
    )
    if not payload.get("window_seen", True):
        summary = f"no flow data in the last {payload['window_m']} min: contacts unknown"
    if not payload["baseline_known"]:
        summary += f" · no flow data {then}: nothing to compare with"
    grid = {"gridTemplateRows": f"auto repeat({options.limit}, minmax(0, 1fr)) auto"}
    seen = payload.get("window_seen", True)
    children = [head, *(_row_view(r, seen) for r in rows),
                html.Div(summary, className="hbic-summary")]  # fmt: skip
    return html.Div(className="hbics", style=grid, children=children)


def _row_view(row: dict, seen: bool = True) -> html.Div:
    if not seen:
        words = "no flow data"
    elif row["first_contact"]:
        words = "first contact with the outside"
    elif row["new"]:
        words = "new: " + ", ".join(row["examples"]) + (" …" if row["new"] > 2 else "")
    elif not row["outside"]:
        words = "no outside contact"
    else:
        words = "same peers" if row["new"] == 0 else ""
    unknown = "no data"
    return html.Div(className="hbic" + (" alert" if row["alert"] else ""), title=row["owner"],
                    children=[  # fmt: skip
        html.Span([html.Span(row["name"], className="hbic-name"),
                   html.Span(row["role"] or row["host"], className="hbic-role")],
                  className="hbic-host"),
        html.Span(f"{row['peers']:,}" if seen else unknown, className="hbic-num"),
        html.Span(unknown if row["peers_then"] is None else f"{row['peers_then']:,}",
                  className="hbic-num"),
        html.Span(unknown if row["new"] is None else f"{row['new']:,}", className="hbic-num"),
        html.Span(words, className="hbic-words"),
    ])  # fmt: skip
