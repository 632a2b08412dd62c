"""metric_compare: bucket, week-ago, band and DST math against values worked out by hand."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from dash import dcc

from socwall.widgets import metric_compare as mc
from socwall.widgets import week_ago
from socwall.widgets.context import PanelContext, View

UTC = UTC
BERLIN = ZoneInfo("Europe/Berlin")
HOUR = timedelta(hours=1)


def inputs(
    values: dict[str, float], bucket=HOUR, covered_since="2026-01-01T00:00Z"
) -> week_ago.MetricInputs:
    index = pd.to_datetime(list(values), utc=True)
    series = pd.Series(list(values.values()), index=index, dtype=float)
    return week_ago.MetricInputs(series, bucket, pd.Timestamp(covered_since).to_pydatetime())


def options(**overrides) -> mc.MetricCompareOptions:
    defaults = {
        "metric": "m",
        "band": "minmax",
        "current": "1h",
        "chart_bucket": "1h",
        "noise_sigma": 0,
        "tolerance": 0,
    }
    return mc.MetricCompareOptions(**(defaults | overrides))


def context(now: str, tz=UTC) -> PanelContext:
    return PanelContext(now=pd.Timestamp(now).to_pydatetime(), tz=tz, source_id="s")


# Monday 2026-11-23, 10:30 UTC: the last complete hour is 09:00-10:00.
MONDAY = {
    "2026-11-23T09:00Z": 50,  # today
    "2026-11-16T09:00Z": 20,  # 1 week ago
    "2026-11-09T09:00Z": 30,
    "2026-11-02T09:00Z": 40,
    "2026-10-26T09:00Z": 10,  # 4 weeks ago
    "2026-11-22T09:00Z": 999,  # yesterday (Sunday): must not be the comparison
}


def test_current_value_change_and_band_by_hand():
    data = mc.compute(inputs(MONDAY), options(), context("2026-11-23T10:30Z"))
    assert data["current"] == 50
    assert data["week_ago_current"] == 20
    assert data["change_pct"] == 150.0  # (50 - 20) / 20
    assert data["band_current"] == [10, 40]  # min and max of 20, 30, 40, 10
    assert data["outside"] == "above" and data["highlight"] is True
    assert (data["current_from"], data["current_to"]) == ("09:00", "10:00")


def test_percentile_band_interpolates_like_numpy():
    # sorted past weeks 10, 20, 30, 40: p10 at rank 0.3 -> 13, p90 at rank 2.7 -> 37
    data = mc.compute(inputs(MONDAY), options(band="p10-p90"), context("2026-11-23T10:30Z"))
    assert data["band_current"] == pytest.approx([13, 37])


def test_inside_the_band_is_calm_and_noise_allowance_widens_it():
    calm = dict(MONDAY, **{"2026-11-23T09:00Z": 35})
    assert mc.compute(inputs(calm), options(), context("2026-11-23T10:30Z"))["outside"] is None
    # 45 is above max 40, but within 40 + 1 * sqrt(40) = 46.3
    near = dict(MONDAY, **{"2026-11-23T09:00Z": 45})
    assert mc.compute(inputs(near), options(), context("2026-11-23T10:30Z"))["outside"] == "above"
    widened = mc.compute(inputs(near), options(noise_sigma=1), context("2026-11-23T10:30Z"))
    assert widened["outside"] is None and widened["near_band"] is True
    text = str(mc.render(widened, options(noise_sigma=1), View()).children[0].children)
    assert "near normal (10–40)" in text


def test_relative_tolerance_for_sums_where_counting_noise_means_nothing():
    # band 10..40 widened by 20 %: 8..48; 47 is calm, 49 is above
    for today, expected in ((47, None), (49, "above")):
        values = dict(MONDAY, **{"2026-11-23T09:00Z": today})
        data = mc.compute(inputs(values), options(tolerance=0.2), context("2026-11-23T10:30Z"))
        assert data["outside"] == expected


def test_below_the_band():
    low = dict(MONDAY, **{"2026-11-23T09:00Z": 3})
    data = mc.compute(inputs(low), options(), context("2026-11-23T10:30Z"))
    assert data["outside"] == "below" and data["change_pct"] == -85.0  # (3 - 20) / 20


def test_zero_week_ago_gives_no_percentage():
    zero = dict(MONDAY, **{"2026-11-23T09:00Z": 3, "2026-11-16T09:00Z": 0})
    data = mc.compute(inputs(zero), options(), context("2026-11-23T10:30Z"))
    assert data["change_pct"] is None
    assert data["band_current"] == [0, 40] and data["outside"] is None


def test_missing_bucket_after_coverage_counts_as_zero_before_it_is_unknown():
    series = inputs({"2026-11-23T09:00Z": 5}, covered_since="2026-11-10T00:00Z")
    index = pd.to_datetime(["2026-11-16T09:00Z", "2026-11-09T09:00Z"], utc=True)
    values = week_ago.values_at(series, index)
    assert values[0] == 0 and np.isnan(values[1])


def test_band_needs_two_weeks_of_history():
    series = inputs(
        {"2026-11-23T09:00Z": 5, "2026-11-16T09:00Z": 4}, covered_since="2026-11-15T00:00Z"
    )
    data = mc.compute(series, options(), context("2026-11-23T10:30Z"))
    assert data["band_current"] is None and data["outside"] is None
    assert data["week_ago_current"] == 4


def test_spring_forward_compares_same_local_time_not_same_utc():
    # 2026-03-29 Europe/Berlin goes from CET (+1) to CEST (+2). Monday 2026-03-30 10:30 CEST
    # = 08:30Z; the last complete hour is 09:00-10:00 local = 07:00Z. A week ago, 09:00-10:00
    # local (CET) was 08:00Z; the naive UTC week-ago (07:00Z) would be 08:00-09:00 local.
    values = {"2026-03-30T07:00Z": 100, "2026-03-23T08:00Z": 111, "2026-03-23T07:00Z": 999}
    data = mc.compute(inputs(values), options(), context("2026-03-30T08:30Z", BERLIN))
    assert data["current"] == 100
    assert data["week_ago_current"] == 111
    assert (data["current_from"], data["current_to"]) == ("09:00", "10:00")


def test_fall_back_compares_same_local_time():
    # 2026-10-25 goes from CEST back to CET. Sunday 2026-11-01 12:30 CET = 11:30Z; 11:00-12:00
    # local was 10:00Z on 2026-11-01 and also 10:00Z on 2026-10-25 (after 03:00 it is CET).
    # On the Sunday before, 2026-10-18 (CEST), it was 09:00Z.
    values = {
        "2026-11-01T10:00Z": 9,
        "2026-10-25T10:00Z": 7,
        "2026-10-25T09:00Z": 1,
        "2026-10-18T09:00Z": 5,
        "2026-10-18T10:00Z": 2,
    }
    data = mc.compute(inputs(values), options(weeks=2), context("2026-11-01T11:30Z", BERLIN))
    assert data["week_ago_current"] == 7
    assert data["band_current"] == [5, 7]


def test_repeated_hour_maps_to_its_first_occurrence():
    # Sunday 2026-11-01 02:30 CET (01:30Z); a week earlier 02:30 happened twice: 00:30Z (CEST)
    # and 01:30Z (CET). The first one is taken.
    index = pd.to_datetime(["2026-11-01T01:30Z"], utc=True)
    earlier = week_ago.same_local_time(index, 1, BERLIN, timedelta(minutes=30))
    assert list(earlier) == [pd.Timestamp("2026-10-25T00:30Z")]


def test_missing_hour_shifts_forward():
    # Sunday 2026-04-05 02:30 CEST (00:30Z); 2026-03-29 02:30 did not exist -> 03:00 CEST = 01:00Z
    index = pd.to_datetime(["2026-04-05T00:30Z"], utc=True)
    earlier = week_ago.same_local_time(index, 1, BERLIN, timedelta(minutes=30))
    assert list(earlier) == [pd.Timestamp("2026-03-29T01:00Z")]


def test_today_window_starts_at_local_midnight_and_axis_runs_to_the_next():
    now = datetime(2026, 3, 30, 8, 30, tzinfo=UTC)
    assert week_ago.window_start(now, "today", BERLIN) == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
    assert week_ago.window_end(now, "today", BERLIN) == datetime(2026, 3, 30, 22, 0, tzinfo=UTC)
    # the spring-forward day itself has 23 hours
    spring = datetime(2026, 3, 29, 8, tzinfo=UTC)
    start = week_ago.window_start(spring, "today", BERLIN)
    assert week_ago.window_end(spring, "today", BERLIN) - start == timedelta(hours=23)


def test_chart_sums_source_buckets_into_display_buckets():
    five = timedelta(minutes=5)
    values = {
        "2026-11-23T09:00Z": 1,
        "2026-11-23T09:05Z": 2,
        "2026-11-23T09:10Z": 4,
        "2026-11-23T09:15Z": 8,
    }
    data = mc.compute(
        inputs(values, bucket=five),
        options(chart_bucket="15m", current="15m"),
        context("2026-11-23T09:31Z"),
    )
    first = data["x"].index("2026-11-23T09:00")
    assert data["today"][first : first + 2] == [7, 8]  # 1+2+4, then 8
    assert data["current"] == 8 + 0  # 09:15-09:30: 8, 09:20 and 09:25 are zero
    assert data["per"] == "15m"


def test_only_complete_buckets_are_drawn_and_the_week_ago_line_runs_on():
    data = mc.compute(inputs(MONDAY), options(), context("2026-11-23T10:30Z"))
    assert len(data["x"]) == 24
    assert len(data["today"]) == 10  # 00:00 ... 09:00
    assert len(data["week_ago"]) == 24 and data["week_ago"][9] == 20


def test_scale_applies_to_every_shown_value():
    data = mc.compute(inputs(MONDAY), options(scale=0.5), context("2026-11-23T10:30Z"))
    assert data["current"] == 25 and data["band_current"] == [5, 20] and data["today"][9] == 25


def test_render_shows_value_change_and_band_verdict():
    opts = options(unit="GB", decimals=1)
    data = mc.compute(inputs(MONDAY), opts, context("2026-11-23T10:30Z"))
    tree = mc.render(data, opts, View(2.0))
    text = str(tree.children[0].children)
    assert (
        "50.0 GB" in text
        and "▲ 150% vs week ago" in text
        and "above normal (10.0 GB–40.0 GB)" in text
    )
    graph = tree.children[1]
    assert isinstance(graph, dcc.Graph)
    assert [t["name"] for t in graph.figure["data"]] == [
        "band low",
        "normal band (minmax)",
        "week ago",
        "today",
    ]
    assert graph.figure["layout"]["font"]["size"] == 32  # 16 px scaled for a 4K screen
    legend = graph.figure["layout"]
    assert legend["showlegend"] and legend["legend"]["font"]["size"] == 32
    band = graph.figure["data"][1]  # hover gives the band as low–high, not its upper edge
    assert band["customdata"] == data["band_low"] and "%{customdata:,.1f}–%{y:,.1f} GB" in (
        band["hovertemplate"])


def test_time_never_read_has_no_current_value():
    late_start = inputs({"2026-11-23T11:00Z": 5}, covered_since="2026-11-23T11:00Z")
    data = mc.compute(late_start, options(), context("2026-11-23T10:30Z"))
    assert data["current"] is None and data["change_pct"] is None and data["outside"] is None
    assert "–" in str(mc.render(data, options(), View()).children[0].children)
