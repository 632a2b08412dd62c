"""Shared fixtures: a real redis-server, a store under a fresh prefix, small configs."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import redis
from hypothesis import HealthCheck, settings

from socwall.dashboard.config import parse_config
from socwall.dashboard.store import Store

# Hypothesis in CI is derandomized: the same examples every run, so a regression fails every
# time instead of looking like a flake that passes on a re-run. HYPOTHESIS_PROFILE=explore
# searches with fresh random examples (and more of them) when run by hand.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
settings.register_profile("explore", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# `.ci/run` runs two pytest processes side by side (two cores): the tests marked `servers` here
# and all the others. `servers` are those that use something one at a time: Chromium, the
# demo's fixed loopback ports (`socwall demo`: test_demo_ready.py, and test_wheel.py among the
# browser tests), the one PostgreSQL server, Spark (a JVM of 1-2 GB) and podman (an image
# build takes a core). The deploy tests that only read files or run systemd-analyze, and the
# demo chatter's test (its stand-ins on free ports), are in the other half.
# (pytest-xdist's loadgroup would do it, but its group suffix is lost on pytest 9.2's node ids.)
ONE_AT_A_TIME = ("test_demo_ready.py", "test_container.py", "test_systemd_run.py")


def uses_servers(item: pytest.Item) -> bool:
    """True for a test of the `servers` half (see above)."""
    if any(item.get_closest_marker(m) for m in ("browser", "postgres", "spark")):
        return True
    return item.path.parent.name == "browser" or item.path.name in ONE_AT_A_TIME


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if uses_servers(item):
            item.add_marker(pytest.mark.servers)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis_server(workdir: Path, *extra: str,
                       cluster_bus: bool = False) -> tuple[subprocess.Popen, str]:  # fmt: skip
    """A throwaway redis-server on a free port (nothing on disk), once it logs that it is ready.
    With `cluster_bus` its cluster bus gets a free port too (port + 10000 may be past 65535).

    A free port can be taken between our check and redis-server's bind (a client connection's
    ephemeral port, another test's server): a server that exits at once is started again on
    other ports, and a failure shows the server's log."""
    for _attempt in range(3):
        port = free_port()
        bus = ("--cluster-port", str(free_port())) if cluster_bus else ()
        log_path = workdir / f"redis-{port}.log"
        with open(log_path, "w") as log:
            process = subprocess.Popen(
                [shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no", "--dir", str(workdir), *extra, *bus],
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        if logged_or_exited(process, log_path, "Ready to accept connections"):
            return process, f"redis://127.0.0.1:{port}/0"
    pytest.fail(f"redis-server did not start on port {port}:\n{log_path.read_text()[-2000:]}")


def logged_or_exited(process: subprocess.Popen, log_path: Path, marker: str) -> bool:
    """True once the server logs `marker`; False when it exits first (its port was taken).
    Its own log decides, not the port: on a taken port, somebody else's server may answer."""
    deadline = time.monotonic() + 10
    while process.poll() is None:
        if marker in log_path.read_text(errors="replace"):
            return True
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"no {marker!r} in 10 s:\n{log_path.read_text()[-2000:]}")
        time.sleep(0.05)
    return False


class Served:
    """`socwall serve` on a free port, in its own process group, its output in a log file.
    Without a `port` given, a port taken before gunicorn binds it is retried on another."""

    def __init__(self, config_path, log_path, *args: str, port: int | None = None):
        self.log_path = log_path
        for _attempt in range(1 if port else 3):
            self.port = port or free_port()
            self.url = f"http://127.0.0.1:{self.port}"
            command = [sys.executable, "-m", "socwall.dashboard.cli", "serve", "--config",
                       str(config_path), "--port", str(self.port), *args]  # fmt: skip
            with open(log_path, "w") as log:
                self.process = subprocess.Popen(
                    command, stdout=log, stderr=log, start_new_session=True
                )
            if self._answers_livez():
                return
            if "Connection in use" not in self.log():
                break
        raise AssertionError(f"serve exited:\n{self.log()}")

    def _answers_livez(self) -> bool:
        """True once /livez answers; False when serve exits first; fails after 30 s."""
        deadline = time.monotonic() + 30
        while self.process.poll() is None:
            try:
                with urllib.request.urlopen(self.url + "/livez", timeout=1):
                    return True
            except OSError:
                assert time.monotonic() < deadline, f"serve did not answer:\n{self.log()}"
                time.sleep(0.1)
        return False

    def get(self, path: str, timeout: float = 5) -> bytes | None:
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as response:
                return response.read()
        except urllib.error.HTTPError as error:
            return error.read()
        except OSError:
            assert self.process.poll() is None, f"serve exited:\n{self.log()}"
            return None

    def post(self, path: str, body: dict, timeout: float = 5) -> dict:
        request = urllib.request.Request(
            self.url + path, json.dumps(body).encode(), {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())

    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> str:
    """REDIS_URL when set; else a redis-server of our own on a free port, stopped at the end."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    if shutil.which("redis-server") is None:
        pytest.fail(
            "redis-server is not installed (apt-get install redis-server) and REDIS_URL is unset"
        )
    process, url = start_redis_server(tmp_path_factory.mktemp("redis"))
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def prefix() -> str:
    """A key prefix no other test uses, so tests share one server without interfering."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def store(redis_url, prefix) -> Store:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield Store(client, prefix)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def events_config(data_dir: Path, redis_url: str, prefix: str, **web) -> dict:
    """A one-page config over CSV events in data_dir, as YAML would load it."""
    return {
        "title": "Test wall",
        "timezone": "Europe/Berlin",
        "store": {"url": redis_url, "prefix": prefix},
        "web": {"poll": "1s", **web},
        "scheduler": {"lock_ttl": "2s"},
        "sources": {
            "events": {
                "type": "events",
                "path": str(data_dir / "*.csv"),
                "refresh": "1s",
                "bucket": "5m",
                "metrics": {
                    "failed": {"filter": {"kind": "failed_login"}},
                    "blocks": {"filter": {"kind": "fw_block"}},
                },
            }
        },
        "pages": [
            {
                "id": "main",
                "title": "Main",
                "grid": {"columns": 2, "rows": 1},
                "panels": [
                    {
                        "id": "failed",
                        "widget": "metric_compare",
                        "title": "Failed logins",
                        "source": "events",
                        "refresh": "1s",
                        "at": [1, 1],
                        "options": {"metric": "failed"},
                    },
                    {
                        "id": "blocks",
                        "widget": "metric_compare",
                        "title": "Firewall blocks",
                        "source": "events",
                        "refresh": "1s",
                        "at": [2, 1],
                        "options": {"metric": "blocks"},
                    },
                ],
            },
            {
                "id": "second",
                "title": "Second",
                "grid": {"columns": 1, "rows": 1},
                "panels": [
                    {
                        "id": "failed24",
                        "widget": "metric_compare",
                        "title": "Failed logins 24h",
                        "source": "events",
                        "refresh": "1s",
                        "at": [1, 1],
                        "options": {"metric": "failed", "window": "24h"},
                    },
                ],
            },
        ],
    }


@pytest.fixture
def make_config(redis_url, prefix, tmp_path):
    """Build a validated WallConfig over tmp_path/events; keyword arguments go to `web`."""
    data_dir = tmp_path / "events"
    data_dir.mkdir(exist_ok=True)

    def build(**web):
        return parse_config(events_config(data_dir, redis_url, prefix, **web))

    build.data_dir = data_dir
    return build
