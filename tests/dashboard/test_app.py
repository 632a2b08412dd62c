"""The web app's server side: cheap polls, errors shown not hidden, /healthz."""

import json

import pytest

from socwall.dashboard.app import create_app
from socwall.dashboard.clock import Clock
from socwall.dashboard.config import StoreConfig
from socwall.dashboard.jobs import run_all_once
from socwall.dashboard.store import Store, connect
from tests.conftest import free_port
from tests.dash_requests import poll
from tests.dashboard.test_jobs import CLOCK, write_events


@pytest.fixture
def client(make_config, store):
    config = make_config()
    write_events(make_config.data_dir, [5, 30, 59, 61])
    run_all_once(config, store, CLOCK)
    return create_app(config, store, Clock()).server.test_client()


def test_first_poll_sends_the_figure_then_only_the_frame(client, store):
    first_bytes, first = poll(client, "failed", None)
    version = first["panel-version"]["data"]
    assert version.startswith(f"{store.panel_meta('failed')['version']}@1.0@False@")  # kiosk
    assert "figure" in json.dumps(first["panel-body"])
    again_bytes, again = poll(client, "failed", version)
    assert "panel-body" not in again and "panel-version" not in again
    assert again["panel"]["className"].startswith("panel")
    assert len(again_bytes) < 600 < len(first_bytes)


def test_new_screen_scale_renders_again(client):
    _, first = poll(client, "failed", None)
    _, scaled = poll(client, "failed", first["panel-version"]["data"], scale=2.0)
    assert "@2.0@False@" in scaled["panel-version"]["data"]
    assert '"size": 32' in json.dumps(scaled["panel-body"])


def test_panel_poll_when_the_store_is_gone_says_so_and_keeps_the_body(make_config):
    config = make_config()
    dead = Store(connect(StoreConfig(url=f"redis://127.0.0.1:{free_port()}/0", timeout="1s")), "x")
    client = create_app(config, dead, Clock()).server.test_client()
    _, parts = poll(client, "failed", "some-version")
    assert "panel-body" not in parts
    assert parts["panel"]["className"] == "panel stale"
    assert parts["panel-status"]["children"] == "store unreachable: showing the last data"


def test_healthz_reports_panels_sources_and_store(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    report = response.get_json()
    assert report["store"]["reachable"] is True
    assert report["panels"]["failed"]["status"] == "ok"
    assert report["panels"]["failed"]["age_s"] >= 0
    assert report["sources"]["events"]["rows"] == 4
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_is_503_when_the_store_is_unreachable(make_config):
    config = make_config()
    port = free_port()
    dead = Store(connect(StoreConfig(url=f"redis://127.0.0.1:{port}/0", timeout="1s")), "x")
    response = create_app(config, dead, Clock()).server.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["store"]["reachable"] is False
