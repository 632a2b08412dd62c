"""metric_grid: each cell agrees with metric_compare, gauges average, expansion and limits."""

from dataclasses import dataclass
from datetime import UTC, timedelta

import pandas as pd
import pytest
from dash import html

from socwall.widgets import metric_compare as mc
from socwall.widgets import metric_grid as mg
from socwall.widgets import week_ago
from socwall.widgets.context import PanelContext, View

NOW = pd.Timestamp("2026-11-23T10:30Z").to_pydatetime()  # a Monday
HOUR = timedelta(hours=1)
FIVE = timedelta(minutes=5)


def hourly(today: float, past: list[float], hour="09:00") -> dict[str, float]:
    """One value at `hour` today and on the same weekday 1..n weeks ago."""
    days = ["2026-11-23", "2026-11-16", "2026-11-09", "2026-11-02", "2026-10-26"]
    return {f"{d}T{hour}Z": v for d, v in zip(days, [today, *past], strict=False)}


class FakeReader:
    """The PanelReader interface over in-memory series (the store path is tested elsewhere)."""

    def __init__(self, series: dict[str, dict[str, float]], kinds=None, labels=None, bucket=HOUR):
        self.series, self.kinds, self.labels, self.bucket = series, kinds or {}, labels or {}, bucket

    def metric_series(self, source_id, metric, ranges):
        values = self.series.get(metric, {})
        index = pd.to_datetime(list(values), utc=True)
        return pd.Series(list(values.values()), index=index, dtype=float)

    def source_bucket(self, source_id):
        return self.bucket

    def source_covered_since(self, source_id):
        return pd.Timestamp("2026-10-01T00:00Z").to_pydatetime()

    def metric_kind(self, source_id, metric):
        return self.kinds.get(metric, "count")

    def document(self, source_id, name):
        return self.labels.get(name)


@dataclass
class Panel:
    options: mg.MetricGridOptions


def grid(cells, **extra) -> mg.MetricGridOptions:
    defaults = {"current": "1h", "band": "minmax", "noise_sigma": 0, "tolerance": 0}
    return mg.MetricGridOptions(cells=cells, **(defaults | extra))


def payload(reader, options):
    context = PanelContext(NOW, UTC, None)
    return mg.compute(mg.load(reader, Panel(options), context), options, context)


def test_each_cell_is_what_metric_compare_says_for_that_metric():
    series = {"logins": hourly(50, [20, 30, 40, 10]), "errors": hourly(25, [20, 30, 40, 10])}
    options = grid([{"source": "s", "metric": "logins"}, {"source": "s", "metric": "errors"}])
    cells = payload(FakeReader(series), options)["cells"]
    for cell in cells:
        compare = mc.MetricCompareOptions(metric=cell["label"], band="minmax", current="1h",
                                          chart_bucket="1h", noise_sigma=0, tolerance=0)  # fmt: skip
        history = week_ago.MetricInputs(
            FakeReader(series).metric_series("s", cell["label"], []), HOUR,
            pd.Timestamp("2026-10-01T00:00Z").to_pydatetime(),
        )  # fmt: skip
        expected = mc.compute(history, compare, PanelContext(NOW, UTC, "s"))
        assert cell["value"] == expected["current"]
        assert cell["band"] == expected["band_current"] and cell["outside"] == expected["outside"]
    logins, errors = cells
    assert (logins["value"], logins["week_ago"], logins["change_pct"]) == (50, 20, 150.0)
    assert logins["band"] == [10, 40] and logins["outside"] == "above"
    assert (errors["value"], errors["week_ago"], errors["change_pct"]) == (25, 20, 25.0)
    assert errors["band"] == [10, 40] and errors["outside"] is None  # by hand, not by compute


def test_highlight_only_when_a_cell_is_outside_its_band():
    calm = {"a": hourly(25, [20, 30, 40, 10])}
    options = grid([{"source": "s", "metric": "a"}])
    assert payload(FakeReader(calm), options)["highlight"] is False
    loud = {"a": hourly(5, [20, 30, 40, 10])}
    data = payload(FakeReader(loud), options)
    assert data["highlight"] is True and data["cells"][0]["outside"] == "below"


def test_a_gauge_window_is_the_mean_of_its_samples_and_absent_samples_are_unknown():
    samples = {"2026-11-23T09:30Z": 10, "2026-11-23T09:35Z": 30}  # 10 more buckets absent
    for weeks in (1, 2):  # the last hour is 09:30-10:30 at 5-minute buckets
        for minute in range(0, 60, 5):
            at = NOW - weeks * timedelta(days=7) - timedelta(minutes=60 - minute)
            samples[f"{at:%Y-%m-%dT%H:%M}Z"] = 20
    reader = FakeReader({"latency": samples}, kinds={"latency": "gauge"}, bucket=FIVE)
    cell = payload(reader, grid([{"source": "s", "metric": "latency"}]))["cells"][0]
    assert cell["kind"] == "gauge"
    assert cell["value"] == 20  # (10 + 30) / 2, not 40 and not 40 / 12
    assert cell["week_ago"] == 20


