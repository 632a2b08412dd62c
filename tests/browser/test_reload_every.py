"""web.reload_every, the safety net for browsers left running for weeks: the page reloads
itself after that long, keeps its URL, and never while the server does not answer (a reload
then would leave the wall on the browser's error page)."""

import time

import pytest
from selenium.webdriver.common.by import By

from tests.browser.live_wall import LiveWall
from tests.browser.test_wall import charts_drawn, wait_until
from tests.conftest import events_config, free_port

pytestmark = pytest.mark.browser
PAGE_LOAD = "return performance.timeOrigin"


@pytest.fixture(scope="module")
def reloading_wall(redis_url, computed_events, tmp_path_factory):
    raw = events_config(computed_events.data_dir, redis_url, f"reload{free_port()}",
                        reload_every="8s")  # fmt: skip
    config_path = tmp_path_factory.mktemp("reload") / "wall.yaml"
    live = LiveWall.copied(raw, config_path, computed_events.store)
    yield live
    live.stop()


def test_the_page_reloads_after_reload_every_and_keeps_its_url(browser, reloading_wall):
    browser.get(f"{reloading_wall.url}/main?kiosk=1")
    wait_until(browser, lambda d: charts_drawn(d, 2), message="charts drawn")
    first_load = browser.execute_script(PAGE_LOAD)
    wait_until(browser, lambda d: d.execute_script(PAGE_LOAD) != first_load, timeout=25,
               message="a reload after 8 s (the next health check after it)")  # fmt: skip
    assert browser.current_url == f"{reloading_wall.url}/main?kiosk=1"
    wait_until(browser, lambda d: charts_drawn(d, 2), message="charts drawn again")


def test_no_reload_while_the_server_is_down(browser, reloading_wall):
    browser.get(f"{reloading_wall.url}/main?kiosk=1")
    wait_until(browser, lambda d: charts_drawn(d, 2), message="charts drawn")
    first_load = browser.execute_script(PAGE_LOAD)
    reloading_wall.stop()
    try:
        banner = browser.find_element(By.ID, "offline-banner")
        wait_until(browser, lambda d: banner.is_displayed(), timeout=30, message="offline")
        due = 8 - browser.execute_script("return performance.now()") / 1000
        time.sleep(max(0.0, due) + 6)  # past reload_every and one more health check
        assert browser.execute_script(PAGE_LOAD) == first_load  # still the wall, not an error page
        assert charts_drawn(browser, 2)
    finally:
        reloading_wall.start()
    wait_until(browser, lambda d: d.execute_script(PAGE_LOAD) != first_load, timeout=30,
               message="reloaded once the server is back")  # fmt: skip
    wait_until(browser, lambda d: charts_drawn(d, 2), message="charts drawn again")
