"""metric_compare with a changes link: spans shaded today and a week ago; exclude_changes."""

from dataclasses import replace

import pytest

from socwall.dashboard.config import ConfigError, parse_config
from socwall.widgets import metric_compare as mc
from socwall.widgets import metric_view, week_ago
from socwall.widgets.context import View
from tests.widgets.test_metric_compare import MONDAY, context, inputs, options


def change(start, end, title="CHG-1 patch", hosts=("db-02",), services=()):
    return {"id": title, "title": title, "start": start, "end": end, "hosts": list(hosts),
            "services": list(services), "end_known": True}  # fmt: skip


def test_touches_by_host_or_service_case_blind_and_all_without_a_mapping():
    link = mc.ChangeLink(source="c", hosts=["DB-02"], services=["database"])
    assert mc.touches(change("a", "b"), link)
    assert mc.touches(change("a", "b", hosts=["x"], services=["Database"]), link)
    assert not mc.touches(change("a", "b", hosts=["web-01"]), link)
    assert mc.touches(change("a", "b", hosts=["web-01"]), mc.ChangeLink(source="c"))


def test_spans_today_and_a_week_ago_on_the_local_axis():
    spans = (change("2026-11-23T08:00:00+00:00", "2026-11-23T09:30:00+00:00", "CHG-2 today"),
             change("2026-11-16T06:00:00+00:00", "2026-11-16T07:00:00+00:00", "CHG-1 last week"),
             change("2026-11-02T06:00:00+00:00", "2026-11-02T07:00:00+00:00", "old"))  # fmt: skip
    data = mc.compute(replace(inputs(MONDAY), changes=spans),
                      options(window="24h"), context("2026-11-23T10:30Z"))  # fmt: skip
    assert data["changes"] == [
        {"x0": "2026-11-23T08:00", "x1": "2026-11-23T09:30", "label": "CHG-2 db-02",
         "when": "today"},
        {"x0": "2026-11-23T06:00", "x1": "2026-11-23T07:00", "label": "CHG-1 db-02",
         "when": "week_ago"},
    ]  # fmt: skip
    figure = metric_view.figure(data, options(), View())
    assert len(figure["layout"]["shapes"]) == 2
    texts = [a["text"] for a in figure["layout"]["annotations"]]
    assert texts == ["CHG-2 db-02", "week ago: CHG-1 db-02"]


def test_short_labels():
    failover = change("a", "b", "CHG-1042 PostgreSQL failover")
    assert week_ago.short_label(failover) == "CHG-1042 db-02"
    assert week_ago.short_label(change("a", "b", "Weekly patch window (web tier)", hosts=())) == (
        "Weekly patch window (we…")
    assert week_ago.short_label(change("a", "b", "Short one")) == "Short one"


def test_exclude_changes_keeps_a_past_maintenance_out_of_the_band():
    # two weeks ago the 09:00 hour was a maintenance with 400 events: without exclusion the
    # band reaches 400 and today's 50... stays inside; excluded, the band is 10-40 again
    values = {**MONDAY, "2026-11-09T09:00Z": 400}
    maintenance = (change("2026-11-09T08:30:00+00:00", "2026-11-09T10:00:00+00:00"),)
    history = replace(inputs(values), changes=maintenance)
    kept = mc.compute(history, options(), context("2026-11-23T10:30Z"))
    assert kept["band_current"] == [10, 400] and kept["outside"] is None
    excluded = mc.compute(history, options(exclude_changes=True), context("2026-11-23T10:30Z"))
    assert excluded["band_current"] == [10, 40] and excluded["outside"] == "above"
    hour = excluded["x"].index("2026-11-23T09:00")
    assert excluded["band_high"][hour] == 40 and kept["band_high"][hour] == 400
    assert excluded["week_ago_current"] == 20  # the week-ago line itself is not blanked


def test_the_link_must_name_a_changes_source(tmp_path):
    from tests.conftest import events_config

    raw = events_config(tmp_path, "redis://127.0.0.1:1/0", "p")
    raw["pages"][0]["panels"][0]["options"]["changes"] = {"source": "events"}
    with pytest.raises(ConfigError, match=r"options\.changes\.source: 'events' is not a changes"):
        parse_config(raw, tmp_path)


def test_outside_the_band_is_a_fact_about_the_linked_hosts_over_the_big_numbers_window():
    link = {"source": "cal", "hosts": ["db-01", "db-02"], "services": ["database"]}
    data = mc.compute(inputs(MONDAY), options(changes=link), context("2026-11-23T10:30Z"))
    assert data["facts"] == [{
        "kind": "outside_band", "severity": "alarm", "row": "current",
        "text": "50, above normal 10–40", "hosts": ["db-01", "db-02"], "services": ["database"],
        "start": "2026-11-23T09:30:00+00:00", "end": "2026-11-23T10:30:00+00:00"}]  # fmt: skip
    unlinked = mc.compute(inputs(MONDAY), options(), context("2026-11-23T10:30Z"))
    assert (unlinked["facts"][0]["hosts"], unlinked["facts"][0]["services"]) == ([], [])
    spans = (change("2026-11-23T08:00:00+00:00", "2026-11-23T11:00:00+00:00", "CHG-9 x",
                    hosts=("fw-01",), services=("net",)),)  # fmt: skip
    every = mc.compute(replace(inputs(MONDAY), changes=spans), options(changes={"source": "cal"}),
                       context("2026-11-23T10:30Z"))  # fmt: skip
    assert (every["facts"][0]["hosts"], every["facts"][0]["services"]) == (["fw-01"], ["net"])


def test_a_weekly_rhythm_is_explained_a_daily_one_is_not():
    # Monday 09:00-10:00: 50 today and 40-50 on past Mondays (inside the band), but the other
    # days of the week at 09:00 saw 5: a weekly batch, said so
    mondays = {"2026-11-23T09:00Z": 50, "2026-11-16T09:00Z": 45, "2026-11-09T09:00Z": 50,
               "2026-11-02T09:00Z": 40, "2026-10-26T09:00Z": 48}  # fmt: skip
    other_days = {f"2026-11-{d:02d}T09:00Z": 5 for d in range(17, 23)}
    data = mc.compute(inputs({**mondays, **other_days}), options(), context("2026-11-23T10:30Z"))
    assert data["outside"] is None and data["vs_other_days"] == 10.0
    (fact,) = data["facts"]
    assert fact["kind"] == "weekly_rhythm" and fact["severity"] == "notice"
    assert fact["explained"] == "normal for Mondays at 10:00 (past weeks)"
    daily = {f"2026-11-{d:02d}T09:00Z": 45 for d in range(17, 23)}  # every day at 09:00 alike
    calm = mc.compute(inputs({**mondays, **daily}), options(), context("2026-11-23T10:30Z"))
    assert calm["facts"] == [] and calm["vs_other_days"] == pytest.approx(1.11, abs=0.01)
