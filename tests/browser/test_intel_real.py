# ruff: noqa: E501
"""The Threat intel page on real feeds (GitHub advisories, RansomWatch) and the real KEV
snapshot, in headless Chromium at wall sizes: it fits, names our hosts, and is screenshot."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
import yaml
from selenium.webdriver.common.by import By

from socwall.dashboard.clock import Clock
from socwall.dashboard.config import parse_config
from socwall.dashboard.jobs import run_all_once
from socwall.dashboard.store import Store
from tests.browser.conftest import screenshot, set_viewport
from tests.browser.live_wall import LiveWall
from tests.browser.test_wall import overflows, wait_until
from tests.conftest import free_port

pytestmark = pytest.mark.browser
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
NOW = datetime(2026, 3, 15, 18, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def real_intel(redis_url, tmp_path_factory):
    if not SHARED.is_dir():
        pytest.skip("../shared/data is not beside the repo")
    real = SHARED / "feeds" / "real"
    feeds = [{"name": p.name.split("_")[0] + "-" + p.name.split("_")[1], "location": str(p)}
             for p in sorted(real.glob("*.rss.xml"))]  # fmt: skip
    feeds.append({"name": "ransomwatch", "location": str(real / "ransomwatch_rss_feed_2025-04-17.xml")})
    inventory = [{"product": "Microsoft Windows", "hosts": ["dc-01.corp.example.com", "dc-02.corp.example.com", "fs-archive-legacy-03.corp.example.com"]},
                 {"product": "Git", "hosts": ["build-01"]},
                 {"product": "Fortinet FortiOS", "hosts": ["fw-edge-01"]}]  # fmt: skip
    raw = {
        "timezone": "Europe/Berlin",
        "store": {"url": redis_url, "prefix": f"intelreal{free_port()}"},
        "web": {"poll": "1s"},
        "sources": {
            "news": {"type": "news", "feeds": feeds},
            "kev": {"type": "kev", "location": str(SHARED / "intel" / "kev_2025-01-29.json")},
        },
        "pages": [{"id": "intel", "title": "Threat intel", "grid": {"columns": 3, "rows": 1}, "panels": [
            {"id": "trends", "widget": "feed_keywords", "title": "Trending in feeds", "source": "news",
             "at": [1, 1], "span": [2, 1], "options": {"kev": "kev", "window": "3d", "headlines": 10}},
            {"id": "exploited", "widget": "exploited_recent", "title": "Known exploited", "source": "kev",
             "at": [3, 1], "options": {"inventory": inventory, "days": 30}},
        ]}],
    }  # fmt: skip
    data_dir = tmp_path_factory.mktemp("intelreal")
    config_path = data_dir / "wall.yaml"
    config_path.write_text(yaml.safe_dump(raw))
    config = parse_config(raw)
    store = Store(redis.Redis.from_url(redis_url, decode_responses=True), config.store.prefix)
    run_all_once(config, store, Clock(replay_start=NOW, frozen=True))
    live = LiveWall(config, config_path, store)
    live.start()
    yield live
    live.stop()


@pytest.mark.parametrize("width,height", [(1920, 1080), (3840, 2160)])
def test_threat_intel_page_on_real_feeds(browser, real_intel, width, height):
    set_viewport(browser, width, height)
    browser.get(f"{real_intel.url}/intel?kiosk=1")
    rows = lambda d: d.find_elements(By.CSS_SELECTOR, ".kev:not(.head)")  # noqa: E731
    wait_until(browser, rows, message="KEV rows drawn")
    wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".feedwords-headline"))
    wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".feedwords-map .treemap"),
               message="treemap drawn")  # fmt: skip
    screenshot(browser, f"intel-real-{width}x{height}.png")
    assert overflows(browser) == []
    ours = browser.find_elements(By.CSS_SELECTOR, ".kev.ours .kev-ours")
    windows = [o for o in ours if "Microsoft Windows" in o.text]
    assert windows and all("fs-archive-legacy-03.corp.example.com" in o.text for o in windows)
    for host in ours:  # shown whole: wrapped, never cut
        assert browser.execute_script(
            "return arguments[0].scrollHeight <= arguments[0].clientHeight + 1", host)
    for row in rows(browser):  # every row names its CVE id
        assert row.find_element(By.CSS_SELECTOR, ".kev-cve").text.startswith("CVE-")
    legend = browser.find_element(By.CSS_SELECTOR, ".feedstory-legend").text
    for words in ("about a product we run", "known-exploited CVE", "new today"):
        assert words in legend
    assert "too little history to tell" in legend  # one read of each feed: no claim of "seen"
    floor = 16 * width / 1920  # nothing an analyst reads below 16 px at 1920x1080
    assert small_text(browser, ".panel-body", floor) == []
    assert cut_ids(browser) == []
    caption = browser.find_element(By.CSS_SELECTOR, ".feedstory-caption").text
    assert "entries of 3 feeds, last 3d" in caption  # npm, pip, go: maven has none in 3 days


SMALL_TEXT = """
const [selector, floor] = arguments, small = [];
for (const body of document.querySelectorAll(selector)) {
  for (const el of body.querySelectorAll('*')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const box = el.getBoundingClientRect();
    if (!own || box.width === 0 || box.height === 0) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < floor - 0.5) small.push(`${el.className}: ${size}px "${el.textContent.slice(0, 30)}"`);
  }
}
for (const t of document.querySelectorAll('.panel-body svg text')) {
  const size = parseFloat(getComputedStyle(t).fontSize);
  if (t.textContent.trim() && size < floor - 0.5) small.push(`svg: ${size}px "${t.textContent}"`);
}
return small;
"""

CUT_IDS = """
const cut = [];
for (const el of document.querySelectorAll('.feedstory-cve-id, .kev-cve, .kev-product')) {
  if (el.scrollWidth > el.clientWidth + 1) cut.push(el.textContent);
}
return cut;
"""


def small_text(browser, selector: str, floor: float) -> list[str]:
    """Text inside panels whose computed font size is below the floor (an element's own text,
    and the chart's SVG labels)."""
    return browser.execute_script(SMALL_TEXT, selector, floor)


def cut_ids(browser) -> list[str]:
    """CVE ids and product names whose text is wider than their box: cut."""
    return browser.execute_script(CUT_IDS)