def test_expansion_makes_one_cell_per_label_value_up_to_the_limit():
    labels = {"labels-lat": ["lat@eu-1", "lat@eu-2", "lat@us-1"]}
    series = {name: hourly(10, [10, 10]) for name in labels["labels-lat"]}
    options = grid([{"source": "s", "metric": "lat", "expand": True, "limit": 2, "label": "DB"}])
    cells = payload(FakeReader(series, labels=labels), options)["cells"]
    assert [(c["label"], c["detail"]) for c in cells] == [("DB", "eu-1"), ("DB", "eu-2")]


def test_cells_beyond_max_cells_are_counted_and_unread_expansions_named():
    series = {f"m{i}": hourly(i, [i, i]) for i in range(4)}
    cells = [{"source": "s", "metric": f"m{i}"} for i in range(4)]
    cells.append({"source": "s", "metric": "lat", "expand": True, "label": "DB latency"})
    data = payload(FakeReader(series), grid(cells, max_cells=3))
    assert len(data["cells"]) == 3 and data["hidden"] == 1
    assert data["missing"] == ["DB latency"]


def test_a_metric_never_read_shows_no_data_not_zero():
    reader = FakeReader({})
    reader.source_covered_since = lambda source_id: NOW  # nothing was read before now
    options = grid([{"source": "s", "metric": "a"}])
    data = payload(reader, options)
    assert data["cells"][0]["value"] is None and data["highlight"] is False
    text = _texts(mg.render(data, options, View()))
    assert "no data" in text and "0" not in text.split("no data")[0].split("a")[-1]


def test_check_sources_names_the_cell_key():
    from socwall.feeds.events import EventsConfig

    events = EventsConfig(type="events", path="x.csv", metrics={"a": {}})
    options = grid([{"source": "nope", "metric": "a"}, {"source": "ev", "metric": "b"},
                    {"source": "ev", "metric": "a", "expand": True}])  # fmt: skip
    problems = dict(mg.check_sources(options, {"ev": events}))
    assert "unknown source 'nope'" in problems["cells[0].source"]
    assert "no metric 'b'" in problems["cells[1].metric"]
    assert "no `by` label" in problems["cells[2].expand"]


def test_render_draws_bullets_with_band_bar_and_week_ago_marker():
    series = {"a": hourly(50, [20, 30, 40, 10])}
    options = grid([{"source": "s", "metric": "a", "unit": "ms", "label": "Latency"}])
    data = payload(FakeReader(series), options)
    tree = mg.render(data, options, View())
    text = _texts(tree)
    assert "Latency" in text and "50 ms" in text and "above band" in text
    bullet = _find(tree, "mcell-bullet")[0]
    parts = {child.className: child.style for child in bullet.children}
    top = 50 * 1.15  # the largest of value, week ago and band, with room
    assert parts["mcell-bar"]["width"] == f"{50 / top * 100:.1f}%"
    assert parts["mcell-mark"]["left"] == f"{20 / top * 100:.1f}%"
    assert parts["mcell-band"] == {"left": f"{10 / top * 100:.1f}%", "width": f"{30 / top * 100:.1f}%"}
    assert _find(tree, "mcell alert")


@pytest.mark.parametrize("count, columns", [(1, 1), (4, 2), (25, 5), (30, 6)])
def test_grid_is_square_by_default(count, columns):
    series = {f"m{i}": hourly(1, [1, 1]) for i in range(count)}
    options = grid([{"source": "s", "metric": f"m{i}"} for i in range(count)])
    tree = mg.render(payload(FakeReader(series), options), options, View())
    style = _find(tree, "mgrid")[0].style
    assert style["gridTemplateColumns"] == f"repeat({columns}, minmax(0, 1fr))"


def _find(node, class_name: str) -> list:
    found = [node] if getattr(node, "className", None) == class_name else []
    children = getattr(node, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if isinstance(child, html.Div | html.Span):
            found += _find(child, class_name)
    return found


def _texts(node) -> str:
    if isinstance(node, str):
        return node
    children = getattr(node, "children", None)
    if children is None:
        return ""
    items = children if isinstance(children, list) else [children]
    return " ".join(_texts(child) for child in items)


def test_a_cell_outside_its_band_is_a_fact_of_its_row_and_the_footer_counts():
    series = {"a": hourly(25, [20, 30, 40, 10]), "b": hourly(5, [20, 30, 40, 10])}
    options = grid([{"source": "s", "metric": "a"}, {"source": "s", "metric": "b", "label": "B"}])
    data = payload(FakeReader(series), options)
    (fact,) = data["facts"]
    assert (fact["row"], fact["severity"], fact["text"]) == ("1", "alarm",
                                                             "B: 5, below normal 10–40")
    data["verdict"] = {"state": "alarm", "reasons": [], "rows": {"1": {"state": "alarm"}}}
    tree = mg.render(data, options, View())
    cells = tree.children[0].children
    assert [c.className for c in cells] == ["mcell", "mcell alert"]
    assert tree.children[1].children == "1 of 2 outside their band (last 1h)"
