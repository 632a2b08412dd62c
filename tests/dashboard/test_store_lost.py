"""A Redis that comes back empty (restarted without persistence) is a warning on the strip and
in /healthz until the band's weeks are back; a first start on an empty Redis is not."""

import json
import shutil
import subprocess
import sys

import redis
import yaml

from socwall.dashboard.config import parse_config
from socwall.dashboard.store import Store
from tests.conftest import events_config, free_port, logged_or_exited
from tests.dashboard.test_jobs import write_events
from tests.dashboard.test_leader import wait_for


def redis_on(port: int, workdir, name: str) -> subprocess.Popen:
    """A redis-server on `port` keeping nothing on disk, once it is ready."""
    log_path = workdir / f"{name}.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(workdir)],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    assert logged_or_exited(process, log_path, "Ready to accept connections"), "port taken"
    return process


def test_a_redis_restarted_empty_is_said_until_the_band_is_back(tmp_path):
    port = free_port()
    server = redis_on(port, tmp_path, "first")
    data = tmp_path / "events"
    data.mkdir()
    write_events(data, [5, 30])
    raw = events_config(data, f"redis://127.0.0.1:{port}/0", "lost")
    (tmp_path / "wall.yaml").write_text(yaml.safe_dump(raw))
    client = redis.Redis(port=port, decode_responses=True)
    store = Store(client, parse_config(raw).store.key_prefix)
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed after the worker ends
    worker = subprocess.Popen([sys.executable, "-m", "socwall.dashboard.cli", "worker",
                               "--config", str(tmp_path / "wall.yaml")],
                              stdout=subprocess.DEVNULL, stderr=log)  # fmt: skip
    try:
        wait_for(lambda: client.get("lost:store:marker"), 20, "the marker")
        wait_for(lambda: client.get("lost:leader"), 20, "a leader")
        # the first start on an empty Redis is no loss: a few heartbeats later still nothing
        beat = client.get("lost:store:marker")
        seen: set = set()
        wait_for(lambda: _heartbeats(client, seen) > 3, 20, "heartbeats")
        assert client.get("lost:store:marker") == beat
        assert client.get("lost:store:history-lost") is None
        assert "lost the wall's data" not in (store.store_notice() or "")

        server.terminate()
        server.wait(10)
        server = redis_on(port, tmp_path, "second")  # the same port, empty
        lost = wait_for(lambda: client.get("lost:store:history-lost"), 20, "the loss noticed")
        assert lost.startswith("Redis lost the wall's data at ")
        assert 35 * 86400 < client.ttl("lost:store:history-lost") <= 36 * 86400
        assert "Redis lost the wall's data" in store.store_notice()  # the strip and /healthz
    finally:
        worker.terminate()
        worker.wait(20)
        log.close()
        server.terminate()
        server.wait(10)
    errors = (tmp_path / "worker.log").read_text()
    assert errors.count("Redis lost the wall's data") == 1  # one warning for one loss



def _heartbeats(client, seen: set) -> int:
    """How many different heartbeats of the worker were seen so far (polled)."""
    for key in client.keys("lost:worker:*"):
        seen.add(json.loads(client.get(key) or "{}").get("at"))
    return len(seen - {None})
