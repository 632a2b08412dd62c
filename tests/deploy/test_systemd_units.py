"""deploy/*.service pass `systemd-analyze verify` and earn their "hardened": `systemd-analyze
security --offline=yes` (systemd 250 and later score a unit file without a running systemd)
rates each at most 3.0, "OK". Skipped where systemd-analyze is missing; .ci/run installs it."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = sorted(DEPLOY.glob("*.service"))


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_unit_verifies(unit, tmp_path):
    # verify needs the programs to exist: point them at this venv's socwall, change nothing else
    socwall = Path(sys.executable).with_name("socwall")
    text = unit.read_text().replace("/opt/socwall/bin/socwall", str(socwall))
    text = text.replace("User=socwall\n", "").replace("Group=socwall\n", "")
    copy = tmp_path / unit.name
    copy.write_text(text)
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", str(copy)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    problems = [line for line in done.stderr.splitlines() if unit.name in line]
    assert done.returncode == 0 and not problems, done.stderr


def test_both_commands_have_a_unit():
    assert [u.name for u in UNITS] == ["socwall-serve.service", "socwall-worker.service"]


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_reload_is_a_hangup_for_both(unit):
    # both commands reload on SIGHUP and keep the last good config (tests/dashboard/*reload*)
    assert "ExecReload=/bin/kill -HUP $MAINPID" in unit.read_text().splitlines()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_unit_is_rated_ok_by_systemd_analyze_security(unit):
    done = subprocess.run(["systemd-analyze", "security", "--offline=yes", "--no-pager",
                           str(unit)], capture_output=True, text=True, timeout=60)  # fmt: skip
    assert "--offline" not in done.stderr, f"this systemd cannot score a file: {done.stderr}"
    assert not [line for line in done.stderr.splitlines() if unit.name in line], done.stderr
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d) (\w+)", done.stdout)
    assert found, done.stdout + done.stderr
    assert float(found[1]) <= 3.0 and found[2] == "OK", done.stdout


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_units_keep_their_state_where_systemd_makes_it(unit):
    lines = unit.read_text().splitlines()
    assert "StateDirectory=socwall" in lines and not any(
        line.startswith("ReadWritePaths=") for line in lines
    )  # systemd creates /var/lib/socwall for the user; nothing else is writable
    assert "CapabilityBoundingSet=" in lines and "NoNewPrivileges=yes" in lines
    assert any(line.startswith("MemoryMax=") for line in lines)
