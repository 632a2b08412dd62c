"""metric_compare: a metric today, the same local time a week ago, and the band of past weeks."""

from datetime import timedelta
from typing import Literal

import numpy as np
import pandas as pd
from dash import dcc, html
from pydantic import Field

from socwall.durations import format_duration
from socwall.types import Duration, Strict
from socwall.widgets import metric_windows, theme
from socwall.widgets.context import PanelContext, View
from socwall.widgets.week_ago import (
    WEEK,
    MetricInputs,
    band,
    bucket_starts,
    change_spans,
    coarser,
    in_changes,
    json_values,
    same_local_time,
    window_end,
    window_start,
)

needs_source = True
source_types = ("events", "auth", "prometheus")  # the sources that declare metrics


class ChangeLink(Strict):
    source: str = Field(description="a `changes` source whose spans are shaded on the chart")
    hosts: list[str] = Field(default_factory=list, description="changes on these hosts...")
    services: list[str] = Field(default_factory=list, description="...or services; none: all")


class MetricCompareOptions(Strict):
    metric: str = Field(description="a metric the source declares under `metrics`")
    window: Literal["today"] | Duration = Field("today", description="'today' (local) or 24h")
    weeks: int = Field(4, ge=2, le=8, description="past weeks that make the normal band")
    band: Literal["p10-p90", "p25-p75", "minmax"] = "p10-p90"
    current: Duration = Field("1h", description="the big number sums this many recent minutes")
    chart_bucket: Duration = Field("15m", description="the chart sums source buckets to this size")
    noise_sigma: float = Field(
        2.0, ge=0, description="highlight only beyond the band widened by this many sqrt(count)"
    )
    tolerance: float = Field(
        0.1, ge=0, description="...or by this share of the band's edge, whichever is wider"
    )
    unit: str = Field("", description="shown after the big number, e.g. 'GB'")
    scale: float = Field(1.0, gt=0, description="multiply values for display, e.g. 1e-9 for GB")
    decimals: int = Field(0, ge=0, le=3)
    changes: ChangeLink | None = Field(None, description="shade the changes that touch this metric")
    exclude_changes: bool = Field(False, description="past change spans do not shape the band")


Options = MetricCompareOptions


def check_sources(options: MetricCompareOptions, sources: dict) -> list[tuple[str, str]]:
    """The `changes` link must name a changes source."""
    link = options.changes
    if link is not None and getattr(sources.get(link.source), "type", None) != "changes":
        return [("changes.source", f"'{link.source}' is not a changes source")]
    return []


def check(options: MetricCompareOptions, source) -> list[tuple[str, str]]:
    """Config problems: the metric must be one the source declares."""
    metrics = source.metrics
    if options.metric.split("@", 1)[0] not in metrics:
        return [("metric", f"source has no metric '{options.metric}' (has: {', '.join(metrics)})")]
    bucket = source.bucket
    return [
        (name, f"must be a multiple of the source bucket ({bucket})")
        for name in ("current", "chart_bucket")
        if getattr(options, name) % bucket
    ]


def load(reader, panel, context: PanelContext) -> MetricInputs:
    """Read just the history this panel needs: the window and the same window in past weeks."""
    options: MetricCompareOptions = panel.options
    now, tz = context.now, context.tz
    start = min(window_start(now, options.window, tz), now - options.current)
    end = window_end(now, options.window, tz)
    slack = timedelta(hours=2)  # a DST change moves the same local time by an hour
    ranges = [(start - k * WEEK - slack, end - k * WEEK + slack) for k in range(options.weeks + 1)]
    series = reader.metric_series(context.source_id, options.metric, ranges)
    bucket = reader.source_bucket(context.source_id)
    covered = reader.source_covered_since(context.source_id)
    kind = reader.metric_kind(context.source_id, options.metric)
    changes = ()
    if options.changes is not None:
        known = reader.document(options.changes.source, "changes") or []
        changes = tuple(c for c in known if touches(c, options.changes))
    unions = None
    if getattr(reader, "distinct_metric", lambda s, m: False)(context.source_id, options.metric):
        windows = metric_windows.distinct_windows(options, context, bucket)  # each window's own
        unions = dict(zip(windows, reader.metric_distinct(context.source_id, options.metric,
                                                           windows), strict=True))  # fmt: skip
    return metric_windows.CompareInputs(series, bucket, covered, kind, changes, unions)


