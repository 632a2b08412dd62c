"""The week-ago machinery: the same local time in past weeks, the normal band, change spans.

Shared by every widget that compares a series with its own past (metric_compare, metric_grid).
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

WEEK = timedelta(days=7)
DAY = timedelta(days=1)
BAND_QUANTILES = {"p10-p90": (0.1, 0.9), "p25-p75": (0.25, 0.75), "minmax": (0.0, 1.0)}


@dataclass(frozen=True)
class MetricInputs:
    """Bucketed history of one metric, as read from the store."""

    series: pd.Series  # index: UTC bucket starts; value per bucket; absent bucket = 0
    bucket: timedelta
    covered_since: datetime | None  # before this, no data was read: absent is unknown, not 0
    kind: str = "count"  # "count" adds up over time; "gauge" is a level (latency): averaged
    changes: tuple = ()  # change spans that touch the metric (dicts with start, end, title)


def window_start(now: datetime, window, tz) -> datetime:
    """Start of the displayed window: local midnight for 'today', else now minus the window."""
    if window == "today":
        local = pd.Timestamp(now).tz_convert(tz)
        return local.normalize().tz_convert("UTC").to_pydatetime()
    return now - window


def window_end(now: datetime, window, tz) -> datetime:
    """End of the x axis: local midnight tonight for 'today' (to show what usually comes next)."""
    if window == "today":
        # calendar arithmetic on the date: a Timedelta added to a local Timestamp is 24 hours
        # of real time, which ends 23:00 the same day on a 25-hour day (autumn's DST change)
        tomorrow = pd.Timestamp(now).tz_convert(tz).date() + DAY
        return pd.Timestamp(tomorrow).tz_localize(tz).tz_convert("UTC").to_pydatetime()
    return now


def bucket_starts(start: datetime, end: datetime, bucket: timedelta) -> pd.DatetimeIndex:
    """UTC bucket starts in [start, end), aligned to the epoch like the store's buckets."""
    first = pd.Timestamp(start).ceil(bucket)
    return pd.date_range(first, pd.Timestamp(end), freq=bucket, inclusive="left", tz="UTC")


def same_local_time(index: pd.DatetimeIndex, weeks_back: int, tz, bucket,
                    step: timedelta = WEEK) -> pd.DatetimeIndex:  # fmt: skip
    """The UTC buckets at the same local wall-clock time `weeks_back` weeks (or `step`s)
    earlier (DST-safe)."""
    local = index.tz_convert(tz).tz_localize(None) - weeks_back * step
    earlier = local.tz_localize(
        tz, ambiguous=np.ones(len(local), dtype=bool), nonexistent="shift_forward"
    )
    return earlier.tz_convert("UTC").floor(bucket)


def values_at(inputs: MetricInputs, index: pd.DatetimeIndex) -> np.ndarray:
    """Bucket values at these starts: 0 where no events, NaN where no data was read (a gauge
    without a sample is unknown too: a missing latency is not a latency of 0)."""
    values = inputs.series.reindex(index).to_numpy(dtype=float, na_value=np.nan)
    if inputs.kind == "gauge":
        return values
    known = np.zeros(len(index), dtype=bool)  # a source that never read anything knows nothing
    if inputs.covered_since is not None:
        known = np.asarray(index >= pd.Timestamp(inputs.covered_since))
    return np.where(known, np.nan_to_num(values, nan=0.0), np.nan)


def band(past_weeks: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-column band over past weeks (rows); NaN where fewer than two weeks have data."""
    low_q, high_q = BAND_QUANTILES[kind]
    enough = np.sum(~np.isnan(past_weeks), axis=0) >= 2
    with np.errstate(all="ignore"):
        low = np.nanquantile(np.where(enough, past_weeks, 0), low_q, axis=0)
        high = np.nanquantile(np.where(enough, past_weeks, 0), high_q, axis=0)
    return np.where(enough, low, np.nan), np.where(enough, high, np.nan)


def coarser(inputs: MetricInputs, size: timedelta) -> MetricInputs:
    """The same history summed into buckets of `size` (a multiple of the stored bucket); as it
    is when `size` is not coarser (a grid's hourly sparkline over a source of 2-hour buckets)."""
    if size <= inputs.bucket:
        return inputs
    groups = inputs.series.groupby(inputs.series.index.floor(size))
    summed = groups.mean() if inputs.kind == "gauge" else groups.sum()
    covered = inputs.covered_since and pd.Timestamp(inputs.covered_since).ceil(size).to_pydatetime()
    return MetricInputs(summed, size, covered, inputs.kind)


def in_changes(starts: pd.DatetimeIndex, bucket: timedelta, changes) -> np.ndarray:
    """Per bucket start: does the bucket overlap any change span?"""
    hit = np.zeros(len(starts), dtype=bool)
    for change in changes:
        begin, end = pd.Timestamp(change["start"]), pd.Timestamp(change["end"])
        hit |= np.asarray((starts < end) & (starts + bucket > begin))
    return hit


def short_label(change: dict) -> str:
    """'CHG-1042 db-02' when the title starts with a ticket id, else the title's first words."""
    first, _, _ = change["title"].partition(" ")
    if re.fullmatch(r"[A-Za-z]+-?\d+", first):
        return " ".join([first, *change.get("hosts", [])[:1]])
    return change["title"] if len(change["title"]) <= 24 else change["title"][:23] + "…"


def change_spans(changes, axis: pd.DatetimeIndex, bucket: timedelta, tz) -> list[dict]:
    """Spans to shade, in the chart's local time: today's changes, and last week's moved onto
    today's axis (the week-ago line is drawn at the same local time)."""
    if not len(axis) or not changes:
        return []
    low = axis[0].tz_convert(tz).tz_localize(None)
    high = (axis[-1] + bucket).tz_convert(tz).tz_localize(None)
    spans = []
    for weeks, when in ((0, "today"), (1, "week_ago")):
        for change in changes:
            begin = pd.Timestamp(change["start"]).tz_convert(tz).tz_localize(None) + weeks * WEEK
            end = pd.Timestamp(change["end"]).tz_convert(tz).tz_localize(None) + weeks * WEEK
            if end <= low or begin >= high:
                continue
            spans.append({"x0": max(begin, low).strftime("%Y-%m-%dT%H:%M"),
                          "x1": min(end, high).strftime("%Y-%m-%dT%H:%M"),
                          "label": short_label(change), "when": when})  # fmt: skip
    return spans


def window_total(kind: str):
    """How a window's buckets make one value: counts add up, a gauge is averaged."""
    if kind == "count":
        return np.sum

    def mean(values: np.ndarray) -> float:
        return float(np.nanmean(values)) if np.any(~np.isnan(values)) else np.nan

    return mean


def json_values(values: np.ndarray) -> list[float | None]:
    """Values for a JSON payload: NaN (unknown) as None, rounded to 6 decimals."""
    return [None if np.isnan(v) else round(float(v), 6) for v in values]
