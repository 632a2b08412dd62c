"""top_talkers: internal hosts that send the most to the outside, with rank change and NEW."""

import csv
from dataclasses import dataclass
from typing import Literal

import pandas as pd
import pyarrow as pa
from dash import html
from pydantic import Field, model_validator
from socwall.dashboard.types import ConfigPath, Duration, Strict
from socwall.feeds.flows import rank_hosts
from socwall.widgets.context import PanelContext, View

needs_source = True
source_types = ("flows",)
PREVIOUS_TOP = 20  # a host not in the previous window's top 20 is NEW


class TopTalkersOptions(Strict):
    window: Duration = Field(
        "1h", description="ranked over the last window; compared with the one before"
    )
    by: Literal["bytes", "connections"] = "bytes"
    ranks: tuple[int, int] = Field((1, 10), description="[first, last] rank shown, e.g. [11, 20]")
    inventory: ConfigPath | None = Field(None, description="CSV with columns ip,name")
    jump: int = Field(5, ge=1, description="a rise of this many ranks is highlighted")
    min_share: float = Field(
        0.5, ge=0, description="NEW or risen hosts below this % of the total are not highlighted"
    )

    @model_validator(mode="after")
    def _ranks_in_order(self) -> "TopTalkersOptions":
        first, last = self.ranks
        if not 1 <= first <= last or last - first >= 20:
            raise ValueError("ranks must be [first, last] with 1 <= first <= last, at most 20 rows")
        return self


Options = TopTalkersOptions


@dataclass(frozen=True)
class TalkerInputs:
    """Host/peer sums per bucket over the window and the window before it, and host names."""

    pairs: pd.DataFrame  # columns: bucket (epoch s), host, peer, bytes, connections
    names: dict[str, str]
    bucket_s: int
    repaired: int = 0  # flows the source swapped because they were recorded backwards


def check(options: TopTalkersOptions, source) -> list[tuple[str, str]]:
    if options.window % source.bucket:
        return [("window", f"must be a multiple of the source bucket ({source.bucket})")]
    return []


def load(reader, panel, context: PanelContext) -> TalkerInputs:
    """Read the buckets of both windows, and the inventory file when one is configured."""
    options: TopTalkersOptions = panel.options
    bucket_s = int(reader.source_bucket(context.source_id).total_seconds())
    end = int(context.now.timestamp()) // bucket_s * bucket_s
    count = int(options.window.total_seconds()) // bucket_s
    buckets = [end - i * bucket_s for i in range(1, 2 * count + 1)]
    pairs = reader.flow_pairs(context.source_id, buckets)
    repaired = reader.source_status(context.source_id).get("repaired") or 0
    return TalkerInputs(pairs, read_inventory(options.inventory), bucket_s, repaired)


def read_inventory(path: str | None) -> dict[str, str]:
    """ip -> name from a CSV file with a header `ip,name`."""
    if not path:
        return {}
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["ip"].strip(): row["name"].strip() for row in csv.DictReader(handle)}


def rank(pairs: pd.DataFrame, by: str) -> pd.DataFrame:
    """Hosts with bytes, connections, distinct peers and rank (ties broken by address)."""
    if pairs.empty:
        return pd.DataFrame(columns=["host", "bytes", "connections", "peers", "rank"])
    columns = pairs[["host", "peer", "bytes", "connections"]].astype(
        {"host": str, "peer": str, "bytes": "int64", "connections": "int64"}
    )
    return rank_hosts(pa.Table.from_pandas(columns, preserve_index=False), by).to_pandas()


