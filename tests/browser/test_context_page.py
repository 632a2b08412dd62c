"""The demo's Context page and the Threats chart with a change span, in real headless Chromium:
no scrolling at three sizes, the story readable (db-02 down and in maintenance, hr-files-02's
first contact with the outside, the maintenance shaded on the firewall-block spike)."""

import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
import yaml
from selenium.webdriver.common.by import By

from socwall.dashboard.config import parse_config
from socwall.dashboard.demo.context import LocalServices, seed_probe_history, write_demo_changes
from socwall.dashboard.demo.events import DemoData
from socwall.dashboard.demo.flows import DemoFlows
from socwall.dashboard.store import Store
from tests.browser.conftest import LiveWall, screenshot, set_viewport
from tests.browser.test_wall import overflows, wait_until
from tests.conftest import free_port

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
CLIPPED = """return [...document.querySelectorAll(arguments[0])]
  .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent);"""


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def context_wall(redis_url, tmp_path_factory):
    """The repository's Context page and firewall-blocks chart over generated data; the probe
    checks only 127.0.0.1 listeners this fixture starts (db-02's port is closed)."""
    demo_text = (ROOT / "config.yaml").read_text()
    services = LocalServices(0, 0)
    demo_text = (demo_text.replace("127.0.0.1:18080", f"127.0.0.1:{services.http_port}")
                 .replace("127.0.0.1:18081", f"127.0.0.1:{services.tcp_port}")
                 .replace("127.0.0.1:18079", f"127.0.0.1:{closed_port()}"))  # fmt: skip
    demo = yaml.safe_load(demo_text)
    data = tmp_path_factory.mktemp("context")
    sources = {name: demo["sources"][name] for name in ("security_events", "netflow", "changes",
                                                         "probe")}  # fmt: skip
    sources["security_events"]["path"] = str(data / "events" / "*.csv")
    sources["netflow"]["path"] = str(data / "flows" / "*.csv")
    sources["changes"]["locations"] = [str(data / "changes" / n)
                                       for n in ("calendar.ics", "tickets.csv")]  # fmt: skip
    context_page = next(p for p in demo["pages"] if p["id"] == "context")
    threats = next(p for p in demo["pages"] if p["id"] == "threats")
    blocks = next(p for p in threats["panels"] if p["id"] == "firewall_blocks")
    inventory = str(data / "hosts.csv")
    for panel in context_page["panels"]:
        panel["options"]["inventory"] = inventory
    raw = {"timezone": demo["timezone"], "store": {"url": redis_url, "prefix": f"ctx{free_port()}"},
           "web": {"poll": "1s"}, "sources": sources,
           "pages": [context_page, {"id": "threats", "title": "Threats",
                                    "grid": {"columns": 1, "rows": 1},
                                    "panels": [{**blocks, "at": [1, 1]}]}]}  # fmt: skip
    config_path = data / "wall.yaml"
    config_path.write_text(yaml.safe_dump(raw))
    config = parse_config(raw)
    anchor = datetime.now(UTC).replace(second=0, microsecond=0)
    DemoData(data / "events", config.tz, seed=7, anchor=anchor).write_until(anchor)
    DemoFlows(data / "flows", config.tz, seed=7, anchor=anchor).write_until(anchor)
    write_demo_changes(data / "changes", anchor, config.tz)
    store = Store(redis.Redis.from_url(redis_url, decode_responses=True), config.store.prefix)
    seed_probe_history(store, "probe", anchor, [t.name for t in config.sources["probe"].targets])
    live = LiveWall(config, config_path, store)
    live.refresh()
    live.start()
    yield live
    live.stop()
    services.close()


def visible(driver, selector: str) -> list[str]:
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, selector)]


@pytest.mark.parametrize("width,height", [(1366, 768), (1920, 1080), (3840, 2160)])
def test_context_page_fits_and_tells_the_story(browser, context_wall, width, height):
    set_viewport(browser, width, height)
    browser.get(f"{context_wall.url}/context?kiosk=1")
    wait_until(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".tile")) == 24,
               message="24 tiles drawn")  # fmt: skip
    wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".hbic.alert"))
    wait_until(browser, lambda d: d.execute_script("return window.innerWidth") == width)
    screenshot(browser, f"context-{width}x{height}.png")
    assert overflows(browser) == []
    assert visible(browser, ".status-summary") == ["1 of 24 down · 1 HBI"]
    first_tile = browser.find_element(By.CSS_SELECTOR, ".tile")
    assert "down" in first_tile.get_attribute("class") and "hbi" in first_tile.get_attribute("class")
    assert first_tile.text.startswith("db-02 postgres") and "down for 4" in first_tile.text
    changes = visible(browser, ".change")
    assert changes[0].startswith("NOW") and "CHG-1042 PostgreSQL failover db-02" in changes[0]
    assert "db-02 HBI" in changes[0] and "left 40 min" in changes[0].replace("39", "40")
    assert any("no end given" in text for text in changes)  # the open-ended SAN ticket
    assert any("Weekly patch window" in text for text in changes)
    alerts = visible(browser, ".hbic.alert .hbic-name")
    assert "hr-files-02" in alerts
    hr = next(e for e in browser.find_elements(By.CSS_SELECTOR, ".hbic.alert")
              if "hr-files-02" in e.text)  # fmt: skip
    assert "first contact with the outside" in hr.text
    for selector in (".tile.down .tile-state", ".change.running .change-when", ".hbic-words",
                     ".status-summary"):  # the words that carry the story are not cut off
        assert browser.execute_script(CLIPPED, selector) == [], selector
    size = browser.execute_script(
        "return parseFloat(getComputedStyle(document.querySelector('.tile-name')).fontSize)")
    assert size >= 11 * width / 1920 * 0.9


@pytest.mark.parametrize("width,height", [(1366, 768), (1920, 1080), (3840, 2160)])
def test_the_maintenance_is_shaded_on_the_firewall_block_spike(browser, context_wall, width,
                                                               height):  # fmt: skip
    set_viewport(browser, width, height)
    browser.get(f"{context_wall.url}/threats?kiosk=1")
    wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".panel .main-svg"))
    wait_until(browser, lambda d: d.execute_script("return window.innerWidth") == width)
    labels = lambda d: [e.text for e in d.find_elements(By.CSS_SELECTOR, ".annotation-text")]  # noqa: E731
    wait_until(browser, lambda d: any("CHG-1042" in t for t in labels(d)), message="span label")
    assert overflows(browser) == []
    assert browser.find_elements(By.CSS_SELECTOR, ".shapelayer path, .layer-below path")
    assert "above normal" in browser.find_element(By.CSS_SELECTOR, ".metric-band").text
    screenshot(browser, f"threats-change-{width}x{height}.png")
