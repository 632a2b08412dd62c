"""The Access page on a replayed real log (loghub Linux_2k, when ../shared/data exists): the
brute-forced account is highlighted, its attacker's address is on the wall, no 'usual 0'."""

import shutil
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

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not beside the repo"),
]
NOW = datetime(2005, 7, 10, 17, 0, tzinfo=UTC)  # after root's 90 failures of that afternoon


@pytest.fixture(scope="module")
def access_wall(redis_url, tmp_path_factory):
    data = tmp_path_factory.mktemp("linux2k")
    shutil.copy(SHARED / "auth" / "loghub_Linux_2k.log", data / "messages")
    raw = {
        "timezone": "UTC",
        "now": NOW.isoformat(),
        "store": {"url": redis_url, "prefix": f"access{free_port()}"},
        "sources": {"syslog": {"type": "auth", "path": str(data / "messages"), "timezone": "UTC"}},
        "pages": [{"id": "access", "title": "Access", "grid": {"columns": 2, "rows": 1}, "panels": [
            {"id": "suspects", "widget": "suspicious_users", "title": "Suspects", "source": "syslog",
             "at": [1, 1]},
            {"id": "failed", "widget": "metric_compare", "title": "Failed logins", "source": "syslog",
             "at": [2, 1], "options": {"metric": "failed_logins"}},
        ]}],
    }  # fmt: skip
    path = data / "wall.yaml"
    path.write_text(yaml.safe_dump(raw))
    config = parse_config(raw)
    store = Store(redis.Redis.from_url(redis_url, decode_responses=True), config.store.prefix)
    run_all_once(config, store, Clock(NOW, frozen=True))
    live = LiveWall(config, path, store)
    live.start()
    yield live
    live.stop()


def test_the_brute_forced_account_and_its_attacker_are_on_the_wall(browser, access_wall):
    set_viewport(browser, 1920, 1080)
    browser.get(f"{access_wall.url}/access?kiosk=1")
    wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".suspect"), message="suspects")
    assert overflows(browser) == []
    root = browser.find_element(By.CSS_SELECTOR, ".suspect.alert")
    assert "root" in root.text and "150.183.249.110" in root.text
    page = browser.find_element(By.ID, "wall").text
    assert "usual 0" not in page and "privileged use" not in page
    ages = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".panel-age")]
    assert all(age.startswith("17:00") for age in ages), ages  # the replay's clock, not today's
    screenshot(browser, "access-real-linux2k-1920x1080.png")