def compute(inputs: TalkerInputs, options: TopTalkersOptions, context: PanelContext) -> dict:
    """Rows for the configured ranks with share, peers, rank change and NEW."""
    window_s = int(options.window.total_seconds())
    end = int(context.now.timestamp()) // inputs.bucket_s * inputs.bucket_s
    recent = inputs.pairs[inputs.pairs["bucket"] >= end - window_s]
    current = rank(recent, options.by)
    previous = rank(inputs.pairs[inputs.pairs["bucket"] < end - window_s], options.by)
    before = dict(zip(previous["host"], previous["rank"], strict=True))
    total = float(current[options.by].sum()) if len(current) else 0.0
    first, last = options.ranks
    shown = current[(current["rank"] >= first) & (current["rank"] <= last)]
    rows = [_row(host, before, total, inputs.names, options) for host in shown.itertuples()]
    return {
        "by": options.by,
        "rows": rows,
        "total": total,
        "hosts": len(current),
        "window": f"{window_s // 3600}h" if window_s % 3600 == 0 else f"{window_s // 60}m",
        "had_previous": bool(len(previous)),
        "repaired": inputs.repaired,
        "highlight": any(r["alert"] for r in rows),
    }


def _row(host, before: dict, total: float, names: dict, options: TopTalkersOptions) -> dict:
    previous_rank = before.get(host.host)
    new = bool(before) and (previous_rank is None or previous_rank > PREVIOUS_TOP)
    value = float(getattr(host, options.by))
    share = round(value / total * 100, 1) if total else 0.0
    change = None if new or previous_rank is None else int(previous_rank - host.rank)
    return {
        "rank": int(host.rank),
        "host": host.host,
        "name": names.get(host.host),
        "value": value,
        "share": share,
        "peers": int(host.peers),
        "previous_rank": None if new or previous_rank is None else int(previous_rank),
        "change": change,
        "new": new,
        "alert": (new or (change or 0) >= options.jump) and share >= options.min_share,
    }


def format_value(value: float, by: str) -> str:
    """Bytes in decimal units (1.2 GB); connections as a count with separators."""
    if by == "connections":
        return f"{value:,.0f}"
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if value >= size:
            return f"{value / size:.1f} {unit}"
    return f"{value:.0f} B"


def render(payload: dict, options: TopTalkersOptions, view: View):
    """A ranked table with a bar per host; NEW entrants and big risers stand out."""
    rows = payload["rows"]
    if not rows:
        return html.Div("no traffic between internal hosts and the outside in this window",
                        className="panel-empty")  # fmt: skip
    top = max(r["value"] for r in rows) or 1
    first, last = options.ranks
    grid = {"gridTemplateRows": f"auto repeat({last - first + 1}, minmax(0, 1fr))"}
    head = html.Div(className="talker head", children=[
        html.Span("#"), html.Span("host"),
        html.Span(f"{payload['by']} out, last {payload['window']}"),
        html.Span("share"), html.Span("peers"), html.Span("rank"),
    ])  # fmt: skip
    return html.Div(className="talkers", style=grid,
                    children=[head] + [_row_view(r, top, options) for r in rows])  # fmt: skip


def _row_view(row: dict, top: float, options: TopTalkersOptions) -> html.Div:
    classes = "talker" + (" new" if row["new"] else "") + (" alert" if row["alert"] else "")
    label = [
        html.Span(row["name"], className="talker-name"),
        html.Span(row["host"], className="talker-ip"),
    ]
    if not row["name"]:
        label = [html.Span(row["host"], className="talker-name")]
    value = format_value(row["value"], options.by)
    bar = html.Span(className="talker-bar", style={"width": f"{row['value'] / top * 100:.1f}%"})
    return html.Div(className=classes, title=row["host"], children=[
        html.Span(str(row["rank"]), className="talker-rank"),
        html.Span(label, className="talker-host"),
        html.Span([bar, html.Span(value, className="talker-value")], className="talker-measure"),
        html.Span(_share_text(row["share"]), className="talker-share"),
        html.Span(f"{row['peers']:,}", className="talker-peers"),
        html.Span(_change_text(row), className="talker-change"),
    ])  # fmt: skip


def _share_text(share: float) -> str:
    return "<0.1%" if 0 < share < 0.1 or share == 0 else f"{share:.1f}%"


def _change_text(row: dict) -> str:
    if row["new"]:
        return "NEW"
    if row["change"] is None:
        return ""
    return (
        "=" if row["change"] == 0 else ("▲" if row["change"] > 0 else "▼") + f"{abs(row['change'])}"
    )
