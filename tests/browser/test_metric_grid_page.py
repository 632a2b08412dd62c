"""The demo's Operations page in real headless Chromium: 25 bullet-graph cells, no scrolling,
readable type, exactly the planted cell highlighted."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from selenium.webdriver.common.by import By

from socwall.dashboard.demo.ops import SERIES, SLOW_CLUSTER, DemoOps
from tests.browser.conftest import screenshot, set_viewport
from tests.browser.live_wall import LiveWall
from tests.browser.test_wall import overflows, wait_until
from tests.conftest import free_port

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ops_wall(redis_url, tmp_path_factory):
    """The repository's own Operations page and operations source over generated data."""
    demo = yaml.safe_load((ROOT / "config.yaml").read_text())
    data_dir = tmp_path_factory.mktemp("ops")
    source = {**demo["sources"]["operations"], "path": str(data_dir / "*.csv")}
    page = next(p for p in demo["pages"] if p["id"] == "operations")
    raw = {
        "timezone": demo["timezone"],
        "store": {"url": redis_url, "prefix": f"opsgrid{free_port()}"},
        "web": {"poll": "1s"},
        "sources": {"operations": source},
        "pages": [page],
    }
    def write_data(config):
        DemoOps(data_dir, config.tz, seed=7, anchor=datetime.now(UTC)).write_until(datetime.now(UTC))

    live = LiveWall.started(raw, data_dir, write_data)
    yield live
    live.stop()


@pytest.mark.parametrize("width,height,min_value_px", [(1366, 768, 15), (1920, 1080, 22), (3840, 2160, 44)])
def test_operations_grid_fits_and_highlights_only_the_slow_cluster(browser, ops_wall, width, height, min_value_px):
    set_viewport(browser, width, height)
    browser.get(f"{ops_wall.url}/operations?kiosk=1")
    cells = lambda d: d.find_elements(By.CSS_SELECTOR, ".mcell")  # noqa: E731
    wait_until(browser, lambda d: len(cells(d)) == len(SERIES), message="25 cells drawn")
    wait_until(browser, lambda d: d.execute_script("return window.innerWidth") == width)
    assert overflows(browser) == []
    alerts = browser.find_elements(By.CSS_SELECTOR, ".mcell.alert .mcell-name")
    assert [a.text for a in alerts] == ["DB latency eu-2"], SLOW_CLUSTER
    value_px = browser.execute_script(
        "return parseFloat(getComputedStyle(document.querySelector('.mcell-value')).fontSize)"
    )
    assert value_px >= min_value_px  # read from 3 m at 1920x1080 in half the screen
    for cell in cells(browser):  # every cell shows its whole value, nothing cut
        value = cell.find_element(By.CSS_SELECTOR, ".mcell-value")
        assert browser.execute_script("return arguments[0].scrollWidth <= arguments[0].clientWidth + 1", value)
        assert cell.find_elements(By.CSS_SELECTOR, ".mcell-bar, .mcell-mark")
    grid_box = browser.execute_script(
        "const r = document.querySelector('.mgrid').getBoundingClientRect(); return r.width / innerWidth"
    )
    assert grid_box <= 0.5  # 25 cells in half the screen
    screenshot(browser, f"operations-{width}x{height}.png")
