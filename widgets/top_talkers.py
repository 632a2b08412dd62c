"""top_talkers: internal hosts that send the most to the outside, with rank change and NEW."""

import csv
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
import pyarrow as pa

from socwall.durations import format_duration
from socwall.feeds import inventory
from socwall.feeds.flow_sums import PAIR_SUMS, rank_hosts
from socwall.verdict import ticket_of
from socwall.widgets.context import PanelContext, View
from socwall.widgets.talker_view import abbreviate, format_value, talker_drawer, talkers_view
from socwall.widgets.top_talkers_options import (  # noqa: F401  (the widget's parts)
    Options,
    TopTalkersOptions,
    check,
    check_sources,
    needs_source,
    source_types,
)

__all__ = ["abbreviate", "format_value"]  # the view's formatting, used by tests and docs

PREVIOUS_TOP = 20  # a host not in the previous window's top 20 is NEW
PEERS_KEPT = 8  # outside peers kept per shown host: two on the row, all in the drawer


HEADERS = {
    ("bytes", "both"): "bytes sent (opened by us + answers)",
    ("bytes", "out"): "bytes sent on connections we opened",
    ("bytes", "in"): "bytes answered to outside clients",
    ("connections", "out"): "connections opened to the outside",
    ("connections", "in"): "connections from the outside",
    ("connections", "both"): "connections with the outside",
}


@dataclass(frozen=True)
class TalkerInputs:
    """Host/peer sums per bucket, host sums per window (or none: summed from the pairs), and
    host names. With `totals` (read that way from the store), `pairs` need only hold the
    window's pairs of the hosts shown."""

    pairs: pd.DataFrame  # columns: bucket (epoch s), host, peer, bytes, connections, ...
    names: dict[str, str]
    bucket_s: int
    repaired: int = 0  # flows swapped because they were recorded backwards, in the window
    ports_cleared: int = 0  # ports of non-TCP/UDP flows cleared, in the window
    hbi: frozenset = frozenset()  # addresses of high-business-impact hosts
    maintenance: dict | None = None  # address -> title of the change running on it now
    totals: tuple | None = None  # per window, the current first: host, bytes, connections, ...