def touches(change: dict, link: ChangeLink) -> bool:
    """Does a change name one of the linked hosts or services (any change when none are set)?"""
    if not link.hosts and not link.services:
        return True
    hosts = {h.lower() for h in change.get("hosts", [])}
    services = {s.lower() for s in change.get("services", [])}
    return bool(hosts & {h.lower() for h in link.hosts}) or bool(
        services & {s.lower() for s in link.services})


def compute(inputs: MetricInputs, options: MetricCompareOptions, context: PanelContext) -> dict:
    """Payload: the three lines, the current value, its change vs a week ago and band verdict."""
    now, tz = context.now, context.tz
    source_end = pd.Timestamp(now).floor(inputs.bucket)  # the last complete source bucket's end
    current = current_window(inputs, options, context, source_end)
    chart = coarser(inputs, options.chart_bucket)
    complete_end = pd.Timestamp(now).floor(chart.bucket)
    axis = bucket_starts(
        window_start(now, options.window, tz), window_end(now, options.window, tz), chart.bucket
    )
    shown = axis[axis < complete_end]
    at = metric_windows.lookup(inputs, chart)
    past = np.array(
        [at(same_local_time(axis, k, tz, chart.bucket)) for k in range(1, options.weeks + 1)]
    )
    low, high = band(without_changes(past, axis, chart.bucket, inputs, options, tz), options.band)
    today = at(shown)
    partial = metric_windows.partial_bucket(axis, source_end, chart.bucket)
    if partial is not None:  # drawn, so the line ends where the big number's window ends
        today = np.append(today, metric_windows.partial_value(inputs, partial, source_end))
    return {
        "x": [t.tz_convert(tz).strftime("%Y-%m-%dT%H:%M") for t in axis],
        "per": format_duration(chart.bucket),
        "today": json_values(today * options.scale),
        "partial": None if partial is None else {  # the last point of `today` is not complete
            "x": partial.tz_convert(tz).strftime("%Y-%m-%dT%H:%M"),
            "until": source_end.tz_convert(tz).strftime("%H:%M")},
        "week_ago": json_values(past[0] * options.scale),
        "band_low": json_values(low * options.scale),
        "band_high": json_values(high * options.scale),
        **current,
        "changes": change_spans(inputs.changes, axis, chart.bucket, tz),
        "highlight": current["outside"] is not None,
    }


def without_changes(past, index, bucket, inputs: MetricInputs, options, tz) -> np.ndarray:
    """Past weeks' values with change spans blanked (`exclude_changes`): the band ignores them."""
    if not options.exclude_changes or not inputs.changes:
        return past
    masked = np.array(past, dtype=float)
    for k in range(1, len(masked) + 1):
        starts = same_local_time(index, k, tz, bucket)
        masked[k - 1][in_changes(starts, bucket, inputs.changes)] = np.nan
    return masked


def current_window(inputs, options, context, complete_end) -> dict:
    """The big number: sum of the last `current` of complete buckets, vs a week ago and the band."""
    recent = bucket_starts(complete_end - options.current, complete_end, inputs.bucket)
    total = metric_windows.window_value(inputs)
    value = float(total(recent))  # NaN when that time was never read
    weekly = [
        total(same_local_time(recent, k, context.tz, inputs.bucket))
        for k in range(1, options.weeks + 1)
    ]
    week_ago = weekly[0]
    if options.exclude_changes and inputs.changes:  # a week with a change in the window: unknown
        weekly = [
            np.nan if in_changes(same_local_time(recent, k, context.tz, inputs.bucket),
                                 inputs.bucket, inputs.changes).any() else value_k
            for k, value_k in enumerate(weekly, start=1)
        ]  # fmt: skip
    low, high = (x[0] for x in band(np.array(weekly, dtype=float).reshape(-1, 1), options.band))
    outside, near = None, False
    if not np.isnan(low) and not np.isnan(value):
        edges = np.array([max(low, 0.0), max(high, 0.0)])
        noise = options.noise_sigma * np.sqrt(edges) if inputs.kind == "count" else 0 * edges
        allowance = np.maximum(noise, options.tolerance * edges)
        outside = (
            "above"
            if value > high + allowance[1]
            else "below"
            if value < low - allowance[0]
            else None
        )
        near = outside is None and not low <= value <= high
    change = None if np.isnan(week_ago) or week_ago == 0 else (value - week_ago) / week_ago * 100
    return {
        "current": None if np.isnan(value) else value * options.scale,
        "current_from": recent[0].tz_convert(context.tz).strftime("%H:%M") if len(recent) else None,
        "current_to": complete_end.tz_convert(context.tz).strftime("%H:%M"),
        "week_ago_current": None if np.isnan(week_ago) else float(week_ago) * options.scale,
        "change_pct": None if change is None or np.isnan(change) else round(float(change), 1),
        "band_current": None
        if np.isnan(low)
        else [float(low) * options.scale, float(high) * options.scale],
        "outside": outside,
        "near_band": near,  # outside the band but within counting noise: not highlighted
    }


