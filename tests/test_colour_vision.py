"""The state colours stay apart for colour-blind eyes in both palettes (tools/colour_vision.py)."""

import importlib.util
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[1] / "tools" / "colour_vision.py"
MIN_DELTA_E = 20.0  # CAM02-UCS; about 10 is "clearly different" side by side, 20 across a room
MIN_CONTRAST = 3.0  # WCAG 2 non-text contrast (1.4.11) of each state colour on a panel


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("colour_vision", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_palette_and_vision_keeps_the_states_apart_and_readable(tool):
    rows = tool.report()
    assert {(r["palette"], r["vision"]) for r in rows} == {
        (p, v) for p in ("day", "night") for v in tool.VISIONS
    }
    for row in rows:
        assert row["min_delta_e"] >= MIN_DELTA_E, row
        assert row["min_contrast"] >= MIN_CONTRAST, row


def test_the_simulation_does_change_colours_and_the_night_is_its_own(tool):
    palettes = tool.palettes()
    alarm = palettes["day"]["--alert"]
    assert tool.delta_e(tool.seen(alarm, None), tool.seen(alarm, "deuteranomaly")) > 5
    # red and green, which deuteranopes confuse, come out close: the check can fail
    red, green = tool.seen("#d00000", "deuteranomaly"), tool.seen("#6a8a00", "deuteranomaly")
    assert tool.delta_e(red, green) < MIN_DELTA_E
    assert palettes["night"]["--text"] != palettes["day"]["--text"]
    assert all(colour.lower() != "#ffffff" for colour in palettes["night"].values())
