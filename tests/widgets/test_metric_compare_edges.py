"""The band verdict at its edges. Past weeks 16, 36, 25, 20 make a min-max band of 16..36; the
allowance beyond it is the wider of noise_sigma * sqrt(edge) (counts only) and tolerance *
edge, each side its own. Values are picked so every edge is exact in binary floating point:
on the edge is inside, a half beyond it is outside."""

import dataclasses

import pytest

from socwall.widgets import metric_compare as mc
from tests.widgets.test_metric_compare import context, inputs, options

NOW = "2026-11-23T10:30Z"
PAST = {"2026-11-16T09:00Z": 16, "2026-11-09T09:00Z": 36, "2026-11-02T09:00Z": 25,
        "2026-10-26T09:00Z": 20}  # fmt: skip


def verdict(today: float, kind: str = "count", **overrides) -> tuple:
    series = inputs(PAST | {"2026-11-23T09:00Z": today})
    data = mc.compute(dataclasses.replace(series, kind=kind), options(**overrides), context(NOW))
    assert data["band_current"] == [16, 36]
    return data["outside"], data["near_band"], data["highlight"]


@pytest.mark.parametrize("today,expected", [
    (36, (None, False, False)), (36.5, ("above", False, True)),
    (16, (None, False, False)), (15.5, ("below", False, True)),
    (26, (None, False, False)),
])  # fmt: skip
def test_the_band_itself_is_inside(today, expected):
    assert verdict(today) == expected


@pytest.mark.parametrize("today,expected", [
    (42, (None, True, False)), (42.5, ("above", False, True)),  # 36 + 1 * sqrt(36)
    (12, (None, True, False)), (11.5, ("below", False, True)),  # 16 - 1 * sqrt(16)
])  # fmt: skip
def test_counting_noise_widens_each_side_by_its_own_edge(today, expected):
    assert verdict(today, noise_sigma=1) == expected


@pytest.mark.parametrize("today,expected", [
    (45, (None, True, False)), (45.5, ("above", False, True)),  # 0.25 * 36 = 9 beats sqrt 6
    (12, (None, True, False)), (11.5, ("below", False, True)),  # sqrt(16) = 4 = 0.25 * 16
    (8, (None, True, False)),  # with tolerance 0.5 below: 16 - 8
])  # fmt: skip
def test_the_wider_allowance_wins(today, expected):
    tolerance = 0.5 if today == 8 else 0.25
    assert verdict(today, noise_sigma=1, tolerance=tolerance) == expected
    if today == 8:
        assert verdict(7.5, noise_sigma=1, tolerance=0.5) == ("below", False, True)


def test_a_gauge_has_no_counting_noise():
    assert verdict(36.5, kind="gauge", noise_sigma=1) == ("above", False, True)
    assert verdict(45, kind="gauge", noise_sigma=1, tolerance=0.25) == (None, True, False)
