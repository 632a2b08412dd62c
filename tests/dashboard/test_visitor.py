"""Visitor mode on the demo's real payloads (every widget, computed into a real Redis): no
address, inventory host or demo user leaves the server, on every callback a redacted screen's
cookie can reach, and the alarms are the clear wall's."""

import json
import re

import pytest

from socwall.dashboard.app import create_app
from socwall.dashboard.clock import Clock
from socwall.dashboard.demo.auth import SERVERS, USERS
from socwall.dashboard.visitor import VisitorMask, inventory_names
from socwall.visitor import addresses_in
from socwall.widgets import WIDGETS
from socwall.widgets.context import View
from tests.browser.demo_wall import DEMO_NOW, demo_computed
from tests.conftest import free_port
from tests.dash_requests import panel_poll_body, strip_poll_body
from tests.dashboard.test_access import show_page_body

TOKEN = "visitor-lobby-token-0123456789"


@pytest.fixture(scope="module")
def demo(redis_url, tmp_path_factory):
    directory = tmp_path_factory.mktemp("visitor")
    pages = ["threats", "network", "intel", "access", "operations", "context", "sensors", "chatter"]
    screens = {"lobby": {"pages": pages, "token": TOKEN, "redact": True},
               "noc": {"pages": pages, "token": TOKEN + "-noc"}}  # fmt: skip
    config, _, store, services = demo_computed(redis_url, directory, f"visitor{free_port()}",
                                               links=True, screens=screens)  # fmt: skip
    yield config, store
    services.close()


def identifiers(config) -> set[str]:
    """What a visitor must not read: the inventory's and the demo's hosts, the demo's users."""
    _, hosts = inventory_names(config)
    return hosts | set(SERVERS) | set(USERS)


def leaks(text: str, names: set[str]) -> list[str]:
    """Every address, and every name found as a whole word, in `text`."""
    found = addresses_in(text)
    return found + [n for n in names if re.search(rf"(?<![\w.-]){re.escape(n)}(?![\w-])", text)]


def alarms(value) -> int:
    """Facts and rows a payload marks as alarms, wherever they sit."""
    if isinstance(value, dict):
        own = value.get("severity") == "alarm" or value.get("alert") is True
        return own + sum(alarms(v) for v in value.values())
    if isinstance(value, list):
        return sum(alarms(v) for v in value)
    return 0


@pytest.mark.parametrize("widget", sorted(WIDGETS))
def test_every_widgets_payload_leaves_with_no_identifier_and_the_same_alarms(demo, widget):
    config, store = demo
    names = identifiers(config)
    panels = [panel for panel in config.panels() if panel.widget == widget]
    assert panels, f"the demo shows no {widget}"
    mask = VisitorMask(config, store).pseudonyms()
    for panel in panels:
        clear = store.panel_data(panel.id)
        assert clear is not None, panel.id
        masked = mask.payload(clear)
        assert leaks(json.dumps(masked, ensure_ascii=False), names) == [], panel.id
        assert alarms(masked) == alarms(clear), panel.id
        assert _numbers(masked) == _numbers(clear), panel.id


def test_the_demo_payloads_do_carry_identifiers_in_the_clear(demo):
    """The test above could not fail if the payloads had nothing to hide."""
    config, store = demo
    text = json.dumps([store.panel_data(panel.id) for panel in config.panels()])
    found = set(leaks(text, identifiers(config)))
    assert {"10.0.1.66", "23.149.115.148", "hr-files-02", "db-02", "cmeyer", "dnovak"} <= found


def _numbers(value) -> list:
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return [value] if isinstance(value, int | float) and not isinstance(value, bool) else []


def _client(config, store, screen: str | None):
    app = create_app(config, store, Clock(DEMO_NOW, frozen=True))
    client = app.server.test_client()
    if screen:
        token = config.screens[screen].token.get_secret_value()
        assert client.get(f"/screen/{screen}?token={token}").status_code == 303
    return client


def _poll_all(client, config, wall_class: str) -> dict[str, str]:
    answers = {}
    for panel in config.panels():
        body = panel_poll_body(panel.id, None, wall_class=wall_class)
        response = client.post("/_dash-update-component", json=body)
        assert response.status_code == 200, (panel.id, response.data[:200])
        answers[panel.id] = response.get_data(as_text=True)
    return answers


def test_a_redacted_screens_cookie_gets_no_identifier_from_any_panel_even_when_the_page_lies(demo):
    config, store = demo
    names = identifiers(config)
    clear = _poll_all(_client(config, store, "noc"), config, "wall kiosk")
    hidden = _poll_all(_client(config, store, "lobby"), config, "wall kiosk")  # no redact class
    assert leaks("".join(clear.values()), names), "the clear wall names hosts and users"
    for panel_id, text in hidden.items():
        assert leaks(text, names) == [], panel_id
        # the same alarms: the frame's class (alert, notice, explained) is the clear wall's
        assert _classes(text) == _classes(clear[panel_id]), panel_id


def test_the_desk_asks_for_visitor_mode_by_its_wall_class_and_gets_it(demo):
    config, store = demo
    answers = _poll_all(_client(config, store, None), config, "wall desk redact")
    assert leaks("".join(answers.values()), identifiers(config)) == []
    assert "siem.example" not in "".join(answers.values())  # no links for visitors


