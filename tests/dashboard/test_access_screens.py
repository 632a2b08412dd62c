"""A screen cookie opens its own pages and nothing else, in every shape of the Dash protocol:
Dash hands callbacks their inputs by position, so the check is on the value at the place the
callback declared url.pathname, whatever id, order, nesting or absence the request shows."""

import copy
import json
import re

import pytest

from socwall.dashboard.app import create_app
from socwall.dashboard.clock import Clock
from socwall.dashboard.config import parse_config
from tests.dash_requests import panel_poll_body
from tests.dashboard.test_access import TOKEN, basic_access, raw_config, show_page_body

# what only the desk's main page shows: its panels' titles and ids, its title in the nav
MAIN_PAGE = re.compile(rb'Firewall blocks|Failed logins"|\\"blocks\\"|\\"failed\\"|"Main"')


@pytest.fixture
def screen(tmp_path, redis_url, prefix, store):
    config = parse_config(raw_config(tmp_path, redis_url, prefix, basic_access()))
    client = create_app(config, store, Clock()).server.test_client()
    assert client.get(f"/screen/lobby?token={TOKEN}").status_code == 303
    return client


def routed(pathname) -> dict:
    body = show_page_body("/screen/lobby")
    body["inputs"][0]["value"] = pathname
    return body


def edit(change) -> dict:
    body = show_page_body("/screen/lobby")
    change(body)
    return body


ROTATE = {"output": "url.pathname", "outputs": {"id": "url", "property": "pathname"},
          "inputs": [{"id": "rotate", "property": "n_intervals", "value": 1}],
          "state": [{"id": "url", "property": "pathname", "value": "/screen/lobby/second"}]}  # fmt: skip


def rotated(pathname) -> dict:
    body = copy.deepcopy(ROTATE)
    body["state"][0]["value"] = pathname
    return body


SHAPES = {  # the two, then every other place and form a path can take
    "id spelled URL": edit(lambda b: b["inputs"][0].update(id="URL", value="/main")),
    "url without a value": edit(lambda b: b["inputs"][0].pop("value")),
    "value null": routed(None),
    "value empty": routed(""),
    "the desk's page": routed("/main"),
    "the desk's root": routed("/"),
    "another screen": routed("/screen/other"),
    "a longer screen name": routed("/screen/lobbyx"),
    "dot segments": routed("/screen/lobby/../main"),
    "double slash": routed("//screen/lobby"),
    "trailing junk": routed("/screen/lobby?x=/main"),
    "not text": routed(["/screen/lobby"]),
    "a number": routed(5),
    "a dict value": routed({"pathname": "/screen/lobby"}),
    "inputs swapped": edit(lambda b: b.update(inputs=[{"id": "url", "property": "search", "value": ""},
                                                      {"id": "url", "property": "pathname", "value": "/screen/lobby"}])),  # fmt: skip
    "search where pathname is": edit(lambda b: b["inputs"][0].update(property="search")),
    "pattern id where url is": edit(lambda b: b["inputs"][0].update(id={"type": "url", "id": "failed24"})),
    "inputs nested in a list": edit(lambda b: b.update(inputs=[b["inputs"]])),
    "item in a list": edit(lambda b: b["inputs"].__setitem__(0, [b["inputs"][0]])),
    "a third input": edit(lambda b: b["inputs"].append({"id": "url", "property": "pathname", "value": "/main"})),
    "pathname as state": edit(lambda b: b.update(state=[{"id": "url", "property": "pathname", "value": "/main"}])),
    "no inputs": edit(lambda b: b.pop("inputs")),
    "outputs of another callback": edit(lambda b: b.update(output="url.pathname")),
    "rotation from the desk's page": rotated("/main"),
    "rotation without a value": edit(lambda b: b.update(ROTATE, state=[{"id": "url", "property": "pathname"}])),
    "rotation from another screen": rotated("/screen/other/main"),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_a_screen_never_gets_another_pages_layout(screen, shape):
    response = screen.post("/_dash-update-component", data=json.dumps(SHAPES[shape]),
                           content_type="application/json")  # fmt: skip
    assert response.status_code in (400, 403), (response.status_code, response.data[:200])
    assert not MAIN_PAGE.search(response.data), response.data[:300]


@pytest.mark.parametrize("pathname", ["/screen/lobby", "/screen/lobby/", "/screen/lobby/second",
                                      "/screen/lobby/main"])  # fmt: skip
def test_its_own_paths_show_its_own_page(screen, pathname):
    response = screen.post("/_dash-update-component", json=routed(pathname))
    assert response.status_code == 200
    shown = response.get_json()["response"]
    assert shown["page-title"]["children"] == "Second"  # /main under the screen: its first page
    assert shown["page-nav"]["children"] == [] and not MAIN_PAGE.search(response.data)


def test_the_same_requests_from_the_desk_get_400_not_500(tmp_path, redis_url, prefix, store):
    from tests.dashboard.test_access import basic_header

    config = parse_config(raw_config(tmp_path, redis_url, prefix, basic_access()))
    desk = create_app(config, store, Clock()).server.test_client()
    for shape, body in SHAPES.items():
        response = desk.post("/_dash-update-component", data=json.dumps(body),
                             content_type="application/json", headers=basic_header())  # fmt: skip
        assert response.status_code in (200, 400), (shape, response.status_code)


def test_a_screen_polls_only_its_own_panels(screen):
    assert screen.post("/_dash-update-component", json=panel_poll_body("failed24", None)).status_code == 200
    for panel in ("failed", "blocks"):
        assert screen.post("/_dash-update-component", json=panel_poll_body(panel, None)).status_code == 403
    mixed = panel_poll_body("failed24", None)
    mixed["state"][0]["id"]["id"] = "failed"  # its own outputs, another panel's version
    assert screen.post("/_dash-update-component", json=mixed).status_code == 403
