"""Top talkers on replayed real captures in real headless Chromium (when ../shared/data exists):
no multicast or link-local "talker", no cut-off numbers, ranks 11-20 drawn smaller than rank 1."""

import ipaddress
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
import yaml
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from socwall.dashboard.clock import Clock
from socwall.dashboard.config import parse_config
from socwall.dashboard.jobs import run_all_once
from socwall.dashboard.store import Store
from tests.browser.conftest import screenshot, set_viewport
from tests.browser.live_wall import LiveWall
from tests.browser.test_message import measure, show
from tests.browser.test_wall import overflows, wait_until
from tests.conftest import free_port

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not beside the repo"),
]
END = datetime(2018, 11, 9, 12, 0, tzinfo=UTC)  # inside the last day of the Trickbot week


@pytest.fixture(scope="module")
def capture_wall(redis_url, tmp_path_factory):
    data = tmp_path_factory.mktemp("captures")
    shutil.copy(SHARED / "zeek" / "conn_trickbot_2018-11.log", data / "trickbot.log")
    shutil.copy(SHARED / "zeek" / "conn_json_2020-06.log", data / "json.log")
    talkers = {"widget": "top_talkers", "refresh": "1m"}
    raw = {
        "timezone": "UTC",
        "now": END.isoformat(),
        "store": {"url": redis_url, "prefix": f"capture{free_port()}"},
        "sources": {"week": {"type": "flows", "path": str(data / "trickbot.log"), "retention": "30d"},
                    "json": {"type": "flows", "path": str(data / "json.log"), "retention": "30d"}},
        "pages": [{"id": "net", "title": "Net", "grid": {"columns": 3, "rows": 2}, "panels": [
            {"id": "bytes", "title": "Top by bytes", "source": "week", "at": [1, 1], "span": [1, 2],
             **talkers, "options": {"window": "7d", "new_after": 1}},
            {"id": "conns", "title": "Top by connections", "source": "week", "at": [2, 1],
             "span": [1, 2], **talkers, "options": {"window": "7d", "new_after": 1, "by": "connections"}},
            {"id": "behind", "title": "Ranks 11-20", "source": "week", "at": [3, 1], **talkers,
             "options": {"window": "7d", "new_after": 1, "ranks": [11, 20], "by": "connections", "direction": "both"}},
            {"id": "json", "title": "JSON capture", "source": "json", "at": [3, 2], **talkers,
             "options": {"window": "1h"}},
        ]}, {"id": "four", "title": "Four", "grid": {"columns": 4, "rows": 1}, "panels": [
            # a 4-column grid: where addresses used to be cut to "147.32.8…" (issue 21)
            {"id": f"four_{n}", "title": f"{by} {direction}", "source": "week", "at": [n, 1],
             **talkers, "options": {"window": "7d", "new_after": 1, "by": by,
                                    "direction": direction}}
            for n, (by, direction) in enumerate([("bytes", "both"), ("bytes", "in"),
                                                 ("connections", "out"),
                                                 ("connections", "in")], start=1)]},
        ],
    }  # fmt: skip
    path = data / "wall.yaml"
    path.write_text(yaml.safe_dump(raw))
    config = parse_config(raw)
    store = Store(redis.Redis.from_url(redis_url, decode_responses=True), config.store.prefix)
    run_all_once(config, store, Clock(END, frozen=True))
    json_end = datetime(2020, 6, 6, 7, 0, tzinfo=UTC)  # just after the JSON capture's minute
    from socwall.dashboard.jobs import run_panel

    run_panel(config, config.pages[0].panels[3], store, Clock(json_end, frozen=True))
    live = LiveWall(config, path, store)
    live.start()
    yield live
    live.stop()


