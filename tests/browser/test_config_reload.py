"""A config edited under a running `socwall serve` reaches an open page without a manual reload."""

import pytest
import yaml
from selenium.webdriver.common.by import By

from tests.browser.conftest import screenshot, set_viewport
from tests.browser.test_wall import wait_until
from tests.conftest import Served, events_config

pytestmark = pytest.mark.browser


def title(driver) -> str:
    return driver.find_element(By.CSS_SELECTOR, ".wall-title").text


def test_a_changed_title_reaches_the_open_page(browser, tmp_path, redis_url, prefix):
    raw = events_config(tmp_path, redis_url, prefix)
    config = tmp_path / "wall.yaml"
    config.write_text(yaml.safe_dump(raw))
    served = Served(config, tmp_path / "serve.log", "--workers", "2")
    try:
        browser.get(f"{served.url}/main")
        wait_until(browser, lambda d: title(d) == "Test wall", message="the first title")
        browser.execute_script("window.__loadedBefore = true")
        config.write_text("pages: [broken\n")  # refused: the page stays as it is
        wait_until(browser, lambda d: "still running the last good config"
                   in d.find_element(By.ID, "health-strip").text, message="refusal shown")  # fmt: skip
        assert browser.execute_script("return window.__loadedBefore === true")
        set_viewport(browser, 1920, 1080)
        screenshot(browser, "config-refused-1920x1080.png")
        raw["title"] = "Edited wall"
        config.write_text(yaml.safe_dump(raw))
        wait_until(browser, lambda d: title(d) == "Edited wall", message="the new title")
        assert browser.execute_script("return window.__loadedBefore === undefined")  # reloaded
        assert "last good config" not in browser.find_element(By.ID, "health-strip").text
    finally:
        served.stop()
