"""The demo's Sensors page in real headless Chromium over generated data in a real Redis: it fits
at three sizes, the planted story is on it in words (the DMZ firewall's collector silent, zeek-dmz
dropping packets, a critical alert past its SLA), and nothing an analyst must read is cut."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
import yaml
from selenium.webdriver.common.by import By

from socwall.dashboard.clock import Clock
from socwall.dashboard.config import parse_config
from socwall.dashboard.demo.auth import DemoAuth
from socwall.dashboard.demo.events import DemoData
from socwall.dashboard.demo.flows import DemoFlows
from socwall.dashboard.demo.ops import DemoOps
from socwall.dashboard.demo.sensors import start_demo_sensors
from socwall.dashboard.store import Store
from tests.browser.conftest import ARTIFACTS, LiveWall, screenshot, set_viewport
from tests.browser.test_wall import overflows, wait_until
from tests.conftest import free_port

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
CUT = """return [...document.querySelectorAll(arguments[0])]
  .filter(e => e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1)
  .map(e => e.textContent);"""
PATHS = {"security_events": "events/*.csv", "netflow": "flows/*.csv", "ssh": "auth/auth.log*",
         "operations": "operations/*.csv", "dmz_firewall": "sensors/dmz-firewall/*.csv",
         "sensor_stats": "sensors/stats/*/*"}  # fmt: skip


@pytest.fixture(scope="module")
def sensors_wall(redis_url, tmp_path_factory):
    """The repository's Sensors page over the demo's generators, each job run twice (the first
    read of a source is its backlog; the second is counted as arrivals)."""
    demo = yaml.safe_load((ROOT / "config.yaml").read_text())
    data = tmp_path_factory.mktemp("sensors")
    sources = {name: {**demo["sources"][name], "path": str(data / path)}
               for name, path in PATHS.items()}  # fmt: skip
    sources["alert_queue"] = {**demo["sources"]["alert_queue"],
                              "url": str(data / "queue" / "thehive-alerts.json")}  # fmt: skip
    page = next(p for p in demo["pages"] if p["id"] == "sensors")
    raw = {"timezone": demo["timezone"], "web": {"poll": "1s"}, "sources": sources,
           "store": {"url": redis_url, "prefix": f"sensors{free_port()}"}, "pages": [page]}
    config_path = data / "wall.yaml"
    config_path.write_text(yaml.safe_dump(raw))
    config = parse_config(raw)
    anchor = datetime.now(UTC).replace(second=0, microsecond=0)
    generators = [DemoData(data / "events", config.tz, seed=7, anchor=anchor),
                  DemoFlows(data / "flows", config.tz, seed=7, anchor=anchor),
                  DemoAuth(data / "auth", config.tz, seed=7, anchor=anchor),
                  DemoOps(data / "operations", config.tz, seed=7, anchor=anchor)]  # fmt: skip
    for generator in generators:
        generator.write_until(anchor)
    store = Store(redis.Redis.from_url(redis_url, decode_responses=True), config.store.prefix)
    generators += start_demo_sensors(store, data, config, Clock(), seed=7)
    live = LiveWall(config, config_path, store)
    live.refresh()
    for generator in generators:
        generator.write_until(datetime.now(UTC))
    live.refresh()
    live.start()
    yield live
    live.stop()


def texts(driver, selector: str) -> list[str]:
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, selector)]


@pytest.mark.parametrize("width,height", [(1366, 768), (1920, 1080), (3840, 2160)])
def test_sensors_page_fits_and_says_what_is_silent_in_words(browser, sensors_wall, width,
                                                             height):  # fmt: skip
    set_viewport(browser, width, height)
    browser.get(f"{sensors_wall.url}/sensors?kiosk=1")
    wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".sensor.alarm"),
               message="alarm rows drawn")  # fmt: skip
    wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".queue-tile"))
    wait_until(browser, lambda d: d.execute_script("return window.innerWidth") == width)
    shot = screenshot(browser, f"sensors-{width}x{height}.png")
    assert overflows(browser) == []
    assert texts(browser, ".sensors-summary") == ["2 need attention · 6 sources"]
    alarms = texts(browser, ".sensor.alarm .sensor-words")
    assert alarms[0].startswith("DMZ firewall: 0 events in ") and " per 15 min" in alarms[0]
    assert alarms[1].startswith("zeek-dmz: ") and "% of packets dropped in 15 min" in alarms[1]
    assert len(alarms) == 2
    calm = browser.find_elements(By.CSS_SELECTOR, ".sensor.calm")
    assert {"NetFlow collector", "SIEM events", "zeek-core"} <= {
        e.find_element(By.CSS_SELECTOR, ".sensor-name-text").text for e in calm}
    for selector in (".sensor.alarm .sensor-words", ".queue-breach-title", ".sensors-summary"):
        assert browser.execute_script(CUT, selector) == [], selector  # never cut off
    critical = browser.find_element(By.CSS_SELECTOR, ".queue-tile.critical")
    assert "breach" in critical.get_attribute("class")
    assert critical.text.startswith("CRITICAL\n1\noldest 3") and "SLA 15 min" in critical.text
    assert texts(browser, ".queue-breach-title") == [
        "Phishing report: invoice.pdf.exe sent to 14 users"]
    assert len(browser.find_elements(By.CSS_SELECTOR, ".panel.alert")) == 2
    size = browser.execute_script("return parseFloat(getComputedStyle("
                                  "document.querySelector('.sensor.alarm .sensor-words')).fontSize)")
    assert size >= 15.5 * width / 1920 * (0.8 if width == 1366 else 1)
    if width == 1920:
        queue = browser.find_element(By.CSS_SELECTOR, ".panel:has(.queue)")
        queue.screenshot(str(ARTIFACTS / "queue-panel-1920x1080.png"))
        assert shot.stat().st_size > 0
