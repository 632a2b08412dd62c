"""The built wheel, installed in a fresh venv outside the checkout, serves a styled, filled wall.

Dependencies: by default the fresh venv sees the test venv's installed dependencies through a
.pth line (the wheel itself goes in with --no-deps), which keeps CI fast; socwall's own code,
CSS, JS and demo config come only from the wheel, and the test checks that. Set
SOCWALL_WHEEL_FULL=1 to let pip resolve and install every dependency into the fresh venv too.
"""

import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import set_viewport
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ["pyproject.toml", "README.md", "LICENSE", "config.yaml", "socwall", "dashboard", "widgets",
           "feeds", "assets"]  # fmt: skip

pytestmark = pytest.mark.browser


def run(*command, **kwargs) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, **kwargs)
    assert done.returncode == 0, f"{command}: {done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv outside the checkout with only the wheel of socwall in it."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    for name in SHIPPED:  # a copy, so the build leaves nothing in the checkout
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", "demo-data"))  # fmt: skip
        else:
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work / "dist"),
        str(source))  # fmt: skip
    (wheel,) = (work / "dist").glob("socwall-*.whl")
    venv = work / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", str(venv))
    python = venv / "bin" / "python"
    full = os.environ.get("SOCWALL_WHEEL_FULL") == "1"
    run(sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
        *([] if full else ["--no-deps"]), str(wheel))  # fmt: skip
    if not full:
        purelib = run(str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
        Path(purelib.strip(), "_socwall_test_deps.pth").write_text(
            sysconfig.get_paths()["purelib"] + "\n"
        )
    shutil.rmtree(source)  # nothing of the checkout left to fall back on
    return venv


def test_the_wheel_alone_runs_the_demo_styled_and_filled(installed, tmp_path, browser):
    workdir = tmp_path / "anywhere"
    workdir.mkdir()
    python, socwall = installed / "bin" / "python", installed / "bin" / "socwall"
    where = run(str(python), "-c", "import socwall.dashboard.app as a; print(a.__file__, a.ASSETS)",
                cwd=workdir).split()  # fmt: skip
    assert all(path.startswith(str(installed)) for path in where), where
    assert run(str(socwall), "--version", cwd=workdir).strip() == "socwall 0.1.0"

    process, port = _start_demo(socwall, workdir, tmp_path / "demo.log")
    try:
        set_viewport(browser, 1920, 1080)
        browser.get(f"http://127.0.0.1:{port}/")
        wait = WebDriverWait(browser, 90, poll_frequency=0.3)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".panel")
                   and not d.find_elements(By.CSS_SELECTOR, ".panel.waiting"))  # fmt: skip
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".panel .main-svg")) >= 2)
        style = browser.execute_script(
            "const s = getComputedStyle(document.body), w = getComputedStyle("
            "document.querySelector('.wall'));"
            "return [s.backgroundColor, s.overflow, w.display, !!window.dash_clientside.socwall]"
        )
        assert style == ["rgb(11, 15, 20)", "hidden", "grid", True]  # wall.css and wall.js
        assert (workdir / "demo-data" / "events").is_dir()  # written here, not in site-packages
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def _start_demo(socwall: Path, workdir: Path, log_path: Path) -> tuple[subprocess.Popen, int]:
    """`socwall demo` on a free port, once it answers. The port is picked here and bound by
    the demo later: taken in between (the demo says so and exits), it starts on another."""
    for _attempt in range(3):
        port = free_port()
        with open(log_path, "w") as log:
            process = subprocess.Popen([str(socwall), "demo", "--port", str(port)], cwd=workdir,
                                       start_new_session=True, stdout=log, stderr=log)  # fmt: skip
        if _answers(f"http://127.0.0.1:{port}/", process):
            return process, port
        if "in use" not in log_path.read_text(errors="replace"):
            break
    raise AssertionError(f"socwall demo exited:\n{log_path.read_text()[-2000:]}")


def _answers(url: str, process: subprocess.Popen, timeout: float = 90) -> bool:
    """True once the URL answers; False when the process exits first; fails after `timeout`."""
    deadline = time.monotonic() + timeout
    while process.poll() is None:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return True
        except OSError:
            assert time.monotonic() < deadline, f"no answer from {url} in {timeout} s"
            time.sleep(0.3)
    return False
    pytest.fail(f"{url} did not answer within {timeout} s")
