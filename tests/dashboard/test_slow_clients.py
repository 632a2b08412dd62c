"""64 half-sent requests against a real `socwall serve`: every screen still gets its answers."""

import json
import socket
import time
import urllib.request

import pytest
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


def polls(served: Served, rounds: int) -> list[float]:
    """Seconds of each /livez and callback answer over `rounds` rounds, 0.5 s apart as screens
    poll; a request held behind stalled clients raises after 30 s (URLError) and fails."""
    times = []
    for _ in range(rounds):
        times.append(timed(served.url + "/livez", timeout=30))
        times.append(timed(served.url + "/_dash-update-component", strip_poll_body(), 30))
        time.sleep(0.5)  # the pace of a screen, not a wait for anything
    return times


def test_livez_and_callbacks_answer_as_fast_as_before_while_64_clients_stall(tmp_path, redis_url,
                                                                             prefix):
    """Bounded relative to the same server's answers measured just before, in this test: a
    loaded 2-core machine slows both alike; a worker held by stalled clients would answer
    only when they give up (seconds, or never), far beyond the bound."""
    import statistics

    config = tmp_path / "wall.yaml"
    config.write_text(yaml.safe_dump(events_config(tmp_path, redis_url, prefix)))
    served = Served(config, tmp_path / "serve.log", "--workers", "2")
    held = []
    try:
        polls(served, 2)  # warm: the first callback builds the layout
        baseline = polls(served, 6)
        held = open_half_sent(served.port, 64)
        stalled = polls(served, 6)  # 3 s of polls, as screens would send them
        usual, worst = statistics.median(baseline), max(baseline)
        assert statistics.median(stalled) <= 5 * usual + 0.05, (baseline, stalled)
        assert max(stalled) <= 10 * worst + 0.1, (baseline, stalled)
    finally:
        for connection in held:
            connection.close()
        served.stop()


SLOW_BODIES = 2_100


def screen_cookie(served: Served, token: str) -> str:
    """The screen cookie `socwall serve` trades for the token (name=value)."""
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as connection:
        connection.sendall(f"GET /screen/lobby?token={token} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        head = connection.recv(4096).decode("latin-1")
    line = next(line for line in head.split("\r\n") if line.lower().startswith("set-cookie:"))
    return line.split(":", 1)[1].split(";", 1)[0].strip()


def open_slow_bodies(port: int, count: int, cookie: str) -> list[socket.socket]:
    """`count` callback requests whose headers are complete and whose 60 KB body has 1 byte."""
    head = (f"POST /_dash-update-component HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Cookie: {cookie}\r\nContent-Type: application/json\r\n"
            "Content-Length: 60000\r\n\r\n{").encode()  # fmt: skip
    held = []
    for _ in range(count):
        connection = socket.create_connection(("127.0.0.1", port), timeout=5)
        connection.sendall(head)
        held.append(connection)
    return held


def trickle(held: list[socket.socket]) -> int:
    """One more byte on every connection the server still reads; how many took it."""
    alive = 0
    for connection in held:
        try:
            connection.sendall(b" ")
            alive += 1
        except OSError:
            pass
    return alive


def answer_of(connection: socket.socket, timeout: float = 2) -> bytes:
    """The status line the server sent on a held connection, b"" when it just closed it."""
    connection.settimeout(timeout)
    try:
        return connection.recv(64).split(b"\r\n", 1)[0]
    except OSError:
        return b"no answer"


def test_2100_slow_bodies_of_a_screen_are_dropped_while_livez_answers(tmp_path, redis_url, prefix):
    import resource
    import statistics

    from tests.dashboard.test_access import TOKEN, raw_config

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < SLOW_BODIES + 500:
        pytest.skip(f"the hard limit of open files ({hard}) is below {SLOW_BODIES + 500}")
    if soft < SLOW_BODIES + 500:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, SLOW_BODIES + 500), hard))
    config = tmp_path / "wall.yaml"
    config.write_text(yaml.safe_dump(raw_config(tmp_path, redis_url, prefix)))
    served = Served(config, tmp_path / "serve.log", "--workers", "2")
    held = []
    try:
        cookie = screen_cookie(served, TOKEN)
        held = open_slow_bodies(served.port, SLOW_BODIES, cookie)
        start, livez, polls, last_trickle = time.monotonic(), [], [], time.monotonic()
        while time.monotonic() - start < 13:  # past the 10 s body deadline
            livez.append(timed(served.url + "/livez", timeout=8))
            if len(livez) % 4 == 0:  # a screen's poll, with the same cookie
                polls.append(timed_with_cookie(served.url, strip_poll_body(), cookie))
            if time.monotonic() - last_trickle >= 5:
                last_trickle = time.monotonic()
                trickle(held)  # a byte every 5 s: the body is never complete
            time.sleep(0.25)
        assert statistics.median(livez) < 0.05, livez
        assert max(livez) < 8 and max(polls) < 8  # each answered (the arrival costs a moment)
        time.sleep(1)
        answers = [answer_of(connection) for connection in held]
        late = [a for a in answers if not a.startswith(b"HTTP/1.1 408")]
        assert late == [], f"{len(late)} of {SLOW_BODIES} were not dropped with 408: {late[:3]}"
        assert served.log().count("dropped ") <= 4  # one line per 10 s, with the count
        assert "Traceback" not in served.log()
    finally:
        for connection in held:
            connection.close()
        served.stop()


def timed_with_cookie(url: str, body: dict, cookie: str, timeout: float = 8.0) -> float:
    """Seconds until a callback answered 200 for a screen holding `cookie`."""
    headers = {"Content-Type": "application/json", "Cookie": cookie}
    request = urllib.request.Request(url + "/_dash-update-component", json.dumps(body).encode(),
                                     headers)  # fmt: skip
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=timeout) as response:
        assert response.status == 200
        response.read()
    return time.perf_counter() - start


def test_the_first_bodies_a_fresh_worker_reads_at_once_are_answered(tmp_path, redis_url, prefix):
    """The body watchdog starts in the worker on first use; concurrent first bodies must not
    deadlock it (a lock held while its loop started once froze a gevent worker for good)."""
    config = tmp_path / "wall.yaml"
    config.write_text(yaml.safe_dump(events_config(tmp_path, redis_url, prefix)))
    served = Served(config, tmp_path / "serve.log", "--workers", "1")
    body = json.dumps(strip_poll_body()).encode()
    request = (b"POST /_dash-update-component HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
               b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
               ) % (len(body), body)  # fmt: skip
    try:
        connections = [socket.create_connection(("127.0.0.1", served.port), timeout=5)
                       for _ in range(64)]  # fmt: skip
        time.sleep(0.2)  # all accepted: the requests below arrive in one turn of the loop
        for connection in connections:
            connection.sendall(request)
        statuses = [answer_of(connection, timeout=5) for connection in connections]
        assert statuses == [b"HTTP/1.1 200 OK"] * 64
        assert timed(served.url + "/livez", timeout=2) < 2
    finally:
        served.stop()
