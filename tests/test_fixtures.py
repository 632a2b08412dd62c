"""The tests' own server starters survive a port taken between their check and the bind."""

import socket
from contextlib import contextmanager

import redis
import yaml

import tests.conftest as conftest


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
