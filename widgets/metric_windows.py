"""The windows of a metric_compare panel: the distinct count of each window it shows (unions of
per-bucket sets, never sums of per-bucket distincts), and the partial chart bucket.

A distinct count (failing source addresses) over an hour is the size of the union of the hour's
5-minute sets: summed per bucket, an address failing in ten buckets would count ten times.
`load` asks the store for the exact union of every window `compute` shows (distinct_windows).
"""

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd

from socwall.widgets.context import PanelContext
from socwall.widgets.week_ago import (
    MetricInputs,
    bucket_starts,
    same_local_time,
    values_at,
    window_end,
    window_start,
    window_total,
)


@dataclass(frozen=True)
class CompareInputs(MetricInputs):
    """The history, and for a distinct count (failing source addresses) the exact count of each
    window the panel shows: (start, end) epoch s -> distinct members, the per-bucket sets
    unioned in the store. Summing per-bucket distincts would count an address once a bucket."""

    unions: dict | None = None


def distinct_windows(options, context: PanelContext, bucket: timedelta) -> list[tuple[int, int]]:
    """Every (start, end) whose distinct count compute shows: each chart bucket today and at the
    same local time in past weeks, the partial one, and the current window in each week."""
    now, tz = context.now, context.tz
    complete_end = pd.Timestamp(now).floor(bucket)
    axis = bucket_starts(window_start(now, options.window, tz), window_end(now, options.window, tz),
                         options.chart_bucket)  # fmt: skip
    spans = [spans_of(axis, options.chart_bucket)]
    spans += [spans_of(same_local_time(axis, k, tz, options.chart_bucket), options.chart_bucket)
              for k in range(1, options.weeks + 1)]  # fmt: skip
    recent = bucket_starts(complete_end - options.current, complete_end, bucket)
    spans.append([whole_window(recent, bucket)])
    spans.append([whole_window(same_local_time(recent, k, tz, bucket), bucket)
                  for k in range(1, options.weeks + 1)])  # fmt: skip
    partial = partial_bucket(axis, complete_end, options.chart_bucket)
    if partial is not None:
        spans.append([(int(partial.timestamp()), int(complete_end.timestamp()))])
    return sorted({span for group in spans for span in group if span[1] > span[0]})


def spans_of(starts: pd.DatetimeIndex, size: timedelta) -> list[tuple[int, int]]:
    step = int(size.total_seconds())
    return [(int(t.timestamp()), int(t.timestamp()) + step) for t in starts]


def whole_window(starts: pd.DatetimeIndex, bucket: timedelta) -> tuple[int, int]:
    if not len(starts):
        return (0, 0)
    return int(starts[0].timestamp()), int(starts[-1].timestamp() + bucket.total_seconds())


def partial_bucket(axis: pd.DatetimeIndex, complete_end: pd.Timestamp, size: timedelta):
    """The chart bucket that holds complete source buckets but is not complete itself, if any."""
    start = complete_end.floor(size)
    return start if start < complete_end and start in axis else None


def lookup(inputs: MetricInputs, chart: MetricInputs):
    """Values of chart buckets at these starts: summed (or averaged) from the source's buckets,
    or for a distinct count each bucket's own union."""
    unions = getattr(inputs, "unions", None)
    if unions is None:
        return lambda starts: values_at(chart, starts)
    return lambda starts: union_values(inputs, unions, starts, chart.bucket)


def union_values(inputs, unions: dict, starts: pd.DatetimeIndex, size: timedelta) -> np.ndarray:
    """The distinct count of each window [start, start + size); NaN before the source read."""
    step = int(size.total_seconds())
    covered = inputs.covered_since and pd.Timestamp(inputs.covered_since)
    return np.array([float(unions.get((int(t.timestamp()), int(t.timestamp()) + step), 0))
                     if covered is not None and covered and t >= covered else np.nan
                     for t in starts], dtype=float)  # fmt: skip


def partial_value(inputs: MetricInputs, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """The partial chart bucket: its complete source buckets, summed or unioned."""
    unions = getattr(inputs, "unions", None)
    if unions is not None:
        covered = inputs.covered_since and start >= pd.Timestamp(inputs.covered_since)
        value = unions.get((int(start.timestamp()), int(end.timestamp())), 0)
        return float(value) if covered else np.nan
    starts = bucket_starts(start, end, inputs.bucket)
    return float(window_total(inputs.kind)(values_at(inputs, starts)))


def window_value(inputs: MetricInputs):
    """One window's value from its source bucket starts: the buckets summed (a gauge averaged),
    or for a distinct count the union of the window's sets."""
    unions = getattr(inputs, "unions", None)
    if unions is None:
        total = window_total(inputs.kind)
        return lambda starts: total(values_at(inputs, starts))

    def union(starts: pd.DatetimeIndex) -> float:
        if not len(starts):
            return np.nan
        size = starts[-1] + inputs.bucket - starts[0]
        return union_values(inputs, unions, starts[:1], size)[0]

    return union
