"""How a suspicious_users payload looks: accounts with their reasons whole, sprays, the drawer."""

from socwall.verdict import row_state
from socwall.widgets.components import html
from socwall.widgets.context import View
from socwall.widgets.entity import drawer_row, entity

STATE_CLASS = {"alarm": " alert", "explained": " explained", "notice": " notice"}
ROOMY = 5  # this few accounts: each reason on its own line, in bigger type


def suspects_view(payload: dict, options, view: View):
    """A row per user: score bar and every reason in words (addresses whole); attempts on
    unknown names and password sprays below; the denominator last."""
    rows, sources, total = payload["rows"], payload["invalid_sources"], payload["invalid_total"]
    if not rows and not total["attempts"] and not payload.get("sprays"):
        return html.Div([html.Div("no account behaves unlike itself in this window",
                                  className="panel-empty"), _denominator(payload, options)])
    top = max((r["score"] for r in rows), default=1) or 1
    roomy = len(rows) <= ROOMY
    lines = [_row_view(payload, r, top, roomy, view) for r in rows]
    summary = (f"unknown user names: {total['attempts']:,} attempts from {total['sources']:,} "
               f"addresses on {total['names']:,} names")  # fmt: skip
    lines += [html.Div(summary, className="suspect-invalid")] if total["attempts"] else []
    lines += [html.Div([html.Span(s["src_ip"], className="ident"),
                        f": {s['attempts']:,} attempts on {s['names']:,} unknown user names"],
                       className="suspect-invalid") for s in sources]  # fmt: skip
    lines += [_spray_view(payload, s, view) for s in payload.get("sprays", [])]
    lines.append(_denominator(payload, options))
    weights = " ".join("minmax(min-content, 2fr)" if i < len(rows) else "minmax(min-content, 1fr)"
                       for i in range(len(lines) - 1))  # fmt: skip
    grid = {"gridTemplateRows": f"{weights} auto"}
    return html.Div(className="suspects" + (" roomy" if roomy else ""), style=grid,
                    children=lines)  # fmt: skip


def _denominator(payload: dict, options) -> "html.Div":
    """'2 of 40 accounts active in the last 24h stand out · 31 had failed logins'."""
    hours = options.window.total_seconds() / 3600
    window = f"{hours:g} h" if hours < 72 else f"{hours / 24:g} days"
    if "active" not in payload:  # a payload from before the counts were kept
        return html.Div("", className="suspect-count")
    return html.Div(f"{len(payload['rows'])} of {payload['active']:,} accounts active in the "
                    f"last {window} stand out · {payload['failing']:,} had failed logins",
                    className="suspect-count")  # fmt: skip


def _change(row: dict) -> str:
    if row["new"]:
        return "NEW"
    if row.get("first_window"):
        return "first"
    if row["change"] is None:
        return ""
    arrow = "▲" if row["change"] > 0 else "▼"
    return "=" if row["change"] == 0 else f"{arrow}{abs(row['change'])}"


def _row_view(payload: dict, row: dict, top: float, roomy: bool, view: View) -> "html.Div":
    state, because = row_state(payload, row["user"], "alarm" if row["alert"] else "calm")
    bar = html.Span(className="suspect-bar", style={"width": f"{row['score'] / top * 100:.0f}%"})
    reasons = [*row["reasons"], *([because] if because else [])]
    if roomy:  # one reason a line: the addresses in them are read whole
        said = [html.Span(r, className="suspect-reason") for r in reasons]
    else:
        said = [" · ".join(reasons)]
    opens = drawer_row(view, row["user"], f"sources and hosts of {row['user']}")
    return html.Div(className="suspect" + STATE_CLASS.get(state, ""), **opens, children=[
        html.Span(str(row["rank"]), className="suspect-rank"),
        html.Span([entity(row["user"], "user", view, "suspect-user"),
                   html.Span(_change(row), className="suspect-change")], className="suspect-who"),
        html.Span([bar, html.Span(f"{row['score']:g}", className="suspect-score")],
                  className="suspect-measure"),
        html.Span(said, className="suspect-reasons"),
    ])  # fmt: skip


def _spray_view(payload: dict, spray: dict, view: View) -> "html.Div":
    """'password spray: 45.148.10.240 tried 240 accounts, 0 exist', styled by its state."""
    row = f"spray:{spray['src_ip']}"
    state, _ = row_state(payload, row, "alarm" if spray["alert"] else "notice")
    opens = drawer_row(view, row, f"accounts tried by {spray['src_ip']}")
    return html.Div(["password spray: ", entity(spray["src_ip"], "host", view, ip=spray["src_ip"]),
                     f" tried {spray['accounts']:,} accounts, {spray['existing']:,} exist"],
                    className="suspect-invalid spray" + STATE_CLASS.get(state, ""),
                    **opens)  # fmt: skip


def suspect_drawer(payload: dict, row: str, view: View):
    """A user's source addresses and hosts, or the accounts a spraying address tried."""
    if row.startswith("spray:"):
        ip = row.removeprefix("spray:")
        tried = (payload.get("spray_accounts") or {}).get(ip, [])
        lines = [_line(entity(t["user"], "user", view), f"{t['attempts']:,} tries",
                       "exists" if t["exists"] else "no such user") for t in tried]  # fmt: skip
        return html.Div(className="drawer-body", children=[
            html.H2(["password spray from ", html.Span(ip, className="ident")]),
            html.P("accounts tried, most first", className="drawer-caption"), *lines])  # fmt: skip
    detail = (payload.get("details") or {}).get(row)
    if detail is None:
        return html.P("this account is no longer in the list", className="drawer-empty")
    reasons = next((r["reasons"] for r in payload["rows"] if r["user"] == row), [])
    sources = [_line(entity(s["ip"], "host", view, ip=s["ip"]) if s["ip"] != "local"
                     else html.Span("local (no address)"), f"{s['failed']:,} failed",
                     f"{s['succeeded']:,} succeeded") for s in detail["sources"]]  # fmt: skip
    hosts = [_line(entity(h["host"], "host", view, host=h["host"]), f"{h['logins']:,} logins")
             for h in detail["hosts"]]  # fmt: skip
    return html.Div(className="drawer-body", children=[
        html.H2(entity(row, "user", view)),
        *[html.P(r, className="drawer-reason") for r in reasons],
        html.P("source addresses", className="drawer-caption"), *sources,
        html.P("hosts logged in to" if hosts else "no login succeeded", className="drawer-caption"),
        *hosts,
    ])  # fmt: skip


def _line(*parts) -> "html.Div":
    return html.Div([parts[0], *(html.Span(p, className="drawer-num") for p in parts[1:])],
                    className="drawer-line")  # fmt: skip
