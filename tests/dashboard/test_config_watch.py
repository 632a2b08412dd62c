"""The last good config, its version, and what the strip and /healthz say about configs."""

import yaml

from socwall.dashboard.app import create_app
from socwall.dashboard.clock import Clock
from socwall.dashboard.config_watch import ConfigWatch, config_version, layout_version
from socwall.dashboard.leader import Leader
from tests.conftest import events_config
from tests.dash_requests import strip_poll_body, strip_texts


def write_config(path, raw) -> None:
    path.write_text(yaml.safe_dump(raw))


def test_reload_takes_a_valid_file_and_keeps_the_last_good_one(tmp_path, redis_url, prefix):
    raw = events_config(tmp_path, redis_url, prefix)
    path = tmp_path / "wall.yaml"
    write_config(path, raw)
    watch = ConfigWatch(path)
    first = watch.version
    assert not watch.changed() and not watch.reload()  # same bytes: nothing to do
    path.write_text(path.read_text() + "\npages: []\n")  # a duplicate key, on line N
    assert watch.changed() and watch.reload()
    assert watch.version == first and watch.config.title == "Test wall"
    assert watch.problem.startswith("wall.yaml: not valid YAML: duplicate key 'pages' on line")
    assert "\n" not in watch.problem
    raw["title"] = "Second wall"
    write_config(path, raw)
    assert watch.reload()
    assert watch.problem is None and watch.config.title == "Second wall"
    assert watch.version != first
    assert watch.note() == {"config_version": watch.version, "config_problem": None}


def test_version_ignores_per_process_keys_but_not_the_layout(make_config):
    base = make_config()
    assert config_version(make_config(port=9999, workers=7)) == config_version(base)
    assert layout_version(make_config(port=9999)) == layout_version(base)
    assert config_version(make_config(poll="5s")) != config_version(base)
    assert layout_version(make_config(poll="5s")) != layout_version(base)


def strip(client) -> tuple[list[str], str]:
    response = client.post("/_dash-update-component", json=strip_poll_body())
    assert response.status_code == 200, response.data[:300]
    return strip_texts(response.get_json())


def test_strip_and_healthz_warn_when_serve_and_worker_run_different_configs(make_config, store):
    config = make_config()
    client = create_app(config, store, Clock()).server.test_client()
    texts, served = strip(client)
    assert served == layout_version(config)
    assert not [t for t in texts if "config" in t]  # no worker leads yet: nothing to compare
    leader = Leader(store.redis, store.keys, config.scheduler.lock_ttl, "w1")
    leader.config_note = {"config_version": config_version(config), "config_problem": None}
    assert leader.tick()
    assert not [t for t in strip(client)[0] if "config" in t]
    other = make_config(poll="5s")
    leader.config_note = {"config_version": config_version(other), "config_problem": "x.yaml: bad"}
    leader.tick()
    texts = strip(client)[0]
    serve_v, worker_v = config_version(config)[:6], config_version(other)[:6]
    assert f"serve runs config {serve_v}…, worker runs {worker_v}… — reload one of them" in texts
    assert "worker: x.yaml: bad — still running the last good config" in texts
    report = client.get("/healthz").get_json()["config"]
    assert report["serve"] == {"config_version": config_version(config), "config_problem": None}
    assert report["worker"]["config_version"] == config_version(other)
    leader.release()


def test_strip_reports_a_refused_reload_of_serve(make_config, store):
    problem = "wall.yaml: pages[0].title: field required"
    client = create_app(make_config(), store, Clock(), config_problem=problem).server.test_client()
    assert f"{problem} — still running the last good config" in strip(client)[0]
    assert client.get("/healthz").get_json()["config"]["serve"]["config_problem"] == problem


def test_a_refused_schema_problem_names_the_key_and_counts_the_rest(tmp_path, redis_url, prefix):
    raw = events_config(tmp_path, redis_url, prefix)
    path = tmp_path / "wall.yaml"
    write_config(path, raw)
    watch = ConfigWatch(path)
    raw["web"]["colour"] = "red"
    raw["pages"][0]["panels"][0]["refresh"] = "often"
    write_config(path, raw)
    assert watch.reload()
    assert watch.problem.startswith("wall.yaml: web.colour: unknown key")
    assert watch.problem.endswith("(and 1 more)")
    assert watch.config.title == "Test wall"
