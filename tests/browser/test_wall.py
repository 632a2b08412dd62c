"""What a person sees, in real headless Chromium: no scrolling, kiosk, staleness, offline banner."""

from pathlib import Path

import pytest
from selenium.common.exceptions import JavascriptException, StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import screenshot, set_viewport

pytestmark = pytest.mark.browser

OVERFLOWS = (Path(__file__).parent / "overflows.js").read_text()


def wait_until(driver, condition, timeout=20, message=""):
    """Poll `condition`; a page reloading under it (the wall does after an outage) is 'not yet'."""
    wait = WebDriverWait(driver, timeout, poll_frequency=0.2,
                         ignored_exceptions=(StaleElementReferenceException,))  # fmt: skip
    return wait.until(lambda d: condition(d), message)


def overflows(driver) -> list:
    """What scrolls or leaves the viewport. Asked again while the page is (re)loading: under
    load a slow poll makes the wall reload itself, and the check must not race that."""
    def report(d):
        try:
            return {"problems": d.execute_script(OVERFLOWS)}
        except JavascriptException:  # no #wall in the document yet
            return None

    return wait_until(driver, report, message="page rendered")["problems"]


def charts_drawn(driver, count: int) -> bool:
    return len(driver.find_elements(By.CSS_SELECTOR, ".panel .main-svg")) >= count


@pytest.mark.parametrize("width,height", [(1366, 768), (1920, 1080), (3840, 2160)])
@pytest.mark.parametrize(
    "page,panels", [("main", 2), ("second", 1), ("network", 0), ("intel", 1), ("access", 0)]
)
def test_no_scrolling_at_wall_and_desk_sizes(browser, wall, width, height, page, panels):
    wall.refresh(page)
    set_viewport(browser, width, height)
    browser.get(f"{wall.url}/{page}?kiosk=1")
    drawn = lambda d: charts_drawn(d, panels * 2)  # noqa: E731 - two svgs a chart
    wait_until(browser, drawn, message="charts drawn")
    wait_until(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, ".panel.waiting"))
    wait_until(browser, lambda d: d.execute_script("return window.innerWidth") == width)
    assert overflows(browser) == []
    text_px = wait_until(browser, lambda d: d.execute_script(
        "const t = document.querySelector('.panel-title'); return t && parseFloat(getComputedStyle(t).fontSize)"
    ), message="a panel title")
    assert text_px >= {1366: 12, 1920: 18, 3840: 36}[width]  # text scales with the screen
    screenshot(browser, f"wall-{page}-{width}x{height}.png")


def test_kiosk_hides_navigation_and_cursor_desk_shows_them(browser, wall):
    set_viewport(browser, 1920, 1080)
    browser.get(f"{wall.url}/?kiosk=1")
    wait_until(browser, lambda d: "kiosk" in d.find_element(By.ID, "wall").get_attribute("class"))
    nav = browser.find_element(By.ID, "page-nav")
    assert nav.value_of_css_property("visibility") == "hidden"
    panel = browser.find_element(By.CSS_SELECTOR, ".panel")
    assert panel.value_of_css_property("cursor") == "none"
    browser.get(f"{wall.url}/")
    wait_until(browser, lambda d: "desk" in d.find_element(By.ID, "wall").get_attribute("class"))
    assert browser.find_element(By.ID, "page-nav").value_of_css_property("visibility") == "visible"
    links = [a.text for a in browser.find_elements(By.CSS_SELECTOR, ".nav-link")]
    assert links == ["Main", "Second", "Network", "Intel", "Access"]


def test_desk_hover_shows_exact_values(browser, wall):
    wall.refresh("main")
    set_viewport(browser, 1920, 1080)
    browser.get(f"{wall.url}/main")
    wait_until(browser, lambda d: charts_drawn(d, 4))
    plot = browser.find_element(
        By.CSS_SELECTOR, '#\\{\\"id\\"\\:\\"failed\\"\\,\\"type\\"\\:\\"panel-body\\"\\} .nsewdrag'
    )
    ActionChains(browser).move_to_element_with_offset(plot, -plot.size["width"] // 4, 0).perform()
    hover = wait_until(
        browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".hoverlayer .legend text")
    )
    texts = " ".join(t.text for t in hover)
    assert "week ago" in texts and "normal band (p10-p90)" in texts


def test_panel_turns_stale_keeps_its_data_and_recovers(browser, wall):
    set_viewport(browser, 1920, 1080)
    wall.refresh("main")
    browser.get(f"{wall.url}/main")
    panel_css = '#\\{\\"id\\"\\:\\"failed\\"\\,\\"type\\"\\:\\"panel\\"\\}'
    panel = lambda d: d.find_element(By.CSS_SELECTOR, panel_css)  # noqa: E731
    wait_until(browser, lambda d: "fresh" in panel(d).get_attribute("class"), message="fresh")
    # no job runs now: after 3 refresh periods (3 x 2 s) the frame must say so
    wait_until(
        browser, lambda d: "stale" in panel(d).get_attribute("class"), timeout=20, message="stale"
    )
    assert "no refresh for 3 intervals" in panel(browser).text
    assert panel(browser).find_elements(By.CSS_SELECTOR, ".main-svg"), "the last data stays visible"
    screenshot(browser, "wall-stale.png")
    wall.refresh("main")
    wait_until(browser, lambda d: "fresh" in panel(d).get_attribute("class"), message="fresh again")