def test_a_redacted_screens_drawer_and_health_strip_name_nobody(demo):
    config, store = demo
    client = _client(config, store, "lobby")
    clear_rows = store.panel_data("suspects")["rows"]
    mask = VisitorMask(config, store).pseudonyms()
    for row in (clear_rows[0]["user"], mask.payload(clear_rows[0])["user"]):
        body = {"output": "..drawer-content.children...drawer.className..",
                "outputs": [{"id": "drawer-content", "property": "children"},
                            {"id": "drawer", "property": "className"}],
                "inputs": [{"id": "drawer-request", "property": "data",
                            "value": {"panel": "suspects", "row": row}}],
                "state": [{"id": "viewport", "property": "data", "value": {"scale": 1}},
                          {"id": "wall", "property": "className", "value": "wall desk"}],
                "changedPropIds": ["drawer-request.data"]}  # fmt: skip
        response = client.post("/_dash-update-component", json=body)
        assert response.status_code in (200, 204), response.data[:200]
        assert leaks(response.get_data(as_text=True), identifiers(config)) == [], row
    strip = strip_poll_body(wall_class="wall kiosk")
    response = client.post("/_dash-update-component", json=strip)
    assert response.status_code == 200 and not leaks(response.get_data(as_text=True), set())


def test_the_drawer_of_a_masked_row_opens_on_what_the_visitor_sees(demo):
    config, store = demo
    client = _client(config, store, None)
    row = VisitorMask(config, store).pseudonyms().payload(store.panel_data("suspects"))["rows"][0]
    body = {"output": "..drawer-content.children...drawer.className..",
            "outputs": [{"id": "drawer-content", "property": "children"},
                        {"id": "drawer", "property": "className"}],
            "inputs": [{"id": "drawer-request", "property": "data",
                        "value": {"panel": "suspects", "row": row["user"]}}],
            "state": [{"id": "viewport", "property": "data", "value": {"scale": 1}},
                      {"id": "wall", "property": "className", "value": "wall desk redact"}],
            "changedPropIds": ["drawer-request.data"]}  # fmt: skip
    answer = client.post("/_dash-update-component", json=body).get_data(as_text=True)
    assert row["user"] in answer and "drawer open" in answer


def _classes(text: str) -> str:
    """The panel frame's class in a poll's answer (the first output)."""
    return next(iter(json.loads(text)["response"].values()))["className"]


def test_pseudonyms_stay_the_same_between_two_apps_of_one_deployment(demo):
    config, store = demo
    one = VisitorMask(config, store).pseudonyms().text("db-02 and 10.0.1.66")
    other = VisitorMask(config, store).pseudonyms().text("db-02 and 10.0.1.66")
    assert one == other and "db-02" not in one and "10.0.1.66" not in one


def _route(client, pathname: str, search: str = "") -> str:
    """The wall's class the routing callback gives a URL."""
    body = show_page_body(pathname)
    body["inputs"][1]["value"] = search
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.data[:200]
    return response.get_json()["response"]["wall"]["className"]


def test_the_page_asks_for_visitor_mode_by_query_or_by_its_screen(demo):
    config, store = demo
    desk = _client(config, store, None)
    assert "redact" not in _route(desk, "/network").split()
    assert "redact" in _route(desk, "/network", "?redact=1").split()
    assert "redact" not in _route(_client(config, store, "noc"), "/screen/noc/network").split()
    assert "redact" in _route(_client(config, store, "lobby"), "/screen/lobby/network").split()


def _classes_in(component) -> list[str]:
    """Every className in a rendered Dash tree."""
    found = [getattr(component, "className", None) or ""]
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if hasattr(child, "to_plotly_json"):
            found += _classes_in(child)
    return found


def test_a_talker_whose_name_and_address_share_a_pseudonym_shows_it_once(demo):
    config, store = demo
    panel = next(p for p in config.panels() if p.id == "talkers_bytes")
    view = View(1.0, {}, False)
    clear = WIDGETS["top_talkers"].render(store.panel_data(panel.id), panel.options, view)
    masked_payload = VisitorMask(config, store).pseudonyms().payload(store.panel_data(panel.id))
    masked = WIDGETS["top_talkers"].render(masked_payload, panel.options, view)
    rows = len(masked_payload["rows"])
    def addresses_shown(tree) -> int:
        return sum("talker-ip" in classes.split() for classes in _classes_in(tree))

    assert addresses_shown(clear) == rows  # the clear wall: the name and the address
    assert addresses_shown(masked) == 0  # a visitor: the same pseudonym is not said twice


def test_a_sources_error_on_the_strip_names_nobody_for_visitors(demo):
    config, store = demo
    source, host = next(iter(config.sources)), sorted(inventory_names(config)[1])[0]
    before = store.source_status(source)
    error = {**(before or {}), "status": "error", "error": f"cannot read 10.0.2.5 ({host})"}
    store.write_source_status(source, error)
    try:
        client = _client(config, store, None)
        clear, hidden = (
            client.post("/_dash-update-component", json=strip_poll_body(wall_class=c)).get_data(
                as_text=True
            )
            for c in ("wall desk", "wall desk redact")
        )
        assert "10.0.2.5" in clear and host in clear  # the desk's strip says the error
        assert leaks(hidden, {host}) == [] and "cannot read" in hidden
    finally:
        store.write_source_status(source, before)
