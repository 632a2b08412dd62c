"""The tests' own server starters survive a port taken between their check and the bind."""

import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import redis
import yaml

import tests.conftest as conftest

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def first_free_port_taken(monkeypatch):
    """free_port() answers a port somebody listens on once, then free ports again."""
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    taken_port = taken.getsockname()[1]
    ports = iter([taken_port])
    real_free_port = conftest.free_port
    monkeypatch.setattr(conftest, "free_port", lambda: next(ports, None) or real_free_port())
    try:
        yield taken_port
    finally:
        taken.close()


def test_redis_server_on_a_taken_port_is_started_on_another(tmp_path, monkeypatch):
    with first_free_port_taken(monkeypatch) as taken_port:
        process, url = conftest.start_redis_server(tmp_path)
        try:
            assert f":{taken_port}/" not in url
            assert redis.Redis.from_url(url).ping()
            refused_log = (tmp_path / f"redis-{taken_port}.log").read_text()
            assert "Address already in use" in refused_log
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_serve_on_a_taken_port_is_started_on_another(tmp_path, monkeypatch, redis_url, prefix):
    config = tmp_path / "wall.yaml"
    config.write_text(yaml.safe_dump(conftest.events_config(tmp_path, redis_url, prefix)))
    with first_free_port_taken(monkeypatch) as taken_port:
        served = conftest.Served(config, tmp_path / "serve.log", "--workers", "1")
        try:
            assert served.port != taken_port
            assert served.get("/livez") is not None
        finally:
            served.stop()


SAMPLE = ("tests/dashboard/test_demo_ready.py", "tests/deploy/test_container.py",
          "tests/browser/test_csp.py", "tests/feeds/test_query_postgres.py",
          "tests/deploy/test_systemd_run.py", "tests/kernel/test_durations.py",
          "tests/dashboard/test_cli_start.py", "tests/deploy/test_pins.py",
          "tests/deploy/test_systemd_units.py", "tests/dashboard/test_demo_chatter.py")  # fmt: skip


def collected(*args: str) -> set[str]:
    """The files of SAMPLE whose tests pytest collects with ARGS, in a process of its own."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q",
         *args, *SAMPLE], capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    return {line.split("::")[0] for line in result.stdout.splitlines() if "::" in line}


def test_the_servers_half_of_ci_holds_the_tests_that_use_something_one_at_a_time():
    # .ci/run runs `-m servers` beside `-m "not servers"`: every test is in exactly one half
    assert collected("-m", "servers") == set(SAMPLE[:5])
    assert collected("-m", "not servers") == set(SAMPLE[5:])
