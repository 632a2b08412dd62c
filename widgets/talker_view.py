"""How a top_talkers payload looks: the ranked table, its denominator, the drawer of one host."""

from socwall.verdict import row_state
from socwall.widgets.components import html
from socwall.widgets.context import View
from socwall.widgets.entity import drawer_row, entity
from socwall.widgets.units import abbreviate, bytes_text

EVIDENCE_PEERS = 2  # outside addresses named on a NEW or highlighted row itself


def format_value(value: float, by: str) -> str:
    """Bytes in decimal units (1.2 GB); connections as a count with separators."""
    return abbreviate(value) if by == "connections" else bytes_text(value)


def talkers_view(payload: dict, options, view: View):
    """A ranked table with a bar per host; NEW entrants and big risers stand out with the
    outside addresses they talk to; the denominator below."""
    rows = payload["rows"]
    if not rows:
        return html.Div("no traffic between internal hosts and the outside in this window",
                        className="panel-empty")  # fmt: skip
    top = payload.get("top") or max(r["value"] for r in rows) or 1  # ranks 11-20 look smaller
    first, last = options.ranks
    grid = {"gridTemplateRows": f"auto repeat({last - first + 1}, minmax(min-content, 1fr)) auto"}
    head = html.Div(className="talker head", children=[
        html.Span("#"), html.Span("host"), html.Span(payload["by"]),
        html.Span("share"), html.Span("peers"), html.Span("rank"),
    ])  # fmt: skip
    rows_view = [_row_view(payload, r, top, options, view) for r in rows]
    padding = [html.Div(className="talker filler") for _ in range(last - first + 1 - len(rows))]
    return html.Div(className="talkers", style=grid,
                    children=[head, *rows_view, *padding, _footer(payload)])  # fmt: skip


def _footer(payload: dict) -> "html.Div":
    """'ranks 1-10 of 31 hosts talking to the outside', then the cleaning counts, smaller."""
    rows = payload["rows"]
    shown = f"ranks {rows[0]['rank']}-{rows[-1]['rank']}" if len(rows) > 1 else "rank 1"
    header = payload.get("header") or f"{payload['by']} out"
    hosts = f"{payload['hosts']:,} host" + ("s" if payload["hosts"] != 1 else "")
    words = (f"{shown} of {hosts} talking to the outside · {header}, "
             f"last {payload['window']}")  # fmt: skip
    if payload.get("first_window"):
        words += " · first window: nothing to compare with yet"
    cleaning = (f"{payload.get('repaired', 0):,} reversed records repaired · "
                f"{payload.get('ports_cleared', 0):,} ICMP/other ports cleared")  # fmt: skip
    return html.Div(className="talkers-footer", children=[
        html.Span(words, className="talkers-count"),
        html.Span(cleaning, className="caption"),
    ])  # fmt: skip


def _row_view(payload: dict, row: dict, top: float, options, view: View) -> "html.Div":
    state, because = row_state(payload, row["host"], "alarm" if row["alert"] else "calm")
    classes = "talker" + (" new" if row["new"] else "") + {
        "alarm": " alert", "explained": " explained", "notice": " notice"}.get(state, "")
    name = row["name"] or row["host"]
    label = [entity(name, "host", view, "talker-name", ip=row["host"], host=row["name"] or "")]
    if row["name"] and row["name"] != row["host"]:  # a visitor's pseudonym once, not twice
        label.append(entity(row["host"], "host", view, "talker-ip", ip=row["host"]))
    if row.get("hbi"):
        label.append(html.Span("HBI", className="talker-hbi"))
    if row.get("maintenance"):
        first = row["maintenance"].split(" ", 1)[0]  # a ticket id when the title starts with one
        short = "maint. " + first if any(c.isdigit() for c in first) else "maintenance"
        label.append(html.Span(short, className="talker-maint",
                               title=f"in maintenance: {row['maintenance']}"))  # fmt: skip
    # a calm NEW entrant below the top 10 keeps its peers for the drawer: ten of them named
    # on their rows would not fit the ranks 11-20 panel
    if (state != "calm" or (row["new"] and options.ranks[0] == 1)) and row.get("top_peers"):
        label.append(_evidence(row, options, because))
    value = format_value(row["value"], options.by)
    width = min(100.0, row["value"] / top * 100)
    bar = html.Span(className="talker-bar", style={"width": f"{width:.1f}%"})
    opens = drawer_row(view, row["host"], f"outside peers of {name}")
    return html.Div(className=classes, title=because or row["host"], **opens, children=[
        html.Span(str(row["rank"]), className="talker-rank"),
        html.Span(label, className="talker-host"),
        html.Span([bar, html.Span(value, className="talker-value")], className="talker-measure"),
        html.Span(_share_text(row["share"]), className="talker-share"),
        html.Span(abbreviate(row["peers"]), className="talker-peers"),
        html.Span(_change_text(row), className="talker-change"),
    ])  # fmt: skip


