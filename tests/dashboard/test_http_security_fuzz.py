"""No 500 from client input: the malformed callbacks and paths of issue 25 get a 4xx with one
log line and no traceback, for a desk viewer and a screen; a hypothesis property test mutates
real callback requests of every callback (browser-only ones too) in every field."""

import json
import logging
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socwall.dashboard.app import create_app
from socwall.dashboard.callback_check import declared_outputs
from socwall.dashboard.clock import Clock
from socwall.dashboard.config import parse_config
from tests.dash_requests import panel_poll_body
from tests.dashboard.test_access import (
    TOKEN,
    basic_access,
    basic_header,
    raw_config,
    show_page_body,
)

SAMPLES = {  # a value the browser sends, per (id or pattern type, property)
    ("poll", "n_intervals"): 3, ("rotate", "n_intervals"): 1, ("url", "pathname"): "/screen/lobby",
    ("url", "search"): "", ("viewport", "data"): {"scale": 1.0}, ("panel-version", "data"): None,
    ("served-layout-version", "data"): "v1", ("layout-version", "data"): "v1",
}  # fmt: skip
OTHER_PAGES = re.compile(rb'Firewall blocks|"blocks"|"failed"|"Main"')  # the desk's main page


@pytest.fixture
def app(tmp_path, redis_url, prefix, store):
    return create_app(parse_config(raw_config(tmp_path, redis_url, prefix, basic_access())), store, Clock())


@pytest.fixture
def clients(app):
    """A signed-in desk viewer and a screen that opened its URL with the token."""
    desk, screen = app.server.test_client(), app.server.test_client()
    desk.environ_base["HTTP_AUTHORIZATION"] = basic_header()["Authorization"]
    assert screen.get(f"/screen/lobby?token={TOKEN}").status_code == 303
    return {"desk": desk, "screen": screen}


def request_for(output: str, spec: dict, panel: str = "failed24") -> dict:
    """The body the renderer sends for a callback, built from what the callback declared."""

    def item(ident: str, prop: str, with_value: bool) -> dict:
        pattern = ident.startswith("{")
        real = {**json.loads(ident), "id": panel} if pattern else ident
        name = json.loads(ident)["type"] if pattern else ident
        return {"id": real, "property": prop, **({"value": SAMPLES.get((name, prop))} if with_value else {})}

    outputs = [item(json.dumps(s.ident) if isinstance(s.ident, dict) else s.ident, s.prop, False)
               for s in declared_outputs(output)]  # fmt: skip
    return {
        "output": output,
        "outputs": outputs if output.startswith("..") else outputs[0],
        "inputs": [item(d["id"], d["property"], True) for d in spec.get("inputs", [])],
        "state": [item(d["id"], d["property"], True) for d in spec.get("state", [])],
        "changedPropIds": [],
    }


def nested(depth: int):
    value = 1
    for _ in range(depth):
        value = [value]
    return value


def test_every_server_callback_built_from_its_declaration_answers_200(app, clients):
    server_side = [(out, spec) for out, spec in app.callback_map.items() if "callback" in spec]
    assert len(server_side) == 5  # routing, rotation, panels, strip, the desk drawer
    for output, spec in server_side:
        response = clients["screen"].post("/_dash-update-component", json=request_for(output, spec))
        assert response.status_code in (200, 204), (output, response.data[:200])


ISSUE_CASES = {  # issue 25's 354 fuzzed 500s, one of each kind
    "panel id that is a dict": lambda b: {**b, "state": [{**b["state"][0], "id": {"id": {"x": 1}, "type": "panel-version"}}]},
    "output panel id that is a dict": lambda b: {**b, "outputs": [{**o, "id": {**o["id"], "id": {"id": "failed24"}}} for o in b["outputs"]]},
    "outputs: 5": lambda b: {**b, "outputs": 5},
    "inputs: 5": lambda b: {**b, "inputs": 5},
    "panel id that is a list": lambda b: {**b, "outputs": [{**o, "id": {**o["id"], "id": ["failed24"]}} for o in b["outputs"]]},
    "viewport as text": lambda b: {**b, "inputs": [b["inputs"][0], {**b["inputs"][1], "value": "big"}]},
    "viewport scale huge": lambda b: {**b, "inputs": [b["inputs"][0], {**b["inputs"][1], "value": {"scale": 1e300}}]},
    "changedPropIds of numbers": lambda b: {**b, "changedPropIds": [1, 2]},
    "browser-only viewport callback": lambda b: {"output": "viewport.data", "outputs": {"id": "viewport", "property": "data"},
                                               "inputs": [{"id": "poll", "property": "n_intervals", "value": 1}],
                                               "state": [{"id": "viewport", "property": "data", "value": None}]},
    "browser-only reload callback": lambda b: {"output": "layout-version.data", "outputs": {"id": "layout-version", "property": "data"},
                                             "inputs": [{"id": "served-layout-version", "property": "data", "value": "x"}],
                                             "state": [{"id": "layout-version", "property": "data", "value": "y"}]},
}  # fmt: skip
RAW_CASES = {
    "a 30,000-deep JSON array": b"[" * 30_000 + b"]" * 30_000,
    "a 30,000-deep array in a value": b'{"output": "url.pathname", "inputs": [{"value": ' + b"[" * 30_000 + b"]" * 30_000 + b"}]}",
    "not JSON": b"{'output': 1",
    "JSON of a number": b"5",
}  # fmt: skip
PATH_TRICKS = ["/_dash-component-suites/dash/../../setup.py", "/_dash-component-suites/nope/x.js",
               "/_dash-component-suites/dash/x.js", "/_dash-component-suites/dash/%2e%2e/x.py",
               "/_dash-component-suites/plotly/package_data/../../../etc/passwd",
               "/_dash-component-suites/dash/deps/react@18.3.1.min.js%00.map"]  # fmt: skip


