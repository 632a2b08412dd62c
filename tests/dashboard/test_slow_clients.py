"""64 half-sent requests against a real `socwall serve`: every screen still gets its answers."""

import json
import socket
import time
import urllib.request

import yaml

from tests.conftest import Served, events_config
from tests.dash_requests import strip_poll_body

HALF_SENT = (
    b"POST /_dash-update-component HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Type: application/json\r\nContent-Length: 512\r\n"
)  # the headers never end: a slow or malicious client holding the connection


def open_half_sent(port: int, count: int) -> list[socket.socket]:
    """`count` connections to 127.0.0.1:port, each with a request that never finishes."""
    held = []
    for _ in range(count):
        connection = socket.create_connection(("127.0.0.1", port), timeout=5)
        connection.sendall(HALF_SENT)
        held.append(connection)
    return held


def timed(url: str, body: dict | None = None, timeout: float = 10.0) -> float:
    """Seconds until the whole answer arrived (raises on an error or after `timeout`)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()
    return time.perf_counter() - start


def test_livez_and_a_callback_answer_within_2s_while_64_clients_stall(tmp_path, redis_url, prefix):
    config = tmp_path / "wall.yaml"
    config.write_text(yaml.safe_dump(events_config(tmp_path, redis_url, prefix)))
    served = Served(config, tmp_path / "serve.log", "--workers", "2")
    held = []
    try:
        held = open_half_sent(served.port, 64)
        for _ in range(6):  # 3 s of polls, as screens would send them
            assert timed(served.url + "/livez", timeout=2) < 2
            assert timed(served.url + "/_dash-update-component", strip_poll_body(), 2) < 2
            time.sleep(0.5)
    finally:
        for connection in held:
            connection.close()
        served.stop()