def test_offline_banner_when_server_is_gone_and_recovery(browser, wall):
    set_viewport(browser, 1920, 1080)
    wall.refresh("main")
    browser.get(f"{wall.url}/main?kiosk=1")
    wait_until(browser, lambda d: charts_drawn(d, 4))
    banner = browser.find_element(By.ID, "offline-banner")
    assert not banner.is_displayed()
    wall.stop()
    try:
        wait_until(browser, lambda d: banner.is_displayed(), timeout=30, message="banner shown")
        assert "Server unreachable" in banner.text
        screenshot(browser, "wall-offline.png")
    finally:
        wall.start()
    wait_until(
        browser,
        lambda d: not d.find_element(By.ID, "offline-banner").is_displayed(),
        timeout=30,
        message="banner gone after the server is back",
    )
    wait_until(browser, lambda d: charts_drawn(d, 4), message="charts back")
    assert "kiosk=1" in browser.current_url


def test_pages_rotate_and_keep_kiosk(browser, wall):
    set_viewport(browser, 1920, 1080)
    browser.get(f"{wall.url}/main?kiosk=1&rotate=2s")
    wait_until(browser, lambda d: d.find_element(By.ID, "page-title").text == "Main")
    wait_until(browser, lambda d: d.find_element(By.ID, "page-title").text == "Second", timeout=15)
    assert browser.current_url.endswith("/second?kiosk=1&rotate=2s")
    assert "kiosk" in browser.find_element(By.ID, "wall").get_attribute("class")


UNDO_PAST = "return window.store.getState().history.past.length"


def test_dash_undo_history_of_interval_ticks_stays_bounded(browser, wall):
    """Dash records every poll and rotation tick in store.history.past and never trims it
    (a slow heap leak on a wall left running for months); wall.js keeps the last 20."""
    browser.get(f"{wall.url}/main?kiosk=1&rotate=1s")
    wait_until(browser, lambda d: d.execute_script(UNDO_PAST) >= 8, message="ticks recorded")
    browser.execute_script(  # as if the wall had run for hours: 500 more tick entries
        "var past = window.store.getState().history.past;"
        "for (var i = 0; i < 500; i++) { past.unshift({id: 'poll', props: {n_intervals: i}}); }"
    )
    assert browser.execute_script(UNDO_PAST) > 500
    wait_until(browser, lambda d: d.execute_script(UNDO_PAST) <= 22, timeout=12,
               message="history trimmed by the next health check")  # fmt: skip
    wait_until(browser, lambda d: d.find_element(By.ID, "page-title").text == "Second",
               message="the wall goes on rotating")  # fmt: skip


def test_hostile_feed_text_is_shown_as_text_and_runs_nothing(browser, wall):
    wall.refresh("intel")
    set_viewport(browser, 1920, 1080)
    browser.get(f"{wall.url}/intel?kiosk=1")
    found = lambda d: d.find_elements(By.CSS_SELECTOR, ".feedwords-headline")  # noqa: E731
    texts = [h.text for h in wait_until(browser, found)]
    assert any(t.endswith("<script>window.__xss = 4</script> shown as text") for t in texts), texts
    assert any(t.endswith("Patch now") for t in texts) and any(
        t.endswith("Image title") for t in texts
    )
    assert browser.execute_script("return window.__xss") is None
    injected = browser.execute_script(
        "return document.querySelectorAll('#page script, #page img, #page [onerror], "
        '#page [onload], #page a[href^="javascript"]\').length'
    )
    assert injected == 0
    exploited = browser.find_element(By.CSS_SELECTOR, ".kev.ours")
    assert "we run SAP NetWeaver: sap-prd-01" in exploited.text
    screenshot(browser, "wall-intel-1920x1080.png")


def test_suspicious_users_explain_the_planted_brute_force(browser, wall):
    wall.refresh("access")
    set_viewport(browser, 1920, 1080)
    browser.get(f"{wall.url}/access?kiosk=1")
    rows = wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".suspect"))
    first = rows[0].text
    assert "cmeyer" in first and "success after 60 failures from 198.51.100.77" in first, first
    assert "alert" in rows[0].get_attribute("class")
    assert (
        "45.148.10.240: 240 attempts on 240 unknown user names"
        in browser.find_element(By.CSS_SELECTOR, ".suspects").text
    )
    screenshot(browser, "wall-access-1920x1080.png")
