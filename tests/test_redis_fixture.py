"""The tests' own redis-server starter survives a port taken between its check and the bind."""

import socket

import redis

import tests.conftest as conftest


def test_a_port_taken_before_the_bind_is_retried_on_another(tmp_path, monkeypatch):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    taken_port = taken.getsockname()[1]
    ports = iter([taken_port])
    real_free_port = conftest.free_port
    monkeypatch.setattr(conftest, "free_port", lambda: next(ports, None) or real_free_port())
    try:
        process, url = conftest.start_redis_server(tmp_path)
        try:
            assert f":{taken_port}/" not in url
            assert redis.Redis.from_url(url).ping()
            refused_log = (tmp_path / f"redis-{taken_port}.log").read_text()
            assert "Address already in use" in refused_log
        finally:
            process.terminate()
            process.wait(timeout=10)
    finally:
        taken.close()
