"""metric_compare: a metric today, the same local time a week ago, and the band of past weeks."""

from datetime import timedelta

import numpy as np
import pandas as pd

from socwall.durations import format_duration
from socwall.widgets import metric_windows
from socwall.widgets.context import PanelContext, View
from socwall.widgets.metric_compare_options import (  # noqa: F401  (the widget's parts)
    ChangeLink,
    MetricCompareOptions,
    Options,
    check,
    check_sources,
    needs_source,
    source_types,
)
from socwall.widgets.metric_view import VERDICT_WORDS, format_value, metric_view
from socwall.widgets.week_ago import (
    DAY,
    WEEK,
    MetricInputs,
    band,
    bucket_starts,
    change_spans,
    coarser,
    in_changes,
    json_values,
    same_local_time,
    values_at,
    window_end,
    window_start,
    window_total,
)


def load(reader, panel, context: PanelContext) -> MetricInputs:
    """Read just the history this panel needs: the window and the same window in past weeks."""
    options: MetricCompareOptions = panel.options
    now, tz = context.now, context.tz
    start = min(window_start(now, options.window, tz), now - options.current)
    end = window_end(now, options.window, tz)
    slack = timedelta(hours=2)  # a DST change moves the same local time by an hour
    ranges = [(start - k * WEEK - slack, end - k * WEEK + slack) for k in range(options.weeks + 1)]
    recent = now - options.current  # and the same time on the other days of the last week
    ranges += [(recent - d * DAY - slack, now - d * DAY + slack) for d in range(1, 7)]
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
        "facts": metric_facts(current, options, inputs, context),
    }


def metric_facts(current: dict, options, inputs: MetricInputs, context: PanelContext) -> list:
    """Outside the band: an alarm about the metric's linked hosts and services over the window
    of the big number (a change there explains it). Far above the same time on the other days
    of the week yet inside the band of this weekday: a weekly rhythm, said so."""
    low_high = current["band_current"]
    if low_high is None or current["current"] is None:
        return []
    band_text = "–".join(format_value(v, options) for v in low_high)
    value = format_value(current["current"], options)
    if current["outside"]:
        link = options.changes
        hosts, services = (list(link.hosts), list(link.services)) if link else ([], [])
        if link and not hosts and not services:  # linked to every change: all of theirs
            hosts = sorted({h for c in inputs.changes for h in c.get("hosts", [])})
            services = sorted({s for c in inputs.changes for s in c.get("services", [])})
        start = context.now - options.current
        return [{"kind": "outside_band", "severity": "alarm", "row": "current",
                 "text": f"{value}, {VERDICT_WORDS[current['outside']]} {band_text}",
                 "hosts": hosts, "services": services, "start": start.isoformat(),
                 "end": context.now.isoformat()}]  # fmt: skip
    rise = current.get("vs_other_days")
    if rise is not None and rise >= RISE_WEEKLY:  # inside the band (or near it)
        local = context.now.astimezone(context.tz)
        usual = f"normal for {local:%A}s at {current['current_to']} (past weeks)"
        return [{"kind": "weekly_rhythm", "severity": "notice", "row": "current",
                 "text": f"{value}, {rise:.0f}× the other days at this time",
                 "explained": usual}]  # fmt: skip
    return []


RISE_WEEKLY = 3.0  # 3x the same time on the other days of the week: visibly not a daily rhythm


def vs_other_days(inputs: MetricInputs, recent, tz, value: float) -> float | None:
    """The big number against the median of the same window on the six days before (None
    when fewer than three of them were read or their median is 0)."""
    total = window_total(inputs.kind)
    days = [total(values_at(inputs, same_local_time(recent, d, tz, inputs.bucket, DAY)))
            for d in range(1, 7)]  # fmt: skip
    days = [d for d in days if not np.isnan(d)]
    if len(days) < 3 or np.isnan(value) or np.median(days) <= 0:
        return None
    return round(float(value / np.median(days)), 2)


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
        "vs_other_days": vs_other_days(inputs, recent, context.tz, value),
    }


def render(payload: dict, options: MetricCompareOptions, view: View):
    """The big value with its week-ago change and band verdict, above the three-line chart."""
    return metric_view(payload, options, view)
