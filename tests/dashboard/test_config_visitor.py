"""The visitor, web.burn_in and web.night sections: defaults, errors naming the key, the night."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from socwall.dashboard.config import ConfigError, parse_config
from socwall.dashboard.config_visitor import NightConfig
from tests.conftest import events_config


@pytest.fixture
def raw(tmp_path):
    return events_config(tmp_path, "redis://127.0.0.1:6379/0", "p")


def test_defaults_burn_in_on_kiosks_no_night_no_redacted_screen(raw):
    raw["screens"] = {"lobby": {"pages": ["main"], "token": "x" * 16}}
    config = parse_config(raw)
    assert config.web.burn_in.on == "kiosk" and config.web.burn_in.shift == 8
    assert config.web.night is None and config.screens["lobby"].redact is False
    assert config.visitor.secret is None


@pytest.mark.parametrize("section,value,problem", [
    ("night", {"start": "25:00"},
     'web.night.start: expected a local time like "22:00", got "25:00"'),
    ("burn_in", {"shift": 100}, "web.burn_in.shift: "),
    ("burn_in", {"on": "sometimes"}, "web.burn_in.on: "),
])  # fmt: skip
def test_a_bad_value_names_its_key(raw, section, value, problem):
    raw["web"][section] = value
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    assert caught.value.problems[0].startswith(problem), caught.value.problems


BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize("start,end,utc,inside", [
    ("22:00", "06:00", "2026-03-30T19:59:59", False),  # 21:59:59 in Berlin (CEST)
    ("22:00", "06:00", "2026-03-30T20:00:00", True),
    ("22:00", "06:00", "2026-03-31T03:59:59", True),   # 05:59:59, past midnight
    ("22:00", "06:00", "2026-03-31T04:00:00", False),
    ("10:31", "11:30", "2026-03-30T08:31:00", True),
    ("10:31", "11:30", "2026-03-30T09:30:00", False),
])  # fmt: skip
def test_the_night_covers_its_local_hours_also_across_midnight(start, end, utc, inside):
    moment = datetime.fromisoformat(utc).replace(tzinfo=UTC)
    assert NightConfig(start=start, end=end).covers(moment, BERLIN) is inside
