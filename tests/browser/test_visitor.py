"""Visitor mode in a real Chromium on the demo wall: a redacting screen shows no address, no
inventory host and no demo user, neither in its DOM nor in any callback answer it received,
and the same alarms as the clear wall; at the desk the V key masks and unmasks."""

import json

import pytest
from selenium.webdriver.common.action_chains import ActionChains

from tests.browser.conftest import screenshot, set_viewport
from tests.browser.demo_wall import demo_wall
from tests.browser.test_message import PAGES, drawn
from tests.browser.test_wall import wait_until
from tests.conftest import free_port
from tests.dashboard.test_visitor import identifiers, leaks

pytestmark = pytest.mark.browser
TOKEN = "visitor-browser-token-0123456789"
# every callback answer the page receives, kept in the page (Dash calls its callbacks by fetch)
RECORDER = """
window.__answers = [];
const original = window.fetch;
window.fetch = function (...args) {
  return original.apply(this, args).then(function (response) {
    if (String(args[0]).includes('_dash-update-component')) {
      response.clone().text().then(function (text) { window.__answers.push(text); });
    }
    return response;
  });
};
"""


@pytest.fixture(scope="module")
def visitor_demo(computed_demo):
    screens = {"lobby": {"pages": PAGES, "token": TOKEN, "redact": True}}
    live = demo_wall(computed_demo, f"visitor{free_port()}", links=True, screens=screens)
    yield live
    live.stop()


@pytest.fixture
def recording(fresh_browser):
    script = fresh_browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                                           {"source": RECORDER})  # fmt: skip
    yield fresh_browser
    fresh_browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", script)


def alarms(driver) -> list[str]:
    return driver.execute_script(
        "return [...document.querySelectorAll('section.panel.alert .panel-title')]"
        ".map(t => t.textContent)"
    )


def page_text(driver) -> str:
    """Everything the page holds: its HTML (attributes such as data-row and hrefs too)."""
    return driver.execute_script("return document.documentElement.outerHTML")


def test_a_redacting_screen_shows_and_receives_no_identifier_and_the_same_alarms(recording,
                                                                               visitor_demo):  # fmt: skip
    driver, names = recording, identifiers(visitor_demo.config)
    set_viewport(driver, 1920, 1080)
    clear, named = {}, {}
    for page in PAGES:  # the clear wall first, before the screen's cookie exists
        driver.get(f"{visitor_demo.url}/{page}?kiosk=1")
        wait_until(driver, drawn, message=f"{page} drawn")
        clear[page], named[page] = alarms(driver), leaks(page_text(driver), names)
    # the test could not fail if the clear pages named nobody
    assert {page for page, found in named.items() if found} >= {"network", "access", "context"}
    driver.get(f"{visitor_demo.url}/screen/lobby?token={TOKEN}")
    for page in PAGES:
        driver.get(f"{visitor_demo.url}/screen/lobby/{page}")
        wait_until(driver, drawn, message=f"redacted {page} drawn")
        answers = driver.execute_script("return window.__answers")
        assert answers, page
        assert leaks(page_text(driver), names) == [], page
        assert leaks("\n".join(answers), names) == [], page
        assert alarms(driver) == clear[page], page
        if page in ("network", "access"):
            screenshot(driver, f"visitor-{page}-1920x1080.png")


def test_the_v_key_masks_the_desk_and_unmasks_it(fresh_browser, visitor_demo):
    driver, names = fresh_browser, identifiers(visitor_demo.config)
    set_viewport(driver, 1920, 1080)
    driver.get(f"{visitor_demo.url}/context")
    wait_until(driver, drawn, message="context drawn")
    assert leaks(page_text(driver), names)
    ActionChains(driver).send_keys("v").perform()
    wait_until(driver, lambda d: not leaks(page_text(d), names), message="masked after V")
    assert "redact" in driver.find_element("id", "wall").get_attribute("class")
    ActionChains(driver).send_keys("v").perform()
    wait_until(driver, lambda d: leaks(page_text(d), names), message="clear again after V")
    assert json.loads(json.dumps(alarms(driver)))  # the context page's down hosts alarm
