"""The demo's Chatter page in real headless Chromium over a real Redis, with the live demo
talking through the real transports: the surge is the alarm row, the newest lines are text
(hostile markup shown, never run), nothing scrolls, nothing below 16 px at 1920x1080."""

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from selenium.webdriver.common.by import By

from socwall.dashboard.clock import Clock
from socwall.dashboard.demo import chatter as demo
from socwall.dashboard.jobs import run_source
from socwall.feeds.chat_message import Message, message_id
from socwall.feeds.chat_sink import KIND
from tests.browser.conftest import screenshot, set_viewport
from tests.browser.live_wall import LiveWall
from tests.browser.test_intel_real import small_text
from tests.browser.test_wall import overflows, wait_until
from tests.conftest import free_port
from tests.feeds.chat_live import wait_until as poll_until

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
HOSTILE = '<img src=x onerror="window.__xss = 1"> CVE-2025-31324 <script>window.__xss = 2</script>'


@pytest.fixture(scope="module")
def chatter_wall(redis_url, tmp_path_factory):
    ports = {"IRC_PORT": free_port(), "MASTODON_PORT": free_port(), "JETSTREAM_PORT": free_port()}
    patch = pytest.MonkeyPatch()
    for name, port in ports.items():
        patch.setattr(demo, name, port)
    shipped = yaml.safe_load((ROOT / "config.yaml").read_text())
    source = shipped["sources"]["chatter"]
    source["irc"][0]["port"] = ports["IRC_PORT"]
    source["mastodon"][0]["instance"] = f"http://127.0.0.1:{ports['MASTODON_PORT']}"
    source["bluesky"][0]["url"] = f"ws://127.0.0.1:{ports['JETSTREAM_PORT']}/subscribe"
    source["refresh"] = "2s"
    page = next(p for p in shipped["pages"] if p["id"] == "chatter")
    page["panels"][0]["refresh"] = "2s"
    page["panels"][0]["options"].pop("kev")
    raw = {"timezone": shipped["timezone"], "web": {"poll": "1s"},
           "store": {"url": redis_url, "prefix": f"chat{free_port()}"},
           "sources": {"chatter": source}, "pages": [page]}  # fmt: skip
    started = datetime.now(UTC)
    live = LiveWall.started(raw, tmp_path_factory.mktemp("chatter"), lambda config: None)
    talk = demo.start_demo_chatter(live.config, live.store, Clock(), 7, every=(0.2, 0.5))

    def listening():
        status = run_source(live.config, "chatter", live.store, Clock())
        return status["status"] == "ok" and not status["warnings"]

    poll_until(listening, timeout=30, what="every connection listening")
    poll_until(lambda: len(live.store.records("chatter", KIND, started, datetime.now(UTC))) >= 20,
               what="live lines")  # fmt: skip
    talk.stop.set()  # the talker stops (the connections stay): the hostile line is the newest
    seen = []

    def settled():  # what was said before the stop has arrived: no change for a second
        run_source(live.config, "chatter", live.store, Clock())
        count = len(live.store.records("chatter", KIND, started, datetime.now(UTC)))
        seen.append((time.monotonic(), count))
        return seen[-1][0] - min(t for t, n in seen if n == count) >= 1.0

    poll_until(settled, what="the last lines stored")
    hostile = Message(message_id("hostile"), "irc", "local-irc", "#soc-intel", "mallory",
                      datetime.now(UTC), HOSTILE).record()  # fmt: skip
    live.store.add_records("chatter", KIND, [hostile], datetime.now(UTC),
                           live.config.sources["chatter"].retention, id_field="id")  # fmt: skip
    live.refresh()
    yield live
    talk.close()
    live.stop()
    patch.undo()


@pytest.mark.parametrize("width,height", [(1920, 1080), (3840, 2160)])
def test_chatter_page_shows_the_surge_the_lines_as_text_and_fits(browser, chatter_wall, width, height):
    set_viewport(browser, width, height)
    browser.get(f"{chatter_wall.url}/chatter?kiosk=1")
    rows = lambda d: d.find_elements(By.CSS_SELECTOR, ".chatter-row")  # noqa: E731
    wait_until(browser, rows, message="subject rows drawn")
    wait_until(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".chatter-line")) >= 10,
               message="the newest lines")  # fmt: skip
    screenshot(browser, f"chatter-{width}x{height}.png")
    assert overflows(browser) == []
    jumps = [r.find_element(By.CSS_SELECTOR, ".chatter-label").text
             for r in browser.find_elements(By.CSS_SELECTOR, ".chatter-row.jump")]  # fmt: skip
    assert "SAP NetWeaver" in jumps and "PAN-OS" not in jumps
    first = browser.find_element(By.CSS_SELECTOR, ".chatter-row.jump .chatter-numbers").text
    assert "people · usually 0 · week ago 0" in first
    caption = browser.find_element(By.CSS_SELECTOR, ".chatter-caption").text
    assert "from 5 channels" in caption and "usual = median of the same 24h in 4 weeks" in caption
    texts = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".chatter-text")]
    wheres = {e.text.split(" · ")[0] for e in browser.find_elements(By.CSS_SELECTOR, ".chatter-who")}
    assert {"IRC #soc-intel", "IRC #blueteam"} & wheres and "Bluesky" in wheres
    assert any(w.startswith("Mastodon #") for w in wheres)
    assert texts[0] == HOSTILE  # the newest line: its markup shown as text...
    assert browser.execute_script("return window.__xss") is None  # ...and never run
    assert small_text(browser, ".panel-body", 16 * width / 1920) == []
