"""Is a source still sending? The verdict of one row of the `sensors` widget, from its arrivals
history (feeds/arrivals.py), with the week-ago machinery every comparison uses (same local time
in past weeks, DST-safe; the band of those weeks).

The claims and what backs each one:
- silent: nothing arrived for `quiet` while the same time in past weeks brought at least
  `silent_min` (their band's low edge; with one week of history that week; with none, the hour
  before the silence began);
- low: records arrive, but far below the band's low edge (beyond counting noise);
- late: records arrive, but the newest is older than the usual lag by more than `late_after`;
- quiet: nothing arrived, and nothing usually does at this time: calm;
- pause: nothing for less than `quiet`: the rate is judged up to the last arrival, no claim yet;
- back: records arrive again after a silence of at least `quiet`: calm, said in words.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd

from socwall.widgets.sensors_options import BUCKET
from socwall.widgets.week_ago import MetricInputs, band, bucket_starts, same_local_time, values_at

RECENT = timedelta(hours=1)  # without week-ago history, "usual" is the hour before


@dataclass(frozen=True)
class Rules:
    quiet: timedelta
    weeks: int
    band: str
    silent_min: float
    drop: float
    late_after: timedelta
    noise_sigma: float


@dataclass(frozen=True)
class Usual:
    """What usually arrives in the window at this time, and what says so."""

    low: float | None
    high: float | None
    basis: str | None  # "band" (past weeks), "week" (one week ago), "recent" (hour before)

    @property
    def expected(self) -> float | None:
        """The least that would be unusual to miss."""
        return self.low


def window_sum(rows: MetricInputs, runs: MetricInputs, index: pd.DatetimeIndex) -> float:
    """Records in these buckets; NaN when the source never ran in them (worker down, or before
    its history began): no run is no observation, never a zero."""
    if not len(index) or np.nansum(values_at(runs, index)) == 0:
        return np.nan
    return float(np.nansum(values_at(rows, index)))


def recent_index(now: datetime, length: timedelta) -> pd.DatetimeIndex:
    """The complete buckets of the last `length`."""
    end = pd.Timestamp(now).floor(BUCKET)
    return bucket_starts(end - length, end, BUCKET)


def weekly(rows, runs, index, weeks: int, tz) -> np.ndarray:
    """The window's count at the same local time in each past week (NaN: not observed)."""
    if not len(index):
        return np.full(weeks, np.nan)
    return np.array([window_sum(rows, runs, past_index(index[0], len(index), k, tz))
                     for k in range(1, weeks + 1)], dtype=float)  # fmt: skip


@lru_cache(maxsize=256)
def past_index(first: pd.Timestamp, count: int, weeks_back: int, tz) -> pd.DatetimeIndex:
    """same_local_time of a window of `count` buckets from `first`, kept: a source and its
    files share their windows, and a panel of many sources asks for the same ones."""
    index = pd.date_range(first, periods=count, freq=BUCKET, tz="UTC")
    return same_local_time(index, weeks_back, tz, BUCKET)


def usual_count(past: np.ndarray, kind: str) -> Usual:
    """The band of past weeks, else the one week there is."""
    low, high = (float(x[0]) for x in band(past.reshape(-1, 1), kind))
    if not np.isnan(low):
        return Usual(low, high, "band")
    if len(past) and not np.isnan(past[0]):
        return Usual(float(past[0]), float(past[0]), "week")
    return Usual(None, None, None)


def before_silence(rows, runs, since: datetime, quiet: timedelta) -> Usual:
    """With no week-ago history: the hour before the silence began (up to the bucket of the
    last records, included), scaled to the window."""
    end = pd.Timestamp(since).floor(BUCKET) + BUCKET
    index = bucket_starts(end - RECENT, end, BUCKET)
    count = window_sum(rows, runs, index)
    if np.isnan(count):
        return Usual(None, None, None)
    scaled = count * quiet / RECENT
    return Usual(scaled, scaled, "recent")


def usual_lag(lag: MetricInputs, index, weeks: int, tz, now: datetime) -> float | None:
    """Seconds a record is usually old when it is read at this time (the band's high edge over
    past weeks, else the median of the last day); None when nothing says."""
    means = []
    for k in range(1, weeks + 1):
        values = values_at(lag, same_local_time(index, k, tz, BUCKET))
        means.append(np.nanmean(values) if np.any(~np.isnan(values)) else np.nan)
    _, high = (float(x[0]) for x in band(np.array(means).reshape(-1, 1), "p10-p90"))
    if not np.isnan(high):
        return high
    day = values_at(lag, recent_index(now, timedelta(days=1)))
    day = day[~np.isnan(day)]
    return float(np.median(day)) if len(day) >= 12 else None


@dataclass(frozen=True)
class Seen:
    """When records last arrived, and the silence they ended."""

    silent_for: timedelta | None  # since the last records (or since the history began)
    gap: timedelta | None  # the silence the last records ended
    had_rows: bool = True


def judged_until(now: datetime, seen: Seen, rules: Rules) -> datetime:
    """The end of the window to judge the rate on: now, or the last arrival while a silence is
    shorter than `quiet` (a pause is not yet a claim, and must not read as a drop)."""
    if seen.had_rows and seen.silent_for is not None and BUCKET < seen.silent_for < rules.quiet:
        return now - seen.silent_for + BUCKET
    return now


def verdict(count: float, seen: Seen, usual: Usual, quiet_usual: Usual, lag: float | None,
            lag_usual: float | None, rules: Rules) -> str:  # fmt: skip
    """silent, quiet, learning, back, low, pause, late or ok."""
    silent_for = seen.silent_for
    if silent_for is not None and silent_for >= rules.quiet:
        expected = quiet_usual.expected
        if expected is None:
            return "learning"
        return "silent" if expected >= rules.silent_min else "quiet"
    if seen.gap is not None and seen.gap >= rules.quiet:
        return "back"  # sending again; the window still holds the silence it ended
    if usual.low is not None and not np.isnan(count):
        edge = usual.low * rules.drop
        noise = rules.noise_sigma * np.sqrt(max(usual.low, 0.0))
        if count < edge and count < usual.low - noise:
            return "low"
    if silent_for is not None and silent_for > BUCKET:
        return "pause"
    if lag is not None and lag_usual is not None and (
            lag > lag_usual + rules.late_after.total_seconds()):  # fmt: skip
        return "late"
    return "ok" if usual.basis else "learning"
