"""The week-ago alignment (widgets/week_ago.py, other than `band`) at its edges: the same local
time a week back across both DST changes (a time that happened twice, one that never
happened), what counts as known before and after `covered_since`, the bucket grid's ends and a
change span's overlap at exactly the bucket's edges. Expected values come from zoneinfo and
plain datetime arithmetic, not from pandas."""

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from socwall.widgets import week_ago as wa

BERLIN = ZoneInfo("Europe/Berlin")
QUARTER = timedelta(minutes=15)


def utc(local: datetime, fold: int = 0) -> datetime:
    return local.replace(tzinfo=BERLIN, fold=fold).astimezone(UTC)


@pytest.mark.parametrize("today, week_ago", [
    # after the spring change (2026-03-29): 10:00 CEST now, 10:00 CET a week back
    (datetime(2026, 3, 30, 10, 0), utc(datetime(2026, 3, 23, 10, 0))),
    # a week back is 02:30 on 2026-03-29, which never happened: the first time after it
    (datetime(2026, 4, 5, 2, 30), datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
    # a week back is 02:30 on 2026-10-25, which happened twice: the first (summer) one
    (datetime(2026, 11, 1, 2, 30), utc(datetime(2026, 10, 25, 2, 30), fold=0)),
    # an ordinary week
    (datetime(2026, 6, 10, 23, 45), utc(datetime(2026, 6, 3, 23, 45))),
])  # fmt: skip
def test_the_same_local_time_a_week_back(today, week_ago):
    index = pd.DatetimeIndex([pd.Timestamp(utc(today))])
    (found,) = wa.same_local_time(index, 1, BERLIN, QUARTER)
    assert found.to_pydatetime() == week_ago


def test_two_weeks_back_and_a_day_step():
    index = pd.DatetimeIndex([pd.Timestamp(utc(datetime(2026, 4, 1, 12, 0)))])
    (two,) = wa.same_local_time(index, 2, BERLIN, QUARTER)
    (day,) = wa.same_local_time(index, 1, BERLIN, QUARTER, step=timedelta(days=1))
    assert two.to_pydatetime() == utc(datetime(2026, 3, 18, 12, 0))
    assert day.to_pydatetime() == utc(datetime(2026, 3, 31, 12, 0))


def test_known_from_exactly_covered_since_and_unknown_before():
    start = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    index = pd.date_range(start, periods=4, freq=QUARTER, tz="UTC")
    series = pd.Series([7.0], index=[index[3]])
    counts = wa.MetricInputs(series, QUARTER, start + QUARTER)  # the second bucket's start
    values = wa.values_at(counts, index)
    assert np.isnan(values[0]) and list(values[1:]) == [0.0, 0.0, 7.0]
    assert np.isnan(wa.values_at(wa.MetricInputs(series, QUARTER, None), index)).all()
    gauge = wa.MetricInputs(series, QUARTER, start, kind="gauge")  # no sample: unknown
    assert np.isnan(wa.values_at(gauge, index)[:3]).all() and wa.values_at(gauge, index)[3] == 7


def test_bucket_starts_from_the_first_whole_bucket_up_to_the_end_left_out():
    at = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    on_edge = wa.bucket_starts(at, at + 2 * QUARTER, QUARTER)
    assert [t.to_pydatetime() for t in on_edge] == [at, at + QUARTER]
    inside = wa.bucket_starts(at + timedelta(seconds=1), at + 2 * QUARTER + timedelta(seconds=1),
                              QUARTER)  # fmt: skip
    assert [t.to_pydatetime() for t in inside] == [at + QUARTER, at + 2 * QUARTER]


@pytest.mark.parametrize("begin, end, hit", [
    (-QUARTER, timedelta(0), False),  # ends exactly where the bucket starts
    (QUARTER, 2 * QUARTER, False),  # starts exactly where the bucket ends
    (-QUARTER, timedelta(seconds=1), True),
    (QUARTER - timedelta(seconds=1), 2 * QUARTER, True),
    (timedelta(minutes=5), timedelta(minutes=6), True),  # inside it
    (timedelta(hours=-2), timedelta(hours=-1), False),  # long over before the bucket
    (timedelta(hours=1), timedelta(hours=2), False),  # not begun until long after
])  # fmt: skip
def test_a_change_touches_a_bucket_only_by_overlapping_it(begin, end, hit):
    at = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    change = {"start": (at + begin).isoformat(), "end": (at + end).isoformat(), "title": "x"}
    starts = pd.DatetimeIndex([pd.Timestamp(at)])
    assert list(wa.in_changes(starts, QUARTER, [change])) == [hit]


def test_today_runs_from_local_midnight_to_the_next():
    now = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)  # 00:30 on the 29th in Berlin, a 23-hour day
    assert wa.window_start(now, "today", BERLIN) == utc(datetime(2026, 3, 29))
    assert wa.window_end(now, "today", BERLIN) == utc(datetime(2026, 3, 30))
    length = wa.window_end(now, "today", BERLIN) - wa.window_start(now, "today", BERLIN)
    assert length == timedelta(hours=23)
    assert wa.window_start(now, timedelta(hours=6), BERLIN) == now - timedelta(hours=6)


