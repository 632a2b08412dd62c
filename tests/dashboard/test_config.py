"""config.yaml validation: every problem is reported with its YAML key path and a hint."""

import copy
from pathlib import Path

import pytest
import yaml

from socwall.dashboard.config import ConfigError, load_config, parse_config
from tests.conftest import events_config

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config.yaml"


@pytest.fixture
def raw(tmp_path):
    return events_config(tmp_path, "redis://127.0.0.1:6379/0", "p")


def problems_of(raw: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    return caught.value.problems


def test_the_repository_config_is_valid():
    config = load_config(REPO_CONFIG)
    assert config.sources["security_events"].path.endswith("demo-data/events/*.csv")
    assert [p.id for p in config.pages] == ["threats", "network", "intel", "access", "operations",
                                          "context", "sensors"]


def test_bad_duration_names_the_key_and_shows_the_expected_form(raw):
    raw["pages"][0]["panels"][1]["refresh"] = "often"
    assert problems_of(raw) == [
        'pages[0].panels[1].refresh: expected a duration like 30s or 5m, got "often"'
    ]


def test_unknown_key_is_an_error_with_a_suggestion(raw):
    raw["sources"]["events"]["refrsh"] = "1m"
    assert problems_of(raw) == ["sources.events.refrsh: unknown key; did you mean 'refresh'?"]


def test_every_problem_is_reported_at_once(raw):
    raw["timezone"] = "Europe/Berln"
    raw["store"]["url"] = "http://localhost"
    raw["pages"][0]["panels"][0]["options"]["band"] = "p5-p95"
    problems = problems_of(raw)
    assert len(problems) == 3
    assert problems[0].startswith('timezone: unknown time zone "Europe/Berln"')
    assert problems[1].startswith("store.url: expected a redis://, rediss://, unix://")
    assert problems[2].startswith("pages[0].panels[0].options.band: expected 'p10-p90'")


def test_unknown_widget_and_missing_keys(raw):
    from socwall.widgets import WIDGETS

    raw["pages"][0]["panels"][0]["widget"] = "pie_chart"
    del raw["pages"][0]["panels"][1]["title"]
    names = ", ".join(WIDGETS)
    assert problems_of(raw) == [
        f"pages[0].panels[0].widget: unknown widget 'pie_chart'; expected one of {names}",
        "pages[0].panels[1].title: required key is missing",
    ]


def test_references_are_checked_after_the_schema(raw):
    raw["pages"][0]["panels"][0]["source"] = "nowhere"
    raw["pages"][0]["panels"][1]["options"]["metric"] = "failures"
    raw["pages"][1]["panels"][0]["id"] = "failed"
    assert problems_of(raw) == [
        "pages[0].panels[0].source: unknown source 'nowhere' (sources: events)",
        "pages[0].panels[1].options.metric: source has no metric 'failures' (has: failed, blocks)",
        "pages[1].panels[0].id: panel id 'failed' is used twice",
    ]


def test_panels_must_stay_on_the_grid_and_not_overlap(raw):
    panels = raw["pages"][0]["panels"]
    panels[1]["at"] = [1, 1]
    extra = copy.deepcopy(panels[0]) | {"id": "third", "at": [2, 1], "span": [2, 1]}
    panels.append(extra)
    assert problems_of(raw) == [
        "pages[0].panels[1].at: overlaps panel 'failed' at column 1, row 1",
        "pages[0].panels[2].at: the panel leaves the 2x1 grid",
    ]


def test_current_window_must_be_whole_source_buckets(raw):
    raw["pages"][0]["panels"][0]["options"]["current"] = "7m"
    assert problems_of(raw) == [
        "pages[0].panels[0].options.current: must be a multiple of the source bucket (0:05:00)"
    ]


def test_secrets_come_from_the_environment(raw, monkeypatch):
    raw["store"]["password"] = "${SOCWALL_TEST_SECRET}"
    monkeypatch.delenv("SOCWALL_TEST_SECRET", raising=False)
    assert problems_of(raw) == [
        "store.password: environment variable SOCWALL_TEST_SECRET is not set"
    ]
    monkeypatch.setenv("SOCWALL_TEST_SECRET", "s3cret")
    config = parse_config(raw)
    assert config.store.password.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(config)


def test_relative_source_paths_resolve_against_the_config_file(tmp_path, raw):
    raw["sources"]["events"]["path"] = "data/*.csv"
    path = tmp_path / "wall.yaml"
    path.write_text(yaml.safe_dump(raw))
    assert load_config(path).sources["events"].path == str(tmp_path / "data" / "*.csv")


def test_not_yaml_and_missing_file_are_clear(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("pages: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(broken)
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_config(tmp_path / "missing.yaml")


def test_defaults_bind_to_loopback(raw):
    del raw["web"]
    assert parse_config(raw).web.host == "127.0.0.1"


def test_a_widget_names_the_source_types_it_can_read(raw):
    raw["pages"][0]["panels"][0] |= {"widget": "top_talkers", "options": {}}
    assert problems_of(raw) == [
        "pages[0].panels[0].source: top_talkers needs a flows source, not 'events'"
    ]
