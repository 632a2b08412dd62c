"""The Content-Security-Policy in a real Chromium: every page of the wall renders its charts and
tables, and the browser reports no violation (no blocked script, style, image or connection)."""

from selenium.webdriver.common.by import By

from tests.browser.conftest import set_viewport
from tests.browser.test_wall import charts_drawn, wait_until

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(
  e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')));
"""


def test_every_page_renders_under_the_policy_without_a_violation(browser, wall):
    wall.refresh()
    set_viewport(browser, 1920, 1080)
    script = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS})
    try:
        for page in wall.config.pages:
            browser.get(f"{wall.url}/{page.id}?kiosk=1")
            wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".panel"), message=page.id)
            wait_until(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, ".panel.waiting"), message=page.id)
            charts = sum(p.widget in ("metric_compare", "metric_grid") for p in page.panels)
            wait_until(browser, lambda d, n=charts: charts_drawn(d, n), message=f"{page.id} charts")
            assert browser.execute_script("return window.__cspViolations") == [], page.id
            policy = browser.execute_script(
                "return fetch(location.href).then(r => r.headers.get('content-security-policy'))")
            assert "script-src 'self' 'sha256-" in policy
    finally:
        browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": script["identifier"]})