def test_coarser_buckets_sum_counts_average_gauges_and_start_known_at_a_whole_one():
    at = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    series = pd.Series([1.0, 3.0, 5.0], index=pd.date_range(at, periods=3, freq=QUARTER, tz="UTC"))
    counts = wa.coarser(wa.MetricInputs(series, QUARTER, at + QUARTER), 2 * QUARTER)
    assert list(counts.series) == [4.0, 5.0] and counts.covered_since == at + 2 * QUARTER
    gauge = wa.coarser(wa.MetricInputs(series, QUARTER, at, kind="gauge"), 2 * QUARTER)
    assert list(gauge.series) == [2.0, 5.0] and gauge.covered_since == at


def test_a_bucket_longer_than_the_clock_change_is_the_one_holding_the_same_local_time():
    """Two-hour buckets: 02:00 CEST on 2026-03-30 is 00:00 UTC; a week back, 02:00 CET is
    01:00 UTC, inside the bucket that starts at 00:00 UTC (not the next one)."""
    index = pd.DatetimeIndex([pd.Timestamp(utc(datetime(2026, 3, 30, 2, 0)))])
    (found,) = wa.same_local_time(index, 1, BERLIN, 2 * timedelta(hours=1))
    back = utc(datetime(2026, 3, 23, 2, 0))
    assert found.to_pydatetime() == back - timedelta(hours=back.hour % 2)


def test_the_25_hour_day_ends_at_the_next_local_midnight():
    now = datetime(2026, 10, 25, 12, 0, tzinfo=UTC)
    assert wa.window_end(now, "today", BERLIN) == utc(datetime(2026, 10, 26))
    length = wa.window_end(now, "today", BERLIN) - wa.window_start(now, "today", BERLIN)
    assert length == timedelta(hours=25)


def test_coarser_to_the_same_size_is_the_history_as_it_is():
    at = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    series = pd.Series([1.0], index=pd.DatetimeIndex([pd.Timestamp(at)]))
    history = wa.MetricInputs(series, QUARTER, at, changes=({"start": "x"},))
    # a size equal to the bucket but not the same object, as a configured chart_bucket is
    assert wa.coarser(history, timedelta(minutes=15)) is history


def test_coarser_to_a_finer_size_is_the_history_as_it_is():
    """Buckets cannot be split: hourly sparklines over a source of 2-hour buckets keep them."""
    at = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    series = pd.Series([1.0, 3.0], index=pd.date_range(at, periods=2, freq=2 * timedelta(hours=1)))
    history = wa.MetricInputs(series, timedelta(hours=2), at)
    assert wa.coarser(history, timedelta(hours=1)) is history


def test_a_window_given_as_a_duration_ends_now_and_starts_that_long_before():
    now = datetime(2026, 1, 5, 10, 7, tzinfo=UTC)
    assert wa.window_end(now, timedelta(hours=6), BERLIN) == now
    assert wa.window_start(now, timedelta(hours=6), BERLIN) == now - timedelta(hours=6)


def test_words_read_from_a_file_are_compared_by_value():
    """'today' and 'gauge' as configuration read from a file gives them: equal strings, not
    CPython's interned literals (`is "today"` would miss them)."""
    today, gauge = json.loads('"today"'), json.loads('"gauge"')
    now = datetime(2026, 1, 5, 10, 7, tzinfo=UTC)
    assert wa.window_start(now, today, BERLIN) == utc(datetime(2026, 1, 5))
    assert wa.window_end(now, today, BERLIN) == utc(datetime(2026, 1, 6))
    at = pd.DatetimeIndex([pd.Timestamp(datetime(2026, 1, 5, 10, 0, tzinfo=UTC))])
    sampled = wa.MetricInputs(pd.Series([2.0], index=at), QUARTER, None, kind=gauge)
    assert list(wa.values_at(sampled, at)) == [2.0]  # a count with nothing read would be NaN
    series = pd.Series([1.0, 3.0], index=pd.date_range(at[0], periods=2, freq=QUARTER))
    averaged = wa.coarser(wa.MetricInputs(series, QUARTER, None, kind=gauge), 2 * QUARTER)
    assert list(averaged.series) == [2.0]  # a gauge's samples averaged, not summed (4.0)
