"""OIDC in a real Chromium against `socwall serve` (gunicorn) and a stub identity provider: the
desk opens through the sign-in redirects, shows the wall filled with a sign-out link, and
sign-out ends the session here and at the provider (RP-initiated logout)."""

import secrets

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import screenshot, set_viewport
from tests.browser.live_wall import LiveWall
from tests.browser.test_access_screens import refused_reason
from tests.browser.test_wall import charts_drawn, wait_until
from tests.conftest import events_config, free_port
from tests.oidc_idp import CLIENT_ID, CLIENT_SECRET, StubIdP

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def idp():
    stub = StubIdP(end_session=True)
    yield stub
    stub.server.shutdown()


@pytest.fixture(scope="module")
def oidc_wall(idp, redis_url, computed_events, tmp_path_factory):
    raw = events_config(computed_events.data_dir, redis_url, f"oidc{free_port()}")
    raw["access"] = {"auth": "oidc", "oidc": {
        "issuer": idp.url, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "session_secret": secrets.token_hex(32)}}  # fmt: skip
    config_path = tmp_path_factory.mktemp("oidc") / "wall.yaml"
    live = LiveWall.copied(raw, config_path, computed_events.store)
    yield live
    live.stop()


def layout_status(driver) -> int:
    """What the page's own origin gets for Dash's layout now: 200 signed in, 401 not."""
    return driver.execute_script(
        "return fetch('/_dash-layout', {cache: 'no-store'}).then(r => r.status)"
    )


def test_desk_signs_in_through_the_idp_shows_the_wall_and_signs_out(fresh_browser, oidc_wall, idp):
    set_viewport(fresh_browser, 1920, 1080)
    before = idp.authorize_requests
    fresh_browser.get(f"{oidc_wall.url}/second")
    wait_until(fresh_browser, lambda d: charts_drawn(d, 1), message="the desk's chart drawn")
    wait_until(fresh_browser, lambda d: not d.find_elements(By.CSS_SELECTOR, ".panel.waiting"))
    assert idp.authorize_requests == before + 1
    assert fresh_browser.current_url == f"{oidc_wall.url}/second"  # `next` brought it back
    assert fresh_browser.find_element(By.ID, "page-title").text == "Second"
    cookie = fresh_browser.get_cookie("socwall_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    sign_out = fresh_browser.find_element(By.ID, "sign-out")
    assert sign_out.is_displayed() and sign_out.text == "Sign out"
    screenshot(fresh_browser, "oidc-desk-1920x1080.png")
    set_viewport(fresh_browser, 3840, 2160)
    chart_width = "return document.querySelector('.panel .main-svg').getBoundingClientRect().width"
    wait_until(fresh_browser, lambda d: d.execute_script(chart_width) > 3000, message="resized")
    screenshot(fresh_browser, "oidc-desk-3840x2160.png")
    set_viewport(fresh_browser, 1920, 1080)

    sign_out.click()
    wait_until(fresh_browser, lambda d: "signed out" in refused_reason(d), message="signed out")
    assert fresh_browser.current_url == f"{oidc_wall.url}/oidc/signed-out"
    assert idp.end_session_requests[-1]["client_id"] == CLIENT_ID
    assert layout_status(fresh_browser) == 401  # the session cookie no longer signs anyone in

    fresh_browser.get(f"{oidc_wall.url}/second")  # the wall again: a new sign-in at the IdP
    wait_until(fresh_browser, lambda d: charts_drawn(d, 1), message="signed in again")
    assert idp.authorize_requests == before + 2


def test_a_kiosk_hides_the_sign_out_link(fresh_browser, oidc_wall):
    fresh_browser.get(f"{oidc_wall.url}/second?kiosk=1")
    wait_until(fresh_browser, lambda d: charts_drawn(d, 1), message="the kiosk's chart drawn")
    assert not fresh_browser.find_element(By.ID, "sign-out").is_displayed()