def no_traceback(caplog) -> None:
    """Refusals are one line each; Flask logs a 500 with its traceback (exc_info)."""
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
    assert all("Traceback" not in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("who", ["desk", "screen"])
@pytest.mark.parametrize("case", sorted(ISSUE_CASES) + sorted(RAW_CASES))
def test_malformed_callbacks_get_400_and_one_log_line(clients, who, case, caplog):
    if case in ISSUE_CASES:
        data = json.dumps(ISSUE_CASES[case](panel_poll_body("failed24", None))).encode()
    else:
        data = RAW_CASES[case]
    with caplog.at_level(logging.INFO):
        response = clients[who].post("/_dash-update-component", data=data, content_type="application/json")
    assert response.status_code == 400, response.data[:200]
    refusals = [r for r in caplog.records if "refused a callback request" in r.getMessage()]
    assert len(refusals) == 1 and len(refusals[0].getMessage()) < 300
    no_traceback(caplog)


@pytest.mark.parametrize("who", ["desk", "screen"])
@pytest.mark.parametrize("path", PATH_TRICKS)
def test_path_tricks_on_component_suites_get_404_not_500(clients, who, path, caplog):
    with caplog.at_level(logging.INFO):
        response = clients[who].get(path)
    assert response.status_code in (404, 403), (path, response.status_code)
    assert b"registered" not in response.data  # Dash's error names every file it has
    no_traceback(caplog)


class Deep(int):
    """A depth drawn by hypothesis; the test nests a value that deep (a repr it can print)."""


JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=12,
)  # fmt: skip
NESTED_IDS = st.builds(lambda d, kind: nested(d) if kind is None else {"id": nested(d), "type": kind},
                       st.integers(0, 30), st.none() | st.sampled_from(["panel", "panel-version"]))  # fmt: skip
DEEP = st.builds(Deep, st.integers(1, 200) | st.just(3000))  # made in the test: printable
WHERE = st.sampled_from(["output", "outputs", "inputs", "state", "changedPropIds", "id", "value", "property"])


def mutate(body: dict, where: str, replacement, index: int) -> dict:
    body = json.loads(json.dumps(body))
    if isinstance(replacement, Deep):
        replacement = nested(replacement)
    if where in ("id", "value", "property"):
        items = [i for group in ("inputs", "state") for i in body.get(group, [])]
        items += body["outputs"] if isinstance(body["outputs"], list) else [body["outputs"]]
        items[index % len(items)][where] = replacement
    else:
        body[where] = replacement
    return body


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.integers(0, 6), where=WHERE, replacement=JUNK | NESTED_IDS | DEEP,
       index=st.integers(0, 7), who=st.sampled_from(["desk", "screen"]))  # fmt: skip
def test_no_mutation_of_a_real_request_makes_a_5xx_or_leaks_to_a_screen(app, clients, which, where, replacement, index, who):
    bodies = [request_for(out, spec) for out, spec in sorted(app.callback_map.items())]
    bodies.append(show_page_body("/screen/lobby"))  # every callback, browser-only ones too
    body = bodies[which % len(bodies)]
    try:
        sent = json.dumps(mutate(body, where, replacement, index)).encode()
    except RecursionError:
        return  # json.dumps could not write it either: no client sends it
    response = clients[who].post("/_dash-update-component", data=sent, content_type="application/json")
    assert response.status_code < 500, (who, where, response.data[:300])
    if who == "screen" and response.status_code == 200:
        assert not OTHER_PAGES.search(response.data), response.data[:300]


SEGMENTS = st.sampled_from(["..", ".", "%2e%2e", "dash", "plotly", "deps", "x.js", "%00", "%2f", "", "a" * 300,
                            "dash-renderer", "build", "react@18.3.1.min.js", "..%5c", "\u202e"]) | st.text(max_size=12)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(root=st.sampled_from(["/_dash-component-suites/", "/assets/", "/screen/lobby/", "/_dash-layout/"]),
       segments=st.lists(SEGMENTS, min_size=1, max_size=5), who=st.sampled_from(["desk", "screen"]))  # fmt: skip
def test_no_path_under_the_dash_and_asset_routes_makes_a_5xx(clients, root, segments, who):
    from urllib.parse import quote

    path = root + "/".join(quote(s, safe="%.@-") for s in segments)
    response = clients[who].get(path)
    assert response.status_code < 500, (path, response.status_code)
    assert b"registered" not in response.data
