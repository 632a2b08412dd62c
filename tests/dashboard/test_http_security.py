"""Headers on every route the app registers; callbacks this app never sends refused with a 4xx
before any store read; request bodies bounded."""

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socwall.dashboard.app import create_app
from socwall.dashboard.clock import Clock
from socwall.dashboard.jobs import run_all_once
from tests.dash_requests import panel_poll_body
from tests.dashboard.test_jobs import CLOCK, write_events


class CountingStore:
    """The real store, counting the reads a request causes."""

    def __init__(self, store):
        self.store, self.reads = store, 0

    def __getattr__(self, name):
        attribute = getattr(self.store, name)
        if callable(attribute):
            def counted(*args, **kwargs):
                self.reads += 1
                return attribute(*args, **kwargs)
            return counted
        return attribute


@pytest.fixture
def app_and_store(make_config, store):
    config = make_config()
    write_events(make_config.data_dir, [5, 30, 59, 61])
    run_all_once(config, store, CLOCK)
    counting = CountingStore(store)
    return create_app(config, counting, Clock()), counting


def sample_path(rule) -> str:
    """A concrete path for a URL rule: each converter gets a plain sample value."""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: "x.js" if m.group(1) == "path" else "x", rule.rule)


def test_every_route_answers_with_the_security_headers(app_and_store):
    app, _ = app_and_store
    client = app.server.test_client()
    rules = list(app.server.url_map.iter_rules())
    assert len(rules) >= 8  # pages, Dash's endpoints, assets, /healthz, /livez, /readyz, /metrics
    for rule in rules:
        method = "POST" if "POST" in rule.methods and "GET" not in rule.methods else "GET"
        response = client.open(sample_path(rule), method=method, json={} if method == "POST" else None)
        headers = response.headers
        assert "script-src 'self' 'sha256-" in headers["Content-Security-Policy"], rule.rule
        assert "unsafe-eval" not in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff", rule.rule
        assert headers["Referrer-Policy"] == "no-referrer", rule.rule
        assert headers["X-Frame-Options"] == "DENY", rule.rule


def test_frame_ancestors_from_the_config(make_config, store):
    config = make_config(frame_ancestors=["'self'", "https://soc-portal.example.org"])
    response = create_app(config, store, Clock()).server.test_client().get("/livez")
    assert "frame-ancestors 'self' https://soc-portal.example.org" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers


def test_a_bad_frame_ancestor_names_the_key(make_config):
    with pytest.raises(Exception, match=r"web\.frame_ancestors.*javascript:x"):
        make_config(frame_ancestors=["javascript:x"])


def forged(body: dict, **changes) -> dict:
    return {**body, **changes}


FORGERIES = {
    "unknown panel": lambda b: forged(b, state=[{**b["state"][0], "id": {"id": "nope", "type": "panel-version"}}]),
    "unknown callback": lambda b: forged(b, output="..evil.children.."),
    "tick as text": lambda b: forged(b, inputs=[{**b["inputs"][0], "value": "1; DROP"}, b["inputs"][1]]),
    "viewport as a list": lambda b: forged(b, inputs=[b["inputs"][0], {**b["inputs"][1], "value": [1, 2]}]),
    "huge version": lambda b: forged(b, state=[{**b["state"][0], "value": "v" * 10_000}]),
    "output for another panel": lambda b: forged(b, outputs=[{**o, "id": {**o["id"], "id": "../x"}} for o in b["outputs"]]),
}


@pytest.mark.parametrize("name", FORGERIES)
def test_forged_callbacks_get_400_and_read_nothing(app_and_store, name):
    app, counting = app_and_store
    client = app.server.test_client()
    body = FORGERIES[name](panel_poll_body("failed", None))
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 400, response.data[:200]
    assert counting.reads == 0
    good = client.post("/_dash-update-component", json=panel_poll_body("failed", None))
    assert good.status_code == 200 and counting.reads > 0


def test_a_body_over_the_limit_is_413(app_and_store):
    client = app_and_store[0].server.test_client()
    response = client.post("/_dash-update-component", data=b"{" + b" " * 70_000 + b"}",
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 413


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=json_values, field=st.sampled_from(["output", "outputs", "inputs", "state", "changedPropIds"]))
def test_junk_in_any_field_never_makes_a_5xx(app_and_store, junk, field):
    client = app_and_store[0].server.test_client()
    body = panel_poll_body("failed", None)
    body[field] = junk
    response = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
    assert response.status_code < 500, (field, junk, response.data[:300])


GUNICORN_ERRORS = {  # what gunicorn itself refuses, before Flask sees a request
    400: b"GET\r\n\r\n",
    414: b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    431: b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n",
}


def test_gunicorns_own_error_pages_carry_the_security_headers(tmp_path, redis_url, prefix):
    import socket

    import yaml

    from tests.conftest import Served, events_config

    config = tmp_path / "wall.yaml"
    config.write_text(yaml.safe_dump(events_config(tmp_path, redis_url, prefix)))
    served = Served(config, tmp_path / "serve.log", "--workers", "1")
    try:
        for status, raw in GUNICORN_ERRORS.items():
            with socket.create_connection(("127.0.0.1", served.port), timeout=5) as connection:
                connection.sendall(raw)
                answer = b""
                while chunk := connection.recv(65536):
                    answer += chunk
            head, _, body = answer.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = dict(line.split(": ", 1) for line in lines[1:])
            assert lines[0].startswith(f"HTTP/1.1 {status} "), lines[0]
            assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], status
            assert "script-src 'self' 'sha256-" in headers["Content-Security-Policy"]
            assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
            assert headers["Referrer-Policy"] == "no-referrer" and headers["Cache-Control"] == "no-store"
            assert int(headers["Content-Length"]) == len(body) and b"<script" not in body
    finally:
        served.stop()
