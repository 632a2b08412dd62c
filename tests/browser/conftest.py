"""A live wall over 5 weeks of generated events in a real Redis, and Debian's headless Chromium."""

import shutil
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import NamedTuple

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from socwall.dashboard.demo.auth import DemoAuth
from socwall.dashboard.demo.events import DemoData
from socwall.dashboard.demo.flows import DemoFlows
from socwall.dashboard.demo.news import write_demo_news
from socwall.dashboard.store import Store
from tests.browser.demo_wall import demo_computed
from tests.browser.live_wall import LiveWall
from tests.conftest import events_config, free_port

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def write_demo_events(data_dir: Path, config, seed: int = 5) -> None:
    """Five weeks of generated events up to now, for a config from events_config()."""
    demo = DemoData(data_dir, config.tz, seed=seed, anchor=datetime.now(UTC))
    demo.write_until(demo.anchor)


class ComputedEvents(NamedTuple):
    data_dir: Path  # the generated events, for the sources of events_config(data_dir, ...)
    store: Store  # what every job of that config wrote


@pytest.fixture(scope="session")
def computed_events(redis_url, tmp_path_factory) -> ComputedEvents:
    """events_config()'s wall over five weeks of generated events, every job run once for the
    session; a module serves a copy with its own `web`, `access` or `screens` (LiveWall.copied)."""
    data_dir = tmp_path_factory.mktemp("events-computed")
    live = LiveWall.configured(events_config(data_dir, redis_url, f"events{free_port()}"),
                               data_dir / "wall.yaml")  # fmt: skip
    write_demo_events(data_dir, live.config)
    live.refresh()
    return ComputedEvents(data_dir, live.store)


@pytest.fixture(scope="session")
def computed_demo(redis_url, tmp_path_factory) -> Path:
    """The shipped demo computed once for the session (demo_wall.py); its config's path, which
    demo_wall() serves from a copy of the keys, one per module."""
    directory = tmp_path_factory.mktemp("demo-computed")
    _config, path, _store, services = demo_computed(redis_url, directory, f"demo{free_port()}")
    yield path
    services.close()


@pytest.fixture(scope="session")
def wall(redis_url, tmp_path_factory):
    """The events, flows, intel and access wall of test_wall.py and test_csp.py, computed and
    served once for both (test_wall stops and starts it; each test leaves it served)."""
    data_dir = tmp_path_factory.mktemp("events")
    raw = events_config(data_dir, redis_url, f"browser{free_port()}")
    for page in raw["pages"]:
        for panel in page["panels"]:
            panel["refresh"] = "2s"
    flows_dir = tmp_path_factory.mktemp("flows")
    raw["sources"]["net"] = {"type": "flows", "path": str(flows_dir / "flows" / "*.csv"),
                             "format": "vast", "refresh": "1s"}  # fmt: skip
    talkers = {"widget": "top_talkers", "source": "net", "refresh": "2s",
               "options": {"inventory": str(flows_dir / "hosts.csv")}}  # fmt: skip
    raw["pages"].append({"id": "network", "title": "Network", "grid": {"columns": 2, "rows": 2},
                         "panels": [
        {"id": "bytes", "title": "Top by bytes", "at": [1, 1], "span": [1, 2], **talkers},
        {"id": "conns", "title": "Top by connections", "at": [2, 1], **talkers,
         "options": {**talkers["options"], "by": "connections"}},
        {"id": "behind", "title": "Ranks 11-20", "at": [2, 2], **talkers,
         "options": {**talkers["options"], "ranks": [11, 20]}},
    ]})  # fmt: skip
    intel_dir = tmp_path_factory.mktemp("intel")
    write_demo_news(intel_dir, datetime.now(UTC), seed=11)
    (intel_dir / "hostile.xml").write_text(hostile_feed(datetime.now(UTC)))
    raw["sources"]["news"] = {"type": "news", "feeds": [
        {"name": "wire", "location": str(intel_dir / "security-wire.xml")},
        {"name": "advisories", "location": str(intel_dir / "advisories.atom")},
        {"name": "cert", "location": str(intel_dir / "cert-notes.rdf")},
        {"name": "hostile", "location": str(intel_dir / "hostile.xml")}]}  # fmt: skip
    raw["sources"]["kev"] = {"type": "kev", "location": str(intel_dir / "kev-sample.json")}
    inventory = [{"product": "SAP NetWeaver", "hosts": ["sap-prd-01"]}]
    raw["pages"].append({"id": "intel", "title": "Intel", "grid": {"columns": 3, "rows": 1},
                         "panels": [
        {"id": "trends", "widget": "feed_keywords", "title": "Trending", "source": "news",
         "at": [1, 1], "span": [2, 1], "options": {"kev": "kev", "headlines": 10}},
        {"id": "exploited", "widget": "exploited_recent", "title": "Exploited", "source": "kev",
         "at": [3, 1], "options": {"inventory": inventory}},
    ]})  # fmt: skip
    auth_dir = tmp_path_factory.mktemp("auth")
    raw["sources"]["ssh"] = {
        "type": "auth",
        "path": str(auth_dir / "auth.log"),
        "timezone": "Europe/Berlin",
    }
    raw["pages"].append({"id": "access", "title": "Access", "grid": {"columns": 1, "rows": 1}, "panels": [
        {"id": "suspects", "widget": "suspicious_users", "title": "Suspects", "source": "ssh", "at": [1, 1]},
    ]})  # fmt: skip

    def write_data(config):
        demo = DemoData(data_dir, config.tz, seed=11, anchor=datetime.now(UTC))
        demo.write_until(demo.anchor)
        flows = DemoFlows(flows_dir / "flows", config.tz, seed=11, anchor=demo.anchor)
        flows.write_until(demo.anchor)
        DemoAuth(auth_dir, config.tz, seed=11, anchor=demo.anchor).write_until(demo.anchor)

    live = LiveWall.started(raw, data_dir, write_data)
    yield live
    live.stop()


@pytest.fixture(scope="session")
def browser():
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.fail(
            "browser tests need Debian's chromium and chromium-driver (apt-get install them)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    yield driver
    driver.quit()


@pytest.fixture
def fresh_browser(browser):
    """No cookie and no header left over from another test."""
    browser.delete_all_cookies()
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {}})
    yield browser
    browser.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {}})
    browser.delete_all_cookies()


def set_viewport(driver, width: int, height: int) -> None:
    """Exactly this CSS viewport at device scale 1, whatever the window decorations."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


def screenshot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    return path


HOSTILE_TITLES = [
    "&lt;script&gt;window.__xss = 1&lt;/script&gt;Patch now",
    '<![CDATA[<img src=x onerror="window.__xss = 2">Image title]]>',
    '&lt;a href="javascript:window.__xss = 3"&gt;Click me&lt;/a&gt;',
    "&amp;lt;script&amp;gt;window.__xss = 4&amp;lt;/script&amp;gt; shown as text",
    '&lt;svg onload="window.__xss = 5"&gt;&lt;/svg&gt;SVG title',
]


def hostile_feed(now: datetime) -> str:
    """An RSS 2.0 feed whose titles try every way of getting markup onto the page."""
    items = "".join(
        f"<item><title>{title}</title><guid>hostile-{i}</guid>"
        f"<link>javascript:window.__xss = 6</link>"
        f"<pubDate>{format_datetime(now - timedelta(minutes=10 + i))}</pubDate></item>"
        for i, title in enumerate(HOSTILE_TITLES)
    )
    channel = f"<channel><title>Hostile</title>{items}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'
