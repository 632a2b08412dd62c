"""A replayed real Zeek capture on a Network page in headless Chromium: no multicast host, bars
of ranks 11-20 shorter than rank 1, counts that fit their columns."""

import ipaddress
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

from tests.browser.conftest import LiveWall, screenshot, set_viewport
from tests.browser.test_wall import OVERFLOWS, wait_until
from tests.conftest import free_port

pytestmark = pytest.mark.browser
ZEEK = Path(__file__).resolve().parents[3] / "shared" / "data" / "zeek"
TRICKBOT = ZEEK / "conn_trickbot_2018-11.log"
# The capture has two internal hosts; seen from the other side, its 300+ outside peers are the
# "internal" hosts, which gives a real ranking longer than 20 rows.
OUTSIDE_IN = ["1.0.0.0/8", "2.0.0.0/7", "4.0.0.0/6", "8.0.0.0/5", "16.0.0.0/4", "32.0.0.0/3",
              "64.0.0.0/2", "128.0.0.0/3", "160.0.0.0/5", "168.0.0.0/6", "173.0.0.0/8",
              "174.0.0.0/7", "176.0.0.0/4", "192.0.0.0/9"]  # fmt: skip


@pytest.fixture(scope="module")
def replay(redis_url, tmp_path_factory):
    if not TRICKBOT.is_file():
        pytest.skip("../shared/data is not beside the repo")
    data_dir = tmp_path_factory.mktemp("replay")
    talkers = {"widget": "top_talkers", "source": "net", "options": {"window": "3h"}}
    raw = {
        "timezone": "UTC",
        "store": {"url": redis_url, "prefix": f"replay{free_port()}"},
        "web": {"poll": "1s"},
        "sources": {
            "net": {"type": "flows", "path": str(TRICKBOT)},
            "peers": {"type": "flows", "path": str(TRICKBOT), "internal": OUTSIDE_IN},
        },
        "pages": [{"id": "network", "title": "Network", "grid": {"columns": 2, "rows": 2},
                   "panels": [
            {"id": "ours", "title": "Trickbot LAN", "at": [1, 1], **talkers},
            {"id": "peers", "title": "Trickbot peers", "at": [2, 1], **talkers, "source": "peers"},
            {"id": "behind", "title": "Ranks 11-20", "at": [2, 2], **talkers, "source": "peers",
             "options": {"window": "3h", "ranks": [11, 20]}},
            {"id": "conns", "title": "Connections", "at": [1, 2], **talkers, "source": "peers",
             "options": {"window": "3h", "by": "connections", "direction": "both"}},
        ]}],
    }  # fmt: skip
    config_path = data_dir / "wall.yaml"
    config_path.write_text(yaml.safe_dump(raw))
    config = parse_config(raw)
    store = Store(redis.Redis.from_url(redis_url, decode_responses=True), config.store.prefix)
    live = LiveWall(config, config_path, store)
    # just after the capture's busiest 3 hours; the JSON panel replays its own hour separately
    run_all_once(config, store, Clock(datetime(2018, 11, 5, 1, 0, tzinfo=UTC), frozen=True))
    live.start()
    yield live
    live.stop()


@pytest.mark.parametrize("width,height", [(1920, 1080), (3840, 2160)])
def test_replayed_capture_ranks_clean_hosts_with_honest_bars(browser, replay, width, height):
    set_viewport(browser, width, height)
    browser.get(f"{replay.url}/network?kiosk=1")
    titles = {"peers": "Trickbot peers", "behind": "Ranks 11-20"}
    find = ("return [...document.querySelectorAll('.panel')].find(p => p.querySelector("
            "'.panel-title').textContent === arguments[0])?.querySelectorAll('.talker:not(.head)')"
            " || []")  # fmt: skip
    rows = lambda d, p: list(d.execute_script(find, titles[p]))  # noqa: E731
    wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".talker"), message="drawn")
    screenshot(browser, f"flows-replay-{width}x{height}.png")
    wait_until(browser, lambda d: len(rows(d, "peers")) == 10 and len(rows(d, "behind")) == 10,
               message="both rankings drawn")  # fmt: skip
    wait_until(browser, lambda d: d.execute_script("return window.innerWidth") == width)
    screenshot(browser, f"flows-replay-{width}x{height}.png")
    assert browser.execute_script(OVERFLOWS) == []
    hosts = [e.get_attribute("title") for e in browser.find_elements(By.CSS_SELECTOR, ".talker")]
    assert hosts and not any(ipaddress.ip_address(h).is_multicast for h in hosts if h)
    width_of = "return arguments[0].getBoundingClientRect().width"
    bar = lambda row: browser.execute_script(width_of, row.find_element(By.CSS_SELECTOR, ".talker-bar"))  # noqa: E731
    top_bar = bar(rows(browser, "peers")[0])
    assert all(bar(r) < top_bar for r in rows(browser, "behind"))
    for cell in browser.find_elements(By.CSS_SELECTOR, ".talker-value, .talker-peers"):
        clipped = browser.execute_script("return arguments[0].scrollWidth > arguments[0].clientWidth + 1", cell)
        assert not clipped and "…" not in cell.text, cell.text
