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
PREVIOUS_TOP = 20  # a host not in the top 20 of any of the last windows is NEW


class TopTalkersOptions(Strict):
    window: Duration = Field(
        "1h", description="ranked over the last window; compared with the one before"
    )
    by: Literal["bytes", "connections"] = "bytes"
    direction: Literal["out", "in", "both"] | None = Field(
        None,
        description="out: flows our host opened to the outside; in: its answers to outside "
        "clients; both. Default: both for bytes, out for connections",
    )
    ranks: tuple[int, int] = Field((1, 10), description="[first, last] rank shown, e.g. [11, 20]")
    inventory: ConfigPath | None = Field(None, description="CSV with columns ip,name")
    jump: int = Field(5, ge=1, description="a rise of this many ranks is highlighted")
    min_share: float = Field(
        0.5, ge=0, description="NEW or risen hosts below this % of the total are not highlighted"
    )
    new_after: Duration = Field(
        "3h", description="NEW = not in the top 20 of any window of this long a history"
    )

    @model_validator(mode="after")
    def _ranks_in_order(self) -> "TopTalkersOptions":
        first, last = self.ranks
        if not 1 <= first <= last or last - first >= 20:
            raise ValueError("ranks must be [first, last] with 1 <= first <= last, at most 20 rows")
        return self


    def flow_direction(self) -> str:
        """The configured direction, or the default for `by`."""
        return self.direction or ("out" if self.by == "connections" else "both")


Options = TopTalkersOptions


@dataclass(frozen=True)
class TalkerInputs:
    """Host/peer sums per bucket over the window and the window before it, and host names."""

    pairs: pd.DataFrame  # columns: bucket (epoch s), host, peer, bytes, connections
    names: dict[str, str]
    bucket_s: int
    repaired: int = 0  # flows the source swapped because they were recorded backwards
    ports_cleared: int = 0  # ICMP/other flows whose meaningless ports the source cleared


def check(options: TopTalkersOptions, source) -> list[tuple[str, str]]:
    if options.window % source.bucket:
        return [("window", f"must be a multiple of the source bucket ({source.bucket})")]
    if options.new_after < options.window:
        return [("new_after", f"must be at least the window ({options.window})")]
    return []


def load(reader, panel, context: PanelContext) -> TalkerInputs:
    """Read the window (up to now, the filling bucket included) and the history before it."""
    options: TopTalkersOptions = panel.options
    bucket_s = int(reader.source_bucket(context.source_id).total_seconds())
    end = window_end(context.now, bucket_s)
    span = options.window + max(options.new_after, options.window)
    count = int(span.total_seconds()) // bucket_s
    buckets = [end - i * bucket_s for i in range(1, count + 1)]
    pairs = reader.flow_pairs(context.source_id, buckets)
    status = reader.source_status(context.source_id) or {}
    return TalkerInputs(pairs, read_inventory(options.inventory), bucket_s,
                        status.get("repaired") or 0, status.get("ports_cleared") or 0)  # fmt: skip


