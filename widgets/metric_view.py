"""How a metric_compare payload looks: the big value, its verdict in words, chart and legend."""

from socwall.verdict import row_state
from socwall.widgets import theme
from socwall.widgets.components import dcc, html
from socwall.widgets.context import View

VERDICT_WORDS = {"above": "above normal", "below": "below normal", None: "normal"}


def format_value(value: float | None, options) -> str:
    """1234.5 -> '1,235' (or with the configured decimals and unit)."""
    if value is None:
        return "–"
    text = f"{value:,.{options.decimals}f}"
    return f"{text} {options.unit}".strip()


def metric_view(payload: dict, options, view: View) -> "html.Div":
    """The big value with its week-ago change and band verdict, above the chart with a legend."""
    state, because = row_state(payload, "current", "alarm" if payload.get("highlight") else "calm")
    return html.Div(
        className=f"metric {state}",
        children=[
            html.Div(className="metric-head", children=headline(payload, options, because)),
            dcc.Graph(
                figure=figure(payload, options, view),
                config=theme.GRAPH_CONFIG,
                className="metric-graph",
                responsive=True,
                style={"height": "100%", "width": "100%"},
            ),
        ],
    )


def headline(payload: dict, options, because: str | None = None) -> list:
    """The value, the window it sums, the change against a week ago, the band and its verdict."""
    change = payload["change_pct"]
    arrow = "" if change is None else ("▲" if change > 0 else "▼" if change < 0 else "=")
    change_text = (
        "no week-ago data" if change is None else f"{arrow} {abs(change):.0f}% vs week ago"
    )
    band_values = payload["band_current"]
    verdict = VERDICT_WORDS[payload["outside"]]
    if payload.get("near_band"):
        verdict = "near normal"
    band_text = "band: not enough history"
    if band_values is not None:
        low, high = (format_value(v, options) for v in band_values)
        band_text = f"{verdict} ({low}–{high})"
    if because and payload["outside"]:  # the frame says why under the title
        band_text += ", explained"
    span_text = f"{payload['current_from']}–{payload['current_to']} · chart per {payload['per']}"
    return [
        html.Span(format_value(payload["current"], options), className="metric-value"),
        html.Span(
            className="metric-context",
            children=[
                html.Span(span_text, className="metric-span"),
                html.Span(change_text, className="metric-change"),
                html.Span(band_text, className=f"metric-band {payload['outside'] or 'inside'}"),
            ],
        ),
    ]


def figure(payload: dict, options, view: View) -> dict:
    """Today (solid), a week ago (dotted), the band (grey); a legend in the top corner; hover
    gives the band as low–high."""
    x, unit, decimals = payload["x"], options.unit, options.decimals
    value = f"%{{y:,.{decimals}f}} {unit}".strip()
    band_name = f"normal band ({options.band})"
    traces = [
        {"x": x, "y": payload["band_low"], "mode": "lines", "line": {"width": 0},
         "name": "band low", "hoverinfo": "skip", "type": "scatter", "showlegend": False},
        {"x": x, "y": payload["band_high"], "mode": "lines", "line": {"width": 0},
         "fill": "tonexty", "fillcolor": theme.BAND, "name": band_name, "type": "scatter",
         "customdata": payload["band_low"],
         "hovertemplate": f"%{{customdata:,.{decimals}f}}–{value}<extra>{band_name}</extra>"},
        {"x": x, "y": payload["week_ago"], "mode": "lines", "name": "week ago", "type": "scatter",
         "line": {"color": theme.WEEK_AGO, "dash": "dot", "width": view.line(2.5)},
         "hovertemplate": f"{value}<extra>week ago</extra>"},
        {"x": x[: len(payload["today"])], "y": payload["today"], "mode": "lines", "name": "today",
         "type": "scatter", "line": {"color": theme.TODAY, "width": view.line(3)},
         "hovertemplate": f"{value}<extra>today</extra>"},
    ]  # fmt: skip
    layout = theme.figure_layout(view, showlegend=True, legend=theme.legend(view))
    layout["margin"] = {**layout["margin"], "t": view.px(30)}  # the legend's line
    # the day and no more: a change label's text must not widen the axis
    layout["xaxis"] = {**layout["xaxis"], "tickformat": "%H:%M", "nticks": 7,
                       "range": [x[0], x[-1]] if x else None}  # fmt: skip
    layout.update(change_shapes(payload.get("changes", []), view))
    return {"data": traces, "layout": layout}


def change_shapes(spans: list[dict], view: View) -> dict:
    """Shaded spans with a short label: today's solid, last week's (on the dotted line) hatched."""
    shapes, notes = [], []
    for number, span in enumerate(spans):
        today = span["when"] == "today"
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": span["x0"],
                       "x1": span["x1"], "y0": 0, "y1": 1, "layer": "below",
                       "line": {"width": 0 if today else view.line(1), "dash": "dot",
                                "color": theme.WEEK_AGO},
                       "fillcolor": theme.CHANGE if today else theme.CHANGE_WEEK_AGO})  # fmt: skip
        label = span["label"] if today else f"week ago: {span['label']}"
        notes.append({"x": span["x0"], "xref": "x", "yref": "paper", "y": 1 - 0.09 * (number % 3),
                      "xanchor": "left", "yanchor": "top", "showarrow": False, "text": label,
                      "font": {"size": view.px(16), "color": theme.CALM_TEXT}})  # fmt: skip
    return {"shapes": shapes, "annotations": notes} if spans else {}
