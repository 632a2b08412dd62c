"""A live wall over 5 weeks of generated events in a real Redis, and Debian's headless Chromium."""

import shutil
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest
import redis
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from werkzeug.serving import make_server

from dashboard.app import create_app
from dashboard.clock import Clock
from dashboard.config import parse_config
from dashboard.demo import DemoData
from dashboard.jobs import run_all_once
from dashboard.store import Store
from tests.conftest import events_config, free_port

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


class LiveWall:
    """The Dash app served by werkzeug in a thread; stop() and start() keep the same port."""

    def __init__(self, config, store):
        self.config, self.store = config, store
        self.app = create_app(config, store, Clock()).server
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = None

    def start(self):
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def refresh(self):
        """Run every job once, as the worker would."""
        run_all_once(self.config, self.store, Clock())


@pytest.fixture(scope="module")
def wall(redis_url, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("events")
    raw = events_config(data_dir, redis_url, f"browser{free_port()}")
    for page in raw["pages"]:
        for panel in page["panels"]:
            panel["refresh"] = "2s"
    config = parse_config(raw)
    demo = DemoData(data_dir, config.tz, seed=11, anchor=datetime.now(timezone.utc))
    demo.write_until(demo.anchor)
    store = Store(redis.Redis.from_url(redis_url, decode_responses=True), config.store.prefix)
    live = LiveWall(config, store)
    live.refresh()
    live.start()
    yield live
    live.stop()


@pytest.fixture(scope="session")
def browser():
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.fail("browser tests need Debian's chromium and chromium-driver (apt-get install them)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--hide-scrollbars"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    yield driver
    driver.quit()


def set_viewport(driver, width: int, height: int) -> None:
    """Exactly this CSS viewport at device scale 1, whatever the window decorations."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})


def screenshot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    return path
