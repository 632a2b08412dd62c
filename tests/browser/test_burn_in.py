"""Burn-in care and the night palette in a real Chromium on the demo wall: the wall moves
within the viewport (no scrolling at its extremes, at three screen sizes), only on kiosks by
default; the night palette comes on at its time on the wall's (replayed) clock, with no pure
white anywhere."""

import pytest

from tests.browser.conftest import screenshot, set_viewport
from tests.browser.demo_wall import demo_wall
from tests.browser.test_message import drawn
from tests.browser.test_wall import overflows, wait_until
from tests.conftest import free_port

pytestmark = pytest.mark.browser
NIGHT = {"start": "10:31", "end": "11:30"}  # the demo starts at 10:30 local, its clock runs on
SHIFT = 8


@pytest.fixture(scope="module")
def demo(computed_demo):
    live = demo_wall(computed_demo, f"burnin{free_port()}", web={"night": NIGHT})
    yield live
    live.stop()


def wall_at(driver) -> tuple[float, float]:
    rect = driver.execute_script("return document.getElementById('wall').getBoundingClientRect()")
    return rect["left"], rect["top"]


@pytest.mark.parametrize("width,height", [(1366, 768), (1920, 1080), (3840, 2160)])
def test_the_shift_at_its_extremes_never_makes_a_kiosk_scroll(browser, demo, width, height):
    set_viewport(browser, width, height)
    browser.get(f"{demo.url}/network?kiosk=1")
    wait_until(browser, lambda d: d.execute_script("return window.innerWidth") == width)
    wait_until(browser, drawn, message="network drawn")
    wait_until(browser, lambda d: "burn-in" in d.execute_script(
        "return document.getElementById('wall').className"), message="burn-in care on the kiosk")
    for x, y in [(0, 0), (SHIFT, SHIFT), (0, SHIFT), (SHIFT, 0)]:
        browser.execute_script("window.socwallBurnIn.hold(arguments[0], arguments[1])", x, y)
        wait_until(browser, lambda d, x=x, y=y: wall_at(d) == (x, y), message=f"wall at {x},{y}")
        assert overflows(browser) == [], (x, y)
    browser.execute_script("window.socwallBurnIn.release()")


def test_a_desk_tab_does_not_move_and_a_kiosk_moves_on_its_own(browser, demo):
    set_viewport(browser, 1920, 1080)
    browser.get(f"{demo.url}/network")
    wait_until(browser, drawn, message="network drawn at the desk")
    assert "burn-in" not in browser.execute_script("return document.getElementById('wall').className")
    assert wall_at(browser) == (0, 0)
    browser.get(f"{demo.url}/network?kiosk=1")
    wait_until(browser, drawn, message="network drawn in a kiosk")
    wait_until(browser, lambda d: "burn-in" in d.execute_script(
        "return document.getElementById('wall').className"), message="burn-in care on the kiosk")
    shift = browser.execute_script(
        "const s = getComputedStyle(document.getElementById('wall'));"
        "return [s.getPropertyValue('--shift-max'), s.getPropertyValue('--chrome-dim')]"
    )
    assert shift[0].strip() == f"{SHIFT}px" and shift[1].strip() in ("1", "0.72")


NO_PURE_WHITE = """
const white = [];
for (const el of document.querySelectorAll('#wall, #wall *')) {
  const style = getComputedStyle(el);
  for (const prop of ['color', 'backgroundColor', 'borderTopColor', 'fill', 'stroke']) {
    if (/^rgba?\\(255, 255, 255(, 1)?\\)$/.test(style[prop]) && el.getClientRects().length)
      white.push(`${el.tagName}.${el.className.baseVal ?? el.className} ${prop}`);
  }
}
return white;
"""


def test_the_night_palette_comes_on_at_its_time_on_the_walls_clock(browser, demo):
    set_viewport(browser, 1920, 1080)
    browser.get(f"{demo.url}/network?kiosk=1")
    wait_until(browser, drawn, message="network drawn")
    night = "return document.getElementById('night-mark').classList.contains('night')"
    clock = "return document.getElementById('wall-clock').textContent"
    before = browser.execute_script(clock)
    if not browser.execute_script(night):  # the server may have started more than 1 min ago
        assert before.endswith("10:30"), before
    wait_until(browser, lambda d: d.execute_script(night), timeout=90, message="night at 10:31")
    assert browser.execute_script(clock) >= "Mon 30 Mar 10:31"
    wait_until(browser, lambda d: d.execute_script(
        "return getComputedStyle(document.getElementById('wall')).backgroundColor"
    ) == "rgb(5, 7, 9)", message="the night's background")
    assert sorted(set(browser.execute_script(NO_PURE_WHITE))) == []
    browser.execute_script("window.socwallBurnIn.hold(0, 0)")
    wait_until(browser, lambda d: wall_at(d) == (0, 0))
    screenshot(browser, "night-network-1920x1080.png")
    browser.execute_script("window.socwallBurnIn.release()")


MARKS = """
return [...document.querySelectorAll('section.panel')].map(p => [
  p.classList.contains('alert'),
  getComputedStyle(p.querySelector('.panel-title'), '::before').content,
  getComputedStyle(p).boxShadow !== 'none']);
"""


def test_an_alarm_is_never_colour_alone_a_triangle_and_a_double_border_go_with_it(browser, demo):
    set_viewport(browser, 1920, 1080)
    browser.get(f"{demo.url}/network?kiosk=1")
    wait_until(browser, drawn, message="network drawn")
    marks = browser.execute_script(MARKS)
    assert sum(alert for alert, _, _ in marks) == 2  # the exfiltration, in both top lists
    for alert, before, double in marks:
        assert (before == '"▲ "') is alert and double is alert, marks