def window_end(now, bucket_s: int) -> int:
    """`now` rounded up to a bucket end: the still-filling bucket is part of the window."""
    return -(-int(now.timestamp()) // bucket_s) * bucket_s


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
    end = window_end(context.now, inputs.bucket_s)
    pairs = directed(inputs.pairs, options.flow_direction())
    current = rank(pairs[pairs["bucket"] >= end - window_s], options.by)
    previous = rank(pairs[(pairs["bucket"] < end - window_s)
                          & (pairs["bucket"] >= end - 2 * window_s)], options.by)  # fmt: skip
    before = dict(zip(previous["host"], previous["rank"], strict=True))
    known = _known_hosts(pairs[pairs["bucket"] < end - window_s], end - window_s, window_s, options)
    total = float(current[options.by].sum()) if len(current) else 0.0
    first, last = options.ranks
    shown = current[(current["rank"] >= first) & (current["rank"] <= last)]
    has_history = bool(known)
    rows = [_row(h, before, known, total, inputs.names, options) for h in shown.itertuples()]
    return {
        "by": options.by,
        "direction": options.flow_direction(),
        "rows": rows,
        "total": total,
        "top_value": float(current[options.by].iloc[0]) if len(current) else 0.0,
        "hosts": len(current),
        "window": f"{window_s // 3600}h" if window_s % 3600 == 0 else f"{window_s // 60}m",
        "had_previous": has_history,
        "partial_s": end - int(context.now.timestamp()),  # seconds the newest bucket still lacks
        "repaired": inputs.repaired,
        "ports_cleared": inputs.ports_cleared,
        "highlight": any(r["alert"] for r in rows),
    }


def directed(pairs: pd.DataFrame, direction: str) -> pd.DataFrame:
    """The flows our host opened (out), the ones outside clients opened (in), or all of them."""
    if direction == "both" or pairs.empty:
        return pairs
    if "opened" not in pairs:  # written before the source recorded who opened a flow
        return pairs.iloc[0:0]
    return pairs[pairs["opened"] == (1 if direction == "out" else 0)]


def _known_hosts(history: pd.DataFrame, start: int, window_s: int, options) -> set[str]:
    """Hosts in the top 20 of any whole window of the history before `start`."""
    known: set[str] = set()
    windows = int(options.new_after.total_seconds()) // window_s
    for i in range(1, windows + 1):
        part = history[(history["bucket"] >= start - i * window_s)
                       & (history["bucket"] < start - (i - 1) * window_s)]  # fmt: skip
        ranked = rank(part, options.by)
        known.update(ranked[ranked["rank"] <= PREVIOUS_TOP]["host"])
    return known


def _row(host, before: dict, known: set, total: float, names: dict, options) -> dict:
    previous_rank = before.get(host.host)
    new = bool(known) and host.host not in known
    value = float(getattr(host, options.by))
    exact_share = value / total * 100 if total else 0.0
    share = round(exact_share, 1)
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
        "alert": (new or (change or 0) >= options.jump) and exact_share >= options.min_share,
    }


def format_count(value: float) -> str:
    """A count short enough for a narrow column: 987, 11.7k, 4.2M."""
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= size * 0.9995 and (value >= 10_000 or unit != "k"):
            return f"{value / size:.1f}{unit}"
    return f"{value:,.0f}"


def format_value(value: float, by: str) -> str:
    """Bytes in decimal units (1.2 GB); connections as a short count (11.7k)."""
    if by == "connections":
        return format_count(value)
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
    top = payload.get("top_value") or max(r["value"] for r in rows) or 1
    first, last = options.ranks
    grid = {"gridTemplateRows": f"auto repeat({last - first + 1}, minmax(0, 1fr)) auto"}
    head = html.Div(className="talker head", children=[
        html.Span("#"), html.Span("host"),
        html.Span(f"{measure(payload['by'], payload.get('direction', 'both'))}, "
                  f"last {payload['window']}"),
        html.Span("share"), html.Span("peers"),
        html.Span("rank" if payload["had_previous"] else "first window"),
    ])  # fmt: skip
    body = [_row_view(r, top, options) for r in rows]
    return html.Div(className="talkers", style=grid, children=[head, *body, _footer(payload)])


def measure(by: str, direction: str) -> str:
    """The column header: what is summed, and which side opened the flows counted."""
    what = {"bytes": "bytes sent", "connections": "connections"}[by]
    side = {"out": "opened by us", "in": "answers to outside clients",
            "both": "opened by us + answers"}[direction]  # fmt: skip
    return f"{what}, {side}"


def _footer(payload: dict) -> html.Div:
    """The source's cleaning, in words, so repaired and cleared records are never invisible."""
    parts = [f"{payload.get('repaired') or 0:,} reversed records repaired",
             f"{payload.get('ports_cleared') or 0:,} ICMP/other ports cleared"]  # fmt: skip
    if payload.get("partial_s"):
        parts.insert(0, f"newest {payload['partial_s'] // 60 + 1} min still filling")
    return html.Div(" · ".join(parts), className="talker-foot")


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
        html.Span(format_count(row["peers"]), className="talker-peers"),
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