def _evidence(row: dict, options, because: str | None) -> "html.Span":
    """'→ 23.149.115.148 1.4 GB': where a NEW or highlighted host sends, on its own line."""
    parts: list = ["→ "]
    for number, peer in enumerate(row["top_peers"][:EVIDENCE_PEERS]):
        parts += [", "] if number else []
        parts += [html.Span(peer["peer"], className="ident"), f" {_amount(peer, options.by)}"]
    more = row["peers"] - min(len(row["top_peers"]), EVIDENCE_PEERS)
    parts += [f" and {more:,} more"] if more > 0 else []
    parts += [f" · {because}"] if because else []
    return html.Span(parts, className="talker-evidence")


def _amount(peer: dict, by: str) -> str:
    """'1.4 GB' or '91 connections': what a peer got, with its unit."""
    if by == "connections":
        count = peer["connections"]
        return f"{abbreviate(count)} connection{'s' if count != 1 else ''}"
    return bytes_text(peer["bytes"])


def _share_text(share: float) -> str:
    if share >= 99.95:
        return "100%"
    return "<0.1%" if 0 < share < 0.1 or share == 0 else f"{share:.1f}%"


def _change_text(row: dict) -> str:
    if row["new"]:
        return "NEW"
    if row.get("first_window"):
        return "first"
    if row["change"] is None:
        return "–"
    return (
        "=" if row["change"] == 0 else ("▲" if row["change"] > 0 else "▼") + f"{abs(row['change'])}"
    )


def talker_drawer(payload: dict, host: str, options, view: View):
    """One host's top outside peers over the window, with bytes, connections and share."""
    row = next((r for r in payload["rows"] if r["host"] == host), None)
    if row is None:
        return html.P("this host is no longer in the list", className="drawer-empty")
    name = row["name"] or row["host"]
    total = sum(p[options.by] for p in row["top_peers"]) or 1
    lines = [html.Div(className="drawer-line", children=[
        entity(p["peer"], "host", view, ip=p["peer"]),
        html.Span(format_value(p["bytes"], "bytes"), className="drawer-num"),
        html.Span(f"{p['connections']:,} conn.", className="drawer-num"),
        html.Span(f"{p[options.by] / total * 100:.0f}%", className="drawer-num"),
    ]) for p in row["top_peers"]]  # fmt: skip
    more = row["peers"] - len(row["top_peers"])
    return html.Div(className="drawer-body", children=[
        html.H2([entity(name, "host", view, ip=row["host"], host=row["name"] or ""),
                 html.Span(f" {row['host']}", className="ident")
                 if row["name"] and row["name"] != row["host"] else ""]),
        html.P(f"top outside peers, last {payload['window']}: address, bytes, connections, "
               f"share of these {len(row['top_peers'])}", className="drawer-caption"),
        *lines,
        html.P(f"and {more:,} more peers" if more > 0 else "", className="drawer-caption"),
    ])  # fmt: skip
