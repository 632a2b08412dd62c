"""Access in a real Chromium against `socwall serve`: a screen URL with its token shows the wall,
without or with a wrong token it says why; with basic auth on, the desk is refused without
credentials and shown with them."""

import base64

import pytest
from selenium.webdriver.common.by import By
from werkzeug.security import generate_password_hash

from tests.browser.conftest import screenshot, set_viewport
from tests.browser.live_wall import LiveWall
from tests.browser.test_wall import charts_drawn, wait_until
from tests.conftest import events_config, free_port

pytestmark = pytest.mark.browser
TOKEN = "browser-lobby-token-5f1e2d3c4b5a"
PASSWORD = "wall desk password"


@pytest.fixture(scope="module")
def guarded_wall(redis_url, computed_events, tmp_path_factory):
    raw = events_config(computed_events.data_dir, redis_url, f"access{free_port()}")
    raw["access"] = {"auth": "basic", "basic": {"users": {"alice": generate_password_hash(PASSWORD)}}}
    raw["screens"] = {"lobby": {"pages": ["main"], "token": TOKEN}}
    config_path = tmp_path_factory.mktemp("access") / "wall.yaml"
    live = LiveWall.copied(raw, config_path, computed_events.store)
    yield live
    live.stop()


def navigation_status(driver) -> int:
    return driver.execute_script(
        "return performance.getEntriesByType('navigation')[0].responseStatus"
    )


def refused_reason(driver) -> str:
    found = driver.find_elements(By.ID, "refused-reason")
    return found[0].text if found else ""


def test_screen_url_with_its_token_shows_the_wall_filled_and_drops_the_token(fresh_browser, guarded_wall):
    set_viewport(fresh_browser, 1920, 1080)
    fresh_browser.get(f"{guarded_wall.url}/screen/lobby?token={TOKEN}")
    wait_until(fresh_browser, lambda d: charts_drawn(d, 4), message="both charts drawn")
    wait_until(fresh_browser, lambda d: not d.find_elements(By.CSS_SELECTOR, ".panel.waiting"))
    assert fresh_browser.current_url == f"{guarded_wall.url}/screen/lobby"
    assert fresh_browser.find_element(By.ID, "page-title").text == "Main"
    assert "kiosk" in fresh_browser.find_element(By.ID, "wall").get_attribute("class")
    cookie = fresh_browser.get_cookie("socwall_screen")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and TOKEN not in cookie["value"]
    screenshot(fresh_browser, "screen-lobby-1920x1080.png")


@pytest.mark.parametrize("query,reason", [
    ("", "Screen 'lobby' needs its token"),
    ("?token=not-the-right-token-at-all", "The token for screen 'lobby' is wrong or was revoked"),
])  # fmt: skip
def test_screen_without_or_with_a_wrong_token_is_refused_with_a_clear_message(fresh_browser, guarded_wall, query, reason):
    fresh_browser.get(f"{guarded_wall.url}/screen/lobby{query}")
    wait_until(fresh_browser, lambda d: refused_reason(d), message="the refused page")
    assert refused_reason(fresh_browser).startswith(reason)
    assert not fresh_browser.find_elements(By.CSS_SELECTOR, ".panel")


def test_basic_auth_refuses_the_desk_without_credentials_and_shows_it_with_them(fresh_browser, guarded_wall):
    fresh_browser.get(f"{guarded_wall.url}/main")
    # headless Chromium shows a blank page instead of the password dialog; the status says why
    assert navigation_status(fresh_browser) == 401
    assert not fresh_browser.find_elements(By.CSS_SELECTOR, ".panel")
    pair = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    fresh_browser.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Authorization": f"Basic {pair}"}})
    fresh_browser.get(f"{guarded_wall.url}/main")
    wait_until(fresh_browser, lambda d: charts_drawn(d, 4), message="the desk's charts drawn")
    assert navigation_status(fresh_browser) == 200
    assert "desk" in fresh_browser.find_element(By.ID, "wall").get_attribute("class")


@pytest.fixture(scope="module")
def attacked_wall(redis_url, computed_events, tmp_path_factory):
    """A wall of its own (its own guess buckets), basic auth with a small lockout."""
    raw = events_config(computed_events.data_dir, redis_url, f"attacked{free_port()}")
    raw["access"] = {"auth": "basic", "basic": {"users": {"alice": generate_password_hash(PASSWORD)},
                                                "max_failures": 3}}  # fmt: skip
    config_path = tmp_path_factory.mktemp("attacked") / "wall.yaml"
    live = LiveWall.copied(raw, config_path, computed_events.store)
    yield live
    live.stop()


def guess(url: str, password: str) -> int:
    """One wrong password for alice from this machine's address (the browser's own), no cookie."""
    import urllib.error
    import urllib.request

    pair = base64.b64encode(f"alice:{password}".encode()).decode()
    request = urllib.request.Request(url + "/_dash-layout", headers={"Authorization": f"Basic {pair}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def callback_statuses(driver) -> list[int]:
    return driver.execute_script(
        "return performance.getEntriesByType('resource')"
        ".filter(e => e.name.includes('/_dash-update-component')).map(e => e.responseStatus)"
    )


def test_a_signed_in_browser_keeps_its_wall_while_its_user_name_is_guessed_from_its_address(fresh_browser, attacked_wall):
    set_viewport(fresh_browser, 1920, 1080)
    pair = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    fresh_browser.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Authorization": f"Basic {pair}"}})
    fresh_browser.get(f"{attacked_wall.url}/main")
    wait_until(fresh_browser, lambda d: charts_drawn(d, 4), message="the desk's charts drawn")
    session = fresh_browser.get_cookie("socwall_desk")
    assert session["httpOnly"] and session["sameSite"] == "Strict" and PASSWORD not in session["value"]
    guesses = [guess(attacked_wall.url, f"wrong{n}") for n in range(12)]  # the NAT's guesser
    assert guesses[:2] == [401, 401] and set(guesses[2:]) == {429}  # locked out, then throttled
    assert guess(attacked_wall.url, PASSWORD) == 429  # the right password, without the session
    fresh_browser.execute_script("performance.clearResourceTimings()")
    wait_until(fresh_browser, lambda d: len(callback_statuses(d)) >= 12, message="polls go on")
    assert set(callback_statuses(fresh_browser)) == {200}
    assert "offline" not in fresh_browser.find_element(By.ID, "wall").get_attribute("class")
    fresh_browser.get(f"{attacked_wall.url}/main")  # a reload: the session, not the password
    wait_until(fresh_browser, lambda d: charts_drawn(d, 4), message="charts drawn after a reload")
    assert navigation_status(fresh_browser) == 200
    screenshot(fresh_browser, "desk-under-guessing-1920x1080.png")
    fresh_browser.delete_all_cookies()  # a browser without the session is refused, and says why
    fresh_browser.get(f"{attacked_wall.url}/main")
    assert navigation_status(fresh_browser) == 429
    assert refused_reason(fresh_browser).startswith("Too many wrong passwords for 'alice' from this address")
    screenshot(fresh_browser, "desk-throttled-1920x1080.png")
