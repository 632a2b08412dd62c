"""The command starts fast: --version, --help and check-config import no heavy library.

Each case runs in a fresh interpreter (the test process has imported everything already) and
reports which of the heavy libraries ended up in sys.modules.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("dash", "plotly", "pandas", "ibis", "pyarrow", "duckdb", "redis", "numpy", "flask")
ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
from socwall.dashboard.cli import main
try:
    code = main(json.loads(sys.argv[1]))
except SystemExit as end:
    code = end.code
heavy = json.loads(sys.argv[2])
print(json.dumps({"code": code, "loaded": [m for m in heavy if m in sys.modules]}))
"""


def imported_by(args: list[str], heavy=HEAVY) -> tuple[int, list[str], str]:
    """Run `socwall ARGS` in a new interpreter: its exit code, the heavy modules it loaded."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), json.dumps(heavy)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    last = json.loads(result.stdout.strip().splitlines()[-1])
    return last["code"], last["loaded"], result.stdout


@pytest.mark.parametrize(
    "args",
    [["--version"], ["--help"], ["demo", "--help"], ["check-config", "--help"],
     ["worker", "--help"], ["serve", "--help"], ["run-once", "--help"]],
)  # fmt: skip
def test_version_and_help_import_no_heavy_library(args):
    code, loaded, out = imported_by(args)
    assert code == 0
    assert "socwall" in out
    assert loaded == []


def test_check_config_imports_no_dash_plotly_or_flask(tmp_path):
    # validating needs every widget's options model, not Dash: the widgets import Dash's
    # component modules on the first render (widgets/components.py)
    code, loaded, out = imported_by(["check-config", str(ROOT / "config.yaml")])
    assert code == 0 and out.splitlines()[-2].endswith(": ok")
    assert [m for m in loaded if m in ("dash", "plotly", "flask")] == []


def test_the_probe_sees_a_heavy_import_when_there_is_one():
    # `schema` builds the whole config model (every widget and source): it must show up here,
    # or the tests above prove nothing
    code, loaded, _ = imported_by(["schema"], heavy=("pydantic", "socwall.widgets"))
    assert code == 0
    assert loaded == ["pydantic", "socwall.widgets"]


# every library a source or widget runs on, none of which validating a config needs
RUNTIME = (*HEAVY, "irc", "icalendar", "recurring_ical_events", "feedparser", "websockets",
           "sqlglot", "evtx", "authlib", "apscheduler", "gunicorn")  # fmt: skip


@pytest.mark.parametrize("config", ["config.yaml", "broken.yaml"])
def test_check_config_imports_no_library_a_source_or_widget_runs_on(tmp_path, config):
    # each source keeps its Config, each widget its Options and checks, in a module free of
    # them (feeds/<name>_config.py, widgets/<name>_options.py): the registries say which
    broken = (ROOT / "config.yaml").read_text().replace("widget: top_talkers", "widget: nope", 1)
    (tmp_path / "broken.yaml").write_text(broken)
    path = ROOT / "config.yaml" if config == "config.yaml" else tmp_path / config
    code, loaded, out = imported_by(["check-config", str(path)], heavy=RUNTIME)
    assert code == (0 if config == "config.yaml" else 2)
    assert loaded == []


def test_the_registries_give_the_whole_module_when_it_runs():
    code, loaded, _ = imported_by(["schema"], heavy=("pandas", "socwall.widgets.top_talkers"))
    assert code == 0 and loaded == []
    probe = ("import sys; from socwall.widgets import WIDGETS; WIDGETS['top_talkers'].compute; "
             "print('pandas' in sys.modules)")  # fmt: skip
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip() == "True"