def window_buckets(now_s: int, bucket_s: int, window_s: int, windows: int) -> list[int]:
    """Bucket starts of `windows` windows ending with the current (still filling) bucket."""
    current = now_s // bucket_s * bucket_s
    return [current - i * bucket_s for i in range(windows * window_s // bucket_s)]


def load(reader, panel, context: PanelContext) -> TalkerInputs:
    """Read host sums of the window and the `new_after` windows before, the pairs of the hosts
    shown, the cleaning counts of the window, and the inventory file when one is configured."""
    options: TopTalkersOptions = panel.options
    bucket_s = int(reader.source_bucket(context.source_id).total_seconds())
    window_s = int(options.window.total_seconds())
    now_s = int(context.now.timestamp())
    buckets = window_buckets(now_s, bucket_s, window_s, options.new_after + 1)
    per_window = window_s // bucket_s  # an hour inside one window is read from its rollup
    windows = [buckets[i : i + per_window] for i in range(0, len(buckets), per_window)]

    def ranked_then_peers(source):  # one read: the peers are of the state the ranks are of
        totals = tuple(source.flow_host_sums(context.source_id, windows, bucket_s))
        shown = shown_hosts(rank_totals(totals[0], options.by, options.flow_direction), options)
        hosts = list(shown["host"])
        return totals, source.flow_host_pairs(context.source_id, windows[0], bucket_s, hosts)

    consistently = getattr(reader, "flow_consistently", None)
    totals, pairs = (consistently(context.source_id, windows, bucket_s, ranked_then_peers)
                     if consistently else ranked_then_peers(reader))  # fmt: skip
    recent = (datetime.fromtimestamp(buckets[window_s // bucket_s - 1], UTC), context.now)
    cleaning = {name: float(reader.metric_series(context.source_id, name, [recent]).sum())
                for name in ("repaired", "cleared")}  # fmt: skip
    assets = inventory.read_inventory(options.inventory)
    names = {ip: asset.name for ip, asset in assets.items()}
    hbi = frozenset(ip for ip, asset in assets.items() if asset.hbi)
    known = (reader.document(options.changes, "changes") or []) if options.changes else []
    running = {host: _named(c) for c in known if c["start"] <= context.now.isoformat() < c["end"]
               for host in (h.lower() for h in c["hosts"])}  # fmt: skip
    maintenance = {ip: running[a.name.lower()] for ip, a in assets.items()
                   if a.name.lower() in running}  # fmt: skip
    return TalkerInputs(pairs, names, bucket_s, int(cleaning["repaired"]), int(cleaning["cleared"]),
                        hbi, maintenance, totals)  # fmt: skip


def _named(change: dict) -> str:
    """'CHG-1051 SAN firmware update': the title led by its ticket id, once."""
    ticket, title = ticket_of(change), change["title"]
    return title if title.startswith(ticket) else f"{ticket} {title}"


def read_inventory(path: str | None) -> dict[str, str]:
    """ip -> name from a CSV file with a header `ip,name`."""
    if not path:
        return {}
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["ip"].strip(): row["name"].strip() for row in csv.DictReader(handle)}


def directed(pairs: pd.DataFrame, direction: str) -> pd.DataFrame:
    """bytes and connections of one direction: opened by the host (out), answers (in), both.
    Sums stored before directions were kept count as opened."""
    frame = filled(pairs)
    for total, part in (("bytes", "bytes_opened"), ("connections", "opened")):
        if direction == "out":
            frame[total] = frame[part]
        elif direction == "in":
            frame[total] = frame[total] - frame[part]
    return frame


def filled(pairs: pd.DataFrame) -> pd.DataFrame:
    """A copy with bytes_opened and opened; sums stored before directions were kept (missing,
    or NaN beside newer ones) count as opened."""
    frame = pairs.copy()
    for total, part in (("bytes", "bytes_opened"), ("connections", "opened")):
        frame[part] = frame[part].fillna(frame[total]) if part in frame else frame[total]
    return frame


def window_totals(pairs: pd.DataFrame, start: int, window_s: int, before: int) -> tuple:
    """Host sums of the window starting at `start` and of the `before` windows before it."""
    edges = [start - k * window_s for k in range(before + 1)]
    frame = filled(pairs)
    parts = [frame[frame["bucket"] >= edges[0]]] + [
        frame[(frame["bucket"] >= low) & (frame["bucket"] < high)]
        for low, high in zip(edges[1:], edges, strict=False)
    ]  # fmt: skip
    return tuple(part.groupby(part["host"].astype(str))[list(PAIR_SUMS)].sum().reset_index()
                 for part in parts)  # fmt: skip


def rank_totals(totals: pd.DataFrame, by: str, direction: str) -> pd.DataFrame:
    """Hosts with something in this direction, by `by` (rounded as rank_hosts does), ties by
    address: the same ranks as `rank` of the pairs these totals sum, all values being >= 0."""
    frame = directed(totals, direction)
    frame = frame[frame[by] > 0]
    frame = frame.assign(host=frame["host"].astype(str),
                         **{by: frame[by].astype("float64").round().astype("int64")})
    frame = frame.sort_values([by, "host"], ascending=[False, True], kind="stable")
    return frame.assign(rank=range(1, len(frame) + 1)).reset_index(drop=True)


def shown_hosts(ranked: pd.DataFrame, options: TopTalkersOptions) -> pd.DataFrame:
    """The ranked hosts the panel shows."""
    first, last = options.ranks
    return ranked[(ranked["rank"] >= first) & (ranked["rank"] <= last)]


def rank(pairs: pd.DataFrame, by: str, direction: str = "both") -> pd.DataFrame:
    """Hosts with bytes, connections, distinct peers and rank (ties broken by address); hosts
    with nothing in this direction are not ranked (a scanned host opened no connection). Pairs
    are summed over the window first: the answer does not depend on the bucket size (hourly
    rollups and 5-minute buckets rank alike: flow_sums.rank_hosts)."""
    if pairs.empty:
        return pd.DataFrame(columns=["host", "bytes", "connections", "peers", "rank"])
    frame = directed(pairs, direction)
    columns = frame[["host", "peer", "bytes", "connections"]]
    ranked = rank_hosts(pa.Table.from_pandas(columns, preserve_index=False), by).to_pandas()
    if ranked.empty:
        return pd.DataFrame(columns=["host", "bytes", "connections", "peers", "rank"])
    return ranked


def compute(inputs: TalkerInputs, options: TopTalkersOptions, context: PanelContext) -> dict:
    """Rows for the configured ranks with share, peers, rank change and NEW."""
    window_s = int(options.window.total_seconds())
    current_bucket = int(context.now.timestamp()) // inputs.bucket_s * inputs.bucket_s
    start = current_bucket + inputs.bucket_s - window_s
    by, direction = options.by, options.flow_direction
    window = inputs.pairs[inputs.pairs["bucket"] >= start]
    totals = inputs.totals
    if totals is None:
        totals = window_totals(inputs.pairs, start, window_s, options.new_after)
    current, *earlier = (rank_totals(sums, by, direction) for sums in totals)
    seen_before = {h for ranked in earlier for h in ranked["host"][ranked["rank"] <= PREVIOUS_TOP]}
    first_window = all(ranked.empty for ranked in earlier)
    before = dict(zip(earlier[0]["host"], earlier[0]["rank"], strict=True))
    total = float(current[by].sum()) if len(current) else 0.0
    shown = shown_hosts(current, options)
    sums = peer_sums(window, list(shown["host"]), by, direction)
    shown = shown.assign(peers=shown["host"].map(sums.groupby("host").size()).fillna(0))
    rows = [_row(host, before, seen_before, first_window, total, inputs.names, options)
            for host in shown.itertuples()]  # fmt: skip
    peers = top_peers(sums)
    for row in rows:  # crown jewels: NEW or a jump counts whatever the share
        row["hbi"] = row["host"] in inputs.hbi
        row["maintenance"] = (inputs.maintenance or {}).get(row["host"])
        row["alert"] = row["alert"] or (row["hbi"] and row["rise"])
        row["top_peers"] = peers.get(row["host"], [])
    return {
        "facts": [talker_fact(row, options, context, start) for row in rows if row["alert"]],
        "by": by,
        "direction": direction,
        "header": HEADERS[(by, direction)],
        "rows": rows,
        "top": float(current[by].max()) if len(current) else 0.0,
        "total": total,
        "hosts": len(current),
        "window": format_duration(options.window),
        "first_window": first_window,
        "partial_from": datetime.fromtimestamp(current_bucket, UTC).isoformat(),
        "repaired": inputs.repaired,
        "ports_cleared": inputs.ports_cleared,
        "highlight": any(r["alert"] for r in rows),
    }


def peer_sums(window: pd.DataFrame, hosts: list[str], by: str, direction: str) -> pd.DataFrame:
    """These hosts' peers with something in this direction over the window, summed; per host
    the most `by` first."""
    mine = directed(window[window["host"].astype(str).isin(hosts)], direction)
    sums = mine.groupby([mine["host"].astype(str), mine["peer"].astype(str)])[
        ["bytes", "connections"]].sum().reset_index()  # fmt: skip
    return sums[sums[by] > 0].sort_values([by, "peer"], ascending=[False, True], kind="stable")


def top_peers(sums: pd.DataFrame) -> dict:
    """Per shown host its outside peers with the most `by` over the window, largest first."""
    return {host: [{"peer": p.peer, "bytes": float(p.bytes), "connections": int(p.connections)}
                   for p in group.head(PEERS_KEPT).itertuples()]
            for host, group in sums.groupby("host", sort=False)}  # fmt: skip


def talker_fact(row: dict, options: TopTalkersOptions, context: PanelContext, start: int) -> dict:
    """A NEW entrant or a big riser: an alarm about that host over the window (its own
    maintenance explains it), in words with the outside address it talks to most."""
    name = f"{row['name']} ({row['host']})" if row["name"] else row["host"]
    what = "NEW" if row["new"] else f"up {row['change']} ranks"
    text = f"{name} {what} at #{row['rank']}"
    if row["top_peers"]:
        top = row["top_peers"][0]
        unit = "" if options.by == "bytes" else " connections"
        text += f", most to {top['peer']} ({format_value(top[options.by], options.by)}{unit})"
    return {"kind": "new_talker" if row["new"] else "rank_jump", "severity": "alarm",
            "row": row["host"], "text": text, "hosts": [row["host"], *filter(None, [row["name"]])],
            "start": datetime.fromtimestamp(start, UTC).isoformat(),
            "end": context.now.isoformat()}  # fmt: skip


def _row(host, before, seen_before, first_window, total, names, options) -> dict:
    previous_rank = before.get(host.host)
    new = not first_window and host.host not in seen_before
    value = float(getattr(host, options.by))
    share = value / total * 100 if total else 0.0
    change = None if new or previous_rank is None else int(previous_rank - host.rank)
    return {
        "rank": int(host.rank),
        "host": host.host,
        "name": names.get(host.host),
        "value": value,
        "share": round(share, 1),
        "peers": int(host.peers),
        "previous_rank": None if new or previous_rank is None else int(previous_rank),
        "change": change,
        "new": new,
        "first_window": first_window,
        "rise": new or (change or 0) >= options.jump,
        "alert": (new or (change or 0) >= options.jump) and share >= options.min_share,
    }


def render(payload: dict, options: TopTalkersOptions, view: View):
    """A ranked table with a bar per host; NEW entrants and big risers stand out with the
    outside addresses they talk to."""
    return talkers_view(payload, options, view)


def drawer(payload: dict, row: str, options: TopTalkersOptions, view: View):
    """The side drawer of one row: that host's top outside peers over the window."""
    return talker_drawer(payload, row, options, view)