def test_real_captures_show_no_multicast_host_and_whole_numbers(browser, capture_wall):
    set_viewport(browser, 1920, 1080)
    browser.get(f"{capture_wall.url}/net?kiosk=1")
    wait_until(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".talker-rank")) >= 3,
               message="talker rows")  # fmt: skip
    assert overflows(browser) == []
    hosts = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".talker-host")]
    assert hosts and not any(h.startswith(("fe80", "ff02", "224.", "239.")) for h in hosts)
    panels = {p.find_element(By.CSS_SELECTOR, ".panel-title").text: p.text
              for p in browser.find_elements(By.CSS_SELECTOR, ".panel")}  # fmt: skip
    assert "fe80" not in panels["JSON capture"] and "ff02" not in panels["JSON capture"]
    cut = browser.execute_script(
        "return [...document.querySelectorAll('.talker-value, .talker-peers, .talker-share')]"
        ".filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)"
    )
    assert cut == []
    widths = browser.execute_script(
        "return [...document.querySelectorAll('.talker-bar')].map(e => e.getBoundingClientRect().width)"
    )
    assert max(widths) > 0
    screenshot(browser, "real-capture-network-1920x1080.png")


@pytest.mark.parametrize("width,height", [(1920, 1080), (1366, 768)])
def test_real_captures_message_readable_and_whole(browser, capture_wall, width, height):
    """The demo's checks (issue 21) on the Trickbot week and the JSON capture: no text below
    the floor, every address whole, nothing in vermillion (both hosts ranked the week before)."""
    for page, rows in (("net", 5), ("four", 6)):  # 2 + 2 + 1 rows; 2 + 0 + 2 + 2 rows
        show(browser, capture_wall.url, page, width, height)
        found = measure(browser, width, height)
        screenshot(browser, f"real-capture-{page}-{width}x{height}.png")
        assert found["small"] == [] and found["cut"] == [], page
        hosts = browser.find_elements(By.CSS_SELECTOR, ".talker-host")
        assert found["idents"] == len(hosts) == rows, page  # each address measured, whole
        assert found["alarms"] == [], page
        assert overflows(browser) == [], page


def outside_peers(host: str, start: datetime, end: datetime) -> dict[str, list]:
    """An independent count over the Zeek log (a plain loop, not socwall's reader): per outside
    peer of `host`, the IP bytes the host sent (its own connections and its answers) and the
    connections."""
    peers: dict[str, list] = {}
    lines = (SHARED / "zeek" / "conn_trickbot_2018-11.log").read_text().splitlines()
    for line in lines:
        if line.startswith("#"):
            continue
        f = line.split("\t")
        if not start.timestamp() <= float(f[0]) < end.timestamp():
            continue
        sent = {f[2]: f[17], f[4]: f[19]}  # orig_ip_bytes, resp_ip_bytes
        for me, other in ((f[2], f[4]), (f[4], f[2])):
            if me == host and not ipaddress.ip_address(other).is_private:
                count = peers.setdefault(other, [0, 0])
                count[0] += 0 if sent[me] == "-" else int(sent[me])
                count[1] += 1
    return peers


def test_the_drawer_of_a_real_host_lists_its_outside_peers_as_counted_by_hand(browser,
                                                                              capture_wall):
    show(browser, capture_wall.url, "net", 1920, 1080, query="")  # the desk
    row = browser.find_element(By.CSS_SELECTOR, ".talker[data-row='172.16.9.5']")
    row.find_element(By.CSS_SELECTOR, ".talker-measure").click()
    content = browser.find_element(By.ID, "drawer-content")

    def lines(driver):  # as a person sees them once the drawer has slid in
        found = [line.text.split("\n") for line in content.find_elements(By.CSS_SELECTOR,
                                                                          ".drawer-line")]
        return found if len(found) == 8 and all(len(f) == 4 for f in found) else None

    shown = wait_until(browser, lines, message="8 peers in the drawer")
    # the 7-day window ends with the 5-minute bucket that holds END
    counted = outside_peers("172.16.9.5", END + timedelta(minutes=5) - timedelta(days=7),
                            END + timedelta(minutes=5))  # fmt: skip
    top = sorted(counted.items(), key=lambda kv: (-kv[1][0], kv[0]))[:8]
    assert [s[:3] for s in shown] == [[peer, f"{sent / 1e3:.1f} kB", f"{conns:,} conn."]
                                      for peer, (sent, conns) in top]  # fmt: skip
    browser.switch_to.active_element.send_keys(Keys.ESCAPE)