def format_value(value: float | None, options: MetricCompareOptions) -> str:
    """1234.5 -> '1,235' (or with the configured decimals and unit)."""
    if value is None:
        return "–"
    text = f"{value:,.{options.decimals}f}"
    return f"{text} {options.unit}".strip()


def render(payload: dict, options: MetricCompareOptions, view: View):
    """The big value with its week-ago change and band verdict, above the three-line chart."""
    return html.Div(
        className="metric",
        children=[
            html.Div(className="metric-head", children=_headline(payload, options)),
            dcc.Graph(
                figure=_figure(payload, options, view),
                config=theme.GRAPH_CONFIG,
                className="metric-graph",
                responsive=True,
                style={"height": "100%", "width": "100%"},
            ),
        ],
    )


def _headline(payload: dict, options: MetricCompareOptions) -> list:
    change = payload["change_pct"]
    arrow = "" if change is None else ("▲" if change > 0 else "▼" if change < 0 else "=")
    change_text = (
        "no week-ago data" if change is None else f"{arrow} {abs(change):.0f}% vs week ago"
    )
    band_values = payload["band_current"]
    verdict = {"above": "above normal", "below": "below normal", None: "normal"}[payload["outside"]]
    if payload.get("near_band"):
        verdict = "near normal"
    band_text = "band: not enough history"
    if band_values is not None:
        low, high = (format_value(v, options) for v in band_values)
        band_text = f"{verdict} ({low}–{high})"
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


def _figure(payload: dict, options: MetricCompareOptions, view: View) -> dict:
    x, unit = payload["x"], options.unit
    hover = f"%{{y:,.{options.decimals}f}} {unit}<extra>%{{fullData.name}}</extra>"
    traces = [
        {
            "x": x,
            "y": payload["band_low"],
            "mode": "lines",
            "line": {"width": 0},
            "name": "band low",
            "hoverinfo": "skip",
            "type": "scatter",
        },
        {
            "x": x,
            "y": payload["band_high"],
            "mode": "lines",
            "line": {"width": 0},
            "fill": "tonexty",
            "fillcolor": theme.BAND,
            "name": f"band ({options.band})",
            "hovertemplate": hover,
            "type": "scatter",
        },
        {
            "x": x,
            "y": payload["week_ago"],
            "mode": "lines",
            "name": "week ago",
            "type": "scatter",
            "line": {"color": theme.WEEK_AGO, "dash": "dot", "width": view.line(2)},
            "hovertemplate": hover,
        },
        {
            "x": x[: len(payload["today"])],
            "y": payload["today"],
            "mode": "lines",
            "name": "today",
            "type": "scatter",
            "line": {"color": theme.TODAY, "width": view.line(3)},
            "hovertemplate": hover,
        },
    ]
    layout = theme.figure_layout(view)
    layout["xaxis"] = {**layout["xaxis"], "tickformat": "%H:%M", "nticks": 7}
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
        notes.append({"x": span["x0"], "xref": "x", "yref": "paper", "y": 1 - 0.07 * (number % 3),
                      "xanchor": "left", "yanchor": "top", "showarrow": False, "text": label,
                      "font": {"size": view.px(11), "color": theme.CALM_TEXT}})  # fmt: skip
    return {"shapes": shapes, "annotations": notes} if spans else {}
