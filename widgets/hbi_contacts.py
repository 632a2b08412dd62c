"""hbi_contacts: who in the outside world talks to each high-business-impact machine, vs before.

The flows source keeps, per bucket, the sums of every internal host with each outside peer; this
widget reads the window and the same window `baseline` ago for the HBI hosts of the inventory.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd

from socwall.feeds.inventory import Asset, read_inventory
from socwall.verdict import row_state
from socwall.widgets.components import html
from socwall.widgets.context import PanelContext, View
from socwall.widgets.entity import entity
from socwall.widgets.hbi_contacts_options import (  # noqa: F401  (the widget's parts)
    HbiContactsOptions,
    Options,
    check,
    needs_source,
    source_types,
)
from socwall.widgets.units import bytes_text


@dataclass(frozen=True)
class ContactInputs:
    now_pairs: pd.DataFrame  # host, peer, bytes, connections of the window
    then_pairs: pd.DataFrame  # the same of the window `baseline` ago
    assets: dict[str, Asset]
    baseline_known: bool  # the source has data from before the baseline window


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
            "new": len(new) if inputs.baseline_known else None,
            "examples": [{"peer": p, "bytes": now[p]} for p in new[:2]],
            "bytes": sum(now.values()), "outside": bool(now),
            "first_contact": first_contact, "alert": alert,
        })  # fmt: skip
    rows.sort(key=lambda r: (not r["alert"], -(r["new"] or 0), -r["peers"], r["name"]))
    return {
        "facts": [contact_fact(row, options, context) for row in rows if row["alert"]],
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


def contact_fact(row: dict, options: HbiContactsOptions, context: PanelContext) -> dict:
    """A crown jewel's first contact with the outside, or many new peers: an alarm about that
    host over the window (its own maintenance explains it), naming the top new address."""
    top = row["examples"][0] if row["examples"] else None
    where = f" {top['peer']} ({bytes_text(top['bytes'])})" if top else ""
    text = (f"{row['name']}: first contact with the outside,{where}" if row["first_contact"]
            else f"{row['name']}: {row['new']} new outside peers, e.g.{where}")  # fmt: skip
    return {"kind": "first_contact" if row["first_contact"] else "new_peers", "severity": "alarm",
            "row": row["host"], "text": text, "hosts": [row["host"], row["name"]],
            "start": (context.now - options.window).isoformat(),
            "end": context.now.isoformat()}  # fmt: skip


def ago_words(hours: int) -> str:
    """'a week ago', 'a day ago', '36 h ago'."""
    names = {168: "a week ago", 24: "a day ago"}
    return names.get(hours, f"{hours // 24} days ago" if hours % 24 == 0 else f"{hours} h ago")


def render(payload: dict, options: HbiContactsOptions, view: View):
    """One row per HBI host: outside peers now vs then, new ones with their addresses, in words.
    Few hosts get big rows: the panel's space goes to the words, not to empty lines."""
    rows = payload["rows"]
    if not rows:
        return html.Div("no HBI host in the inventory (criticality column = HBI)",
                        className="panel-empty")  # fmt: skip
    then = ago_words(payload["baseline_h"])
    head = html.Div(className="hbic head", children=[
        html.Span("HBI host"), html.Span("outside peers"), html.Span(then), html.Span("new"),
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
    if payload.get("more"):
        summary += f" · {payload['more']} more not shown"
    grid = {"gridTemplateRows": f"auto repeat({len(rows)}, minmax(min-content, 1fr)) auto"}
    seen = payload.get("window_seen", True)
    children = [head, *(_row_view(payload, r, seen, view) for r in rows),
                html.Div(summary, className="hbic-summary")]  # fmt: skip
    roomy = " roomy" if len(rows) <= 6 else ""
    return html.Div(className="hbics" + roomy, style=grid, children=children)


def _words(row: dict, seen: bool) -> list:
    """What changed, with the outside addresses and bytes when it is new."""
    if not seen:
        return ["no flow data"]
    if not row["new"] and not row["first_contact"]:
        return ["no outside contact" if not row["outside"] else "same peers" if row["new"] == 0
                else ""]  # fmt: skip
    parts: list = ["first contact with the outside: " if row["first_contact"] else "new: "]
    for number, example in enumerate(row["examples"]):
        parts += [", "] if number else []
        parts += [html.Span(example["peer"], className="ident"),
                  f" {bytes_text(example['bytes'])}"]  # fmt: skip
    if row["new"] > len(row["examples"]):
        parts.append(f" and {row['new'] - len(row['examples']):,} more")
    return parts


def _row_view(payload: dict, row: dict, seen: bool, view: View) -> "html.Div":
    state, because = row_state(payload, row["host"], "alarm" if row["alert"] else "calm")
    classes = "hbic" + {"alarm": " alert", "explained": " explained"}.get(state, "")
    words = _words(row, seen) + ([f" · {because}"] if because else [])
    unknown = "no data"
    return html.Div(className=classes, title=row["owner"], children=[
        html.Span([entity(row["name"], "host", view, "hbic-name", ip=row["host"], host=row["name"]),
                   html.Span(row["role"] or row["host"], className="hbic-role")],
                  className="hbic-host"),
        html.Span(f"{row['peers']:,}" if seen else unknown, className="hbic-num"),
        html.Span(unknown if row["peers_then"] is None else f"{row['peers_then']:,}",
                  className="hbic-num"),
        html.Span(unknown if row["new"] is None else f"{row['new']:,}", className="hbic-num"),
        html.Span(words, className="hbic-words"),
    ])  # fmt: skip
