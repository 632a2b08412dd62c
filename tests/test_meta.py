"""Every registered widget and source has its tests and its section in the README."""

from pathlib import Path

import pytest

from socwall.dashboard.config import WallConfig
from socwall.feeds import SOURCES
from socwall.widgets import WIDGETS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


@pytest.mark.parametrize("name", sorted(WIDGETS))
def test_widget_has_tests_and_a_readme_section(name):
    assert (ROOT / "tests" / "widgets" / f"test_{name}.py").exists()
    assert set(WIDGETS[name].source_types) <= set(SOURCES)
    assert f"### `{name}`" in README
    for option in WIDGETS[name].Options.model_fields:
        assert f"`{option}`" in README, f"option {option} of {name} is not documented"


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_source_has_tests_and_a_readme_section(name):
    assert (ROOT / "tests" / "feeds" / f"test_{name}.py").exists()
    assert f"### `{name}`" in README
    for key in SOURCES[name].Config.model_fields:
        assert f"`{key}`" in README, f"key {key} of source {name} is not documented"


def test_every_top_level_config_key_is_documented():
    for section in WallConfig.model_fields:
        assert f"`{section}" in README, section


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_command():
    first_block = README.split("```bash", 1)[1].split("```", 1)[0]
    assert "socwall demo" in first_block and "bash .ci/run" in first_block
    assert ".venv/bin/python -m pytest" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize("folder", ["socwall", "dashboard", "dashboard/demo", "widgets", "feeds"])
def test_no_module_is_over_400_lines(folder):
    long = {p.name: n for p in (ROOT / folder).glob("*.py")
            if (n := len(p.read_text().splitlines())) > 400}  # fmt: skip
    assert long == {}, f"split these along a seam: {long}"


def test_every_registered_widget_is_in_the_independence_contract():
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    independent = next(c for c in contracts["contracts"] if c["type"] == "independence")
    assert {f"socwall.widgets.{name}" for name in WIDGETS} == set(independent["modules"])

