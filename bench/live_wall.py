"""A real wall for the load and soak benches: redis-server, `socwall serve`, `socwall worker`.

The config is generated from the demo config shipped with socwall (its sources, widgets and
options), with the store pointed at a throwaway redis-server. Demo data is written before the
worker starts and appended every 20 s while the wall runs, as `socwall demo` does, so panels
change and screens fetch new figures as they would on a live wall.
"""

import copy
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from importlib import resources
from pathlib import Path

import redis
import yaml
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from socwall.dashboard.clock import Clock
from socwall.dashboard.config import load_config
from socwall.dashboard.demo.run import start_demo_data
from socwall.dashboard.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.conftest import free_port  # noqa: E402

APPEND_EVERY_S = 20  # as `socwall demo` does
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def demo_raw_config(panel_refresh: str | None = None) -> dict:
    """The demo config as YAML loads it; every panel's refresh set to panel_refresh if given."""
    raw = yaml.safe_load(resources.files("socwall").joinpath("config.yaml").read_bytes())
    for page in raw["pages"] if panel_refresh else []:
        for panel in page["panels"]:
            panel["refresh"] = panel_refresh
    return raw


def twenty_panel_pages(raw: dict, pages: int = 1, per_page: int = 20) -> list[dict]:
    """Pages of 5x4 one-cell panels, cycling through every panel of the demo config."""
    demo_panels = [panel for page in raw["pages"] for panel in page["panels"]]
    result = []
    for page_number in range(pages):
        panels = []
        for i in range(per_page):
            panel = copy.deepcopy(demo_panels[(page_number * per_page + i) % len(demo_panels)])
            panel["id"] = f"{panel['id']}_{page_number}_{i}"
            panel["at"], panel["span"] = [i % 5 + 1, i // 5 + 1], [1, 1]
            panels.append(panel)
        result.append({"id": f"load{page_number}", "title": f"Load {page_number}",
                       "grid": {"columns": 5, "rows": 4}, "panels": panels})  # fmt: skip
    return result


class LiveWall:
    """Everything a production wall runs, in one temporary directory, stopped by stop()."""

    def __init__(self, workdir: Path, web: dict, pages: list[dict] | None = None):
        self.workdir = workdir
        self.raw = demo_raw_config()
        self.raw["web"].update(web)
        if pages is not None:
            self.raw["pages"] = pages
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.processes: dict[str, subprocess.Popen] = {}
        self._stop = threading.Event()

    def start(self) -> None:
        self.redis_url = self._start_redis()
        self.raw["store"] = {"url": self.redis_url, "prefix": "bench"}
        config_path = self.workdir / "wall.yaml"
        config_path.write_text(yaml.safe_dump(self.raw, sort_keys=False))
        self.config = load_config(config_path)
        clock = Clock()
        data = start_demo_data(self.workdir / "demo-data", self.config, clock, seed=7)
        threading.Thread(target=self._append, args=(data, clock), daemon=True).start()
        cli = [sys.executable, "-m", "socwall.dashboard.cli"]
        log = (self.workdir / "worker.log").open("w")
        self.processes["worker"] = subprocess.Popen(
            [*cli, "worker", "--config", str(config_path)],
            start_new_session=True, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self._wait_for_panels()
        log = (self.workdir / "serve.log").open("w")
        self.processes["serve"] = subprocess.Popen(
            [*cli, "serve", "--config", str(config_path), "--port", str(self.port)],
            start_new_session=True, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self._wait_for_serve()

    def stop(self) -> None:
        self._stop.set()
        for process in reversed(list(self.processes.values())):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()

    def _start_redis(self) -> str:
        port = free_port()
        self.processes["redis"] = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "yes", "--dir", str(self.workdir)],
            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        url = f"redis://127.0.0.1:{port}/0"
        self._until(lambda: _pings(url), 10, "redis-server did not start")
        return url

    def _append(self, data: list, clock: Clock) -> None:
        while not self._stop.wait(APPEND_EVERY_S):
            for generated in data:
                generated.write_until(clock.now())

    def _wait_for_panels(self) -> None:
        """Until the worker's first fill has stored every panel (it reads weeks of demo data)."""
        store = Store(redis.Redis.from_url(self.redis_url, decode_responses=True), "bench")
        ids = [panel.id for panel in self.config.panels()]
        self._until(lambda: all(store.panel_meta(i) for i in ids), 300, "worker: no first fill")

    def _wait_for_serve(self) -> None:
        self._until(lambda: _answers(f"{self.url}/livez"), 60, "socwall serve did not come up")

    def _until(self, condition, seconds: float, failure: str) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if any(p.poll() is not None for p in self.processes.values()):
                raise SystemExit(f"{failure}: a process exited (logs in {self.workdir})")
            if time.monotonic() > deadline:
                raise SystemExit(f"{failure} within {seconds} s (logs in {self.workdir})")
            time.sleep(0.2)


def _pings(url: str) -> bool:
    try:
        return redis.Redis.from_url(url).ping()
    except redis.ConnectionError:
        return False


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except (urllib.error.URLError, OSError):
        return False


def start_chromium(
    performance_log: bool = False, extra_flags: tuple[str, ...] = ()
) -> webdriver.Chrome:
    """Debian's headless Chromium as a 1920x1080 wall screen; optionally logging its requests."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-background-networking", "--disable-sync",
                 "--disable-component-update", "--enable-precise-memory-info",
                 "--window-size=1920,1080", *extra_flags):  # fmt: skip
        options.add_argument(flag)
    if performance_log:
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False},
    )
    return driver
