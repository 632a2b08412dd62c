"""A store that goes away is logged once per failure streak by a worker, whatever number of
jobs and heartbeats fail meanwhile, and its return once, with what was not written."""

import json
from datetime import timedelta

import redis

from socwall.dashboard.config import StoreConfig
from socwall.dashboard.jobs import run_panel
from socwall.dashboard.leader import Leader
from socwall.dashboard.logs import setup_logging
from socwall.dashboard.scheduler import _guarded
from socwall.dashboard.store import Store, connect
from tests.conftest import free_port
from tests.dashboard.test_jobs import CLOCK
from tests.dashboard.test_logs import root_logging  # noqa: F401 - the fixture


def test_one_line_when_the_store_goes_and_one_when_it_answers(root_logging, capsys,  # noqa: F811
                                                              make_config, store):  # fmt: skip
    config = make_config()
    dead = f"redis://127.0.0.1:{free_port()}/0"
    gone = Store(connect(StoreConfig(url=dead, timeout="1s")))
    leader = Leader(redis.Redis.from_url(dead, socket_timeout=1), gone.keys,
                    timedelta(seconds=2), "w1")  # fmt: skip
    setup_logging("json")
    for _ in range(3):  # three refreshes of every panel and three heartbeats while Redis is away
        for panel in config.panels():
            _guarded(lambda: True, run_panel, config, panel, gone, CLOCK, "w1",
                     outage=leader.outage)  # fmt: skip
        assert leader.tick() is False
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert len(lines) == 1, lines
    assert lines[0]["message"].startswith("store unreachable, job panel:")
    assert "not logged until it answers again" in lines[0]["message"]

    failures = 3 * len(config.panels()) + 3 - 1
    _guarded(lambda: True, run_panel, config, config.panels()[0], store, CLOCK, "w1",
             outage=leader.outage)  # fmt: skip
    _guarded(lambda: True, run_panel, config, config.panels()[0], store, CLOCK, "w1",
             outage=leader.outage)  # fmt: skip
    (back,) = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert back["message"].startswith("store answers again after ")
    assert back["message"].endswith(f"({failures} failures meanwhile not logged)")


def test_a_panel_age_keeps_counting_while_the_store_is_away(tmp_path, make_config):
    from socwall.dashboard.app import create_app
    from socwall.dashboard.clock import Clock
    from socwall.dashboard.jobs import run_all_once
    from tests.conftest import start_redis_server
    from tests.dash_requests import poll
    from tests.dashboard.test_jobs import write_events
    from tests.redis_nodes import wait_for

    server, url = start_redis_server(tmp_path)
    try:
        config = make_config()
        own = Store(connect(StoreConfig(url=url, timeout="1s")), "outage")
        write_events(make_config.data_dir, [5, 30])
        run_all_once(config, own, CLOCK)
        client = create_app(config, own, Clock()).server.test_client()
        _, first = poll(client, "failed", None)
        shown = first["panel-age"]["children"]
        assert shown.endswith(" ago")
    finally:
        server.terminate()
        server.wait(10)

    def age_while_away():
        _, parts = poll(client, "failed", first["panel-version"]["data"])
        assert parts["panel-status"]["children"] == "store unreachable: showing the last data"
        age = parts["panel-age"]["children"]
        return age if age != shown else None

    later = wait_for(age_while_away, 10, "the age to move on while the store is away")
    assert later.endswith(" ago") and later.split(" · ")[0] == shown.split(" · ")[0]


def test_a_panel_never_shown_on_this_screen_claims_no_last_data_while_the_store_is_away(
    make_config,
):
    from socwall.dashboard.app import create_app
    from socwall.dashboard.clock import Clock
    from tests.dash_requests import poll

    dead = Store(connect(StoreConfig(url=f"redis://127.0.0.1:{free_port()}/0", timeout="1s")))
    client = create_app(make_config(), dead, Clock()).server.test_client()
    _, parts = poll(client, "failed24", None)  # a rotating wall's next page, first poll
    said = parts["panel-status"]["children"]
    assert said == "store unreachable: nothing to show until it answers"
    assert parts["panel"]["className"] == "panel waiting stale"
    assert parts["panel-age"]["children"] == "no data here yet"
