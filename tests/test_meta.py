"""Every registered widget and source has its tests and its documented section; the docs hold."""

from pathlib import Path

import pytest

from socwall.dashboard.config import WallConfig
from socwall.feeds import SOURCES
from socwall.widgets import WIDGETS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
DOCS = ROOT / "docs"
WIDGETS_PAGE = (DOCS / "widgets.md").read_text()
SOURCES_PAGE = (DOCS / "sources.md").read_text() + (DOCS / "data-lake.md").read_text()
CONFIG_PAGE = (DOCS / "configuration.md").read_text()


@pytest.mark.parametrize("name", sorted(WIDGETS))
def test_widget_has_tests_and_a_documented_section(name):
    assert (ROOT / "tests" / "widgets" / f"test_{name}.py").exists()
    assert set(WIDGETS[name].source_types) <= set(SOURCES)
    section = WIDGETS_PAGE.split(f"## `{name}`", 1)[1].split("\n## ", 1)[0]
    for option in WIDGETS[name].Options.model_fields:
        assert f"`{option}`" in section, f"option {option} of {name} is not in docs/widgets.md"


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_source_has_tests_and_a_documented_section(name):
    assert (ROOT / "tests" / "feeds" / f"test_{name}.py").exists()
    section = SOURCES_PAGE.split(f"## `{name}`", 1)[1].split("\n## ", 1)[0]
    for key in SOURCES[name].Config.model_fields:
        assert f"`{key}`" in section, f"key {key} of source {name} is not in docs/sources.md"


def test_every_top_level_config_key_is_documented():
    for section in WallConfig.model_fields:
        assert f"`{section}" in CONFIG_PAGE, section


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


def test_the_configuration_reference_is_written_from_the_schema():
    from socwall.dashboard.config_reference import config_reference

    page = (DOCS / "config-reference.md").read_text()
    assert page == config_reference(), "run: socwall schema --markdown > docs/config-reference.md"


def test_the_readme_getting_started_config_is_valid(tmp_path):
    from socwall.dashboard.config import load_config

    config_text = README.split("```yaml", 1)[1].split("```", 1)[0]
    assert len(config_text.strip().splitlines()) <= 30
    (tmp_path / "config.yaml").write_text(config_text)
    config = load_config(tmp_path / "config.yaml")
    assert [p.widget for p in config.panels()] == [
        "metric_compare", "suspicious_users", "top_talkers", "feed_keywords"]  # fmt: skip


def test_every_docs_page_is_in_the_site_and_the_readme_links_exist():
    import re

    site = (ROOT / "mkdocs.yml").read_text()
    for page in DOCS.glob("*.md"):
        assert f": {page.name}" in site, f"{page.name} is not in mkdocs.yml's nav"
    for link in re.findall(r"\]\(((?:docs|bench)/[^)#]+)", README):
        assert (ROOT / link).exists(), link

