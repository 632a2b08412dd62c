"""How the `sensors` rows look: a line each, the ones that need someone first and in words."""

from socwall.widgets.components import html
from socwall.widgets.context import View

STATE_MARK = {"alarm": "●", "notice": "◐", "calm": "○"}


def render_rows(payload: dict, view: View):
    """The summary, then a line per row: mark, name, count, bullet bar, usual, words."""
    rows = payload["rows"]
    if not rows:
        return html.Div("no source reads records yet: nothing to watch", className="panel-empty")
    summary = payload["summary"]
    if payload["more"]:
        hidden = payload.get("more_alarms") or 0
        summary += f" · {payload['more']} more not shown" + (
            f" ({hidden} need attention)" if hidden else "")  # fmt: skip
    head = html.Div(className="sensor head", children=[
        html.Span(""), html.Span("source"), html.Span(f"last {payload['quiet']} min"),
        html.Span("band, week ago ▏"), html.Span("usually"), html.Span("")])  # fmt: skip
    return html.Div(className="sensors", children=[
        html.Div(summary, className="sensors-summary" + (" alert" if payload["facts"] else "")),
        html.Div(className="sensors-rows", children=[head, *(_row(r) for r in rows)]),
    ])  # fmt: skip


def _row(row: dict) -> "html.Div":
    classes = f"sensor {row['kind']} {row['level']} state-{row['state']}"
    name = [html.Span(row["name"], className="sensor-name-text")]
    if row["kind"] != "source":
        name.insert(0, html.Span("└", className="sensor-indent"))
    count = [html.Span(row["count"], className="sensor-count-value")]
    if row.get("per_min") is not None:
        count.append(html.Span(f"{row['per_min']:g}/min", className="sensor-rate"))
    return html.Div(className=classes, title=row["words"], children=[
        html.Span(STATE_MARK[row["level"]], className="sensor-mark"),
        html.Span(name, className="sensor-name"),
        html.Span(count, className="sensor-count"),
        _bar(row.get("bar")),
        html.Span(row["usual"], className="sensor-usual"),
        html.Span(row["words"], className="sensor-words"),
    ])  # fmt: skip


def _bar(bar: dict | None) -> "html.Span":
    """A bullet bar: the band shaded, the week-ago tick, the current count as the bar."""
    if not bar:
        return html.Span(className="sensor-bar empty")
    parts = []
    if bar.get("low") is not None:
        parts.append(html.Span(className="sensor-band", style={
            "left": f"{bar['low']}%", "width": f"{max(bar['high'] - bar['low'], 0.5)}%"}))
    parts.append(html.Span(className="sensor-value", style={"width": f"{bar['value']}%"}))
    if bar.get("week") is not None:
        parts.append(html.Span(className="sensor-week", style={"left": f"{bar['week']}%"}))
    return html.Span(parts, className="sensor-bar")
