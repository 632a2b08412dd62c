"""32 password guessers against a real `socwall serve` (basic auth, 2 gevent workers) on
loopback, while a signed-in browser polls: /livez stays fast and the browser is never refused.
First every guess from one address (the bucket, then the tarpit), then each from a new address
forwarded by a trusted proxy (only the bounded pool of password checks holds that)."""

import base64
import http.client
import json
import multiprocessing
import os
import random
import statistics
import threading
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import Served, events_config
from tests.dash_requests import strip_poll_body

USER, PASSWORD = "alice", "a wall desk password"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def guess(port: int, seconds: float, spread: bool, counts) -> None:
    """One guesser: keep-alive connection, a new user name and password each time."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    end, rng = time.monotonic() + seconds, random.Random()
    while time.monotonic() < end:
        headers = {"Authorization": basic(f"user{rng.getrandbits(32)}", f"pw{rng.getrandbits(32)}")}
        if spread:
            headers["X-Forwarded-For"] = f"198.18.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        try:
            connection.request("GET", "/_dash-layout", headers=headers)
            response = connection.getresponse()
            response.read()
            counts[response.status] = counts.get(response.status, 0) + 1
        except OSError:
            counts["error"] = counts.get("error", 0) + 1
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)


def guessers(port: int, count: int, seconds: float, spread: bool, results) -> None:
    """`count` guessing threads in this process; their answers by status go to `results`."""
    counts: dict = {}
    threads = [threading.Thread(target=guess, args=(port, seconds, spread, counts))
               for _ in range(count)]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(counts)


class SignedIn:
    """A browser signed in once: its session cookie and credentials on every poll."""

    def __init__(self, port: int):
        self.address = ("127.0.0.1", port)
        self.connection = http.client.HTTPConnection(*self.address, timeout=30)
        self.headers = {"Authorization": basic(USER, PASSWORD), "Content-Type": "application/json"}
        response = self.get("/_dash-layout")
        cookie = response.getheader("Set-Cookie", "")
        assert response.status == 200 and "socwall_desk" in cookie, (response.status, cookie)
        self.headers["Cookie"] = cookie.split(";", 1)[0]

    def get(self, path: str, body: bytes | None = None):
        """One request; once more on a new connection when the server closed the idle one."""
        for attempt in (1, 2):
            try:
                self.connection.request("POST" if body else "GET", path, body, self.headers)
                response = self.connection.getresponse()
                response.read()
                return response
            except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
                if attempt == 2:
                    raise
                self.connection = http.client.HTTPConnection(*self.address, timeout=30)

    def poll(self) -> tuple[int, float]:
        start = time.perf_counter()
        status = self.get("/_dash-update-component", json.dumps(strip_poll_body()).encode()).status
        return status, time.perf_counter() - start


def sample(served: Served, user: SignedIn, seconds: float) -> dict[str, list]:
    """/livez every 0.1 s and the signed-in poll every 0.5 s, for `seconds`."""
    livez, polls, statuses = [], [], []
    probe = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    end, next_poll = time.monotonic() + seconds, 0.0
    while time.monotonic() < end:
        start = time.perf_counter()
        probe.request("GET", "/livez")
        probe.getresponse().read()
        livez.append(time.perf_counter() - start)
        if time.monotonic() >= next_poll:
            next_poll = time.monotonic() + 0.5
            status, took = user.poll()
            statuses.append(status)
            polls.append(took)
        time.sleep(0.1)
    return {"livez": livez, "polls": polls, "statuses": statuses}


def attack(served: Served, user: SignedIn, count: int, hold: float, spread: bool) -> dict:
    """The guessers for `hold` seconds while sampling; returns the samples and the answers."""
    results = multiprocessing.Queue()
    crowd = multiprocessing.Process(target=guessers, args=(served.port, count, hold, spread, results))
    logged = served.log().count("sign-in failed")
    crowd.start()
    time.sleep(0.5)  # let them start
    found = sample(served, user, hold - 1.0)
    counts = results.get(timeout=hold + 60)
    crowd.join()
    return {**found, "answers": counts, "hashes": served.log().count("sign-in failed") - logged}


def fastest_hash() -> float:
    """Seconds of one password check on this machine now (the fastest of five): the pool's
    bound on hashes per second is measured, not assumed."""
    from werkzeug.security import check_password_hash, generate_password_hash

    hashed = generate_password_hash(PASSWORD)
    times = []
    for _ in range(5):
        started = time.perf_counter()
        check_password_hash(hashed, "wrong")
        times.append(time.perf_counter() - started)
    return min(times)


def start_guarded(workdir: Path, redis_url: str, workers: int, spread: bool) -> Served:
    from werkzeug.security import generate_password_hash

    (workdir / "events").mkdir(exist_ok=True)
    raw = events_config(workdir / "events", redis_url, f"guess{os.getpid()}{int(spread)}")
    raw["access"] = {"auth": "basic", "basic": {"users": {USER: generate_password_hash(PASSWORD)}}}
    if spread:
        raw["access"]["trusted_proxies"] = ["127.0.0.1/32"]
    config = workdir / f"wall-{int(spread)}.yaml"
    config.write_text(yaml.safe_dump(raw))
    return Served(config, workdir / f"serve-{int(spread)}.log", "--workers", str(workers))



@pytest.mark.parametrize("spread", [False, True], ids=["one-address", "forwarded-addresses"])
def test_32_guessers_neither_slow_livez_nor_refuse_a_signed_in_browser(tmp_path, redis_url, spread):
    served = start_guarded(tmp_path, redis_url, 2, spread)
    try:
        user = SignedIn(served.port)
        during = attack(served, user, 32, 8.0, spread)
        assert statistics.median(during["livez"]) < 0.05, sorted(during["livez"])[-5:]
        assert during["statuses"] and set(during["statuses"]) == {200}  # every poll answered
        answers = during["answers"]
        assert sum(answers.values()) > 32 and "error" not in answers, answers
        if spread:  # no bucket holds a botnet: the pool does, a worker's check at a time
            most = 2 * (8.0 + 2.0) / fastest_hash() * 1.5  # 2 workers, one hash at a time each
            assert 2 <= during["hashes"] <= most, (during["hashes"], most)
        else:  # one address: what is left of its burst of 10 (the browser's sign-in took one)
            # and 6 a minute; every other guess waited 2 s for its 429
            assert 1 <= during["hashes"] <= 10 and set(answers) == {429}, (during["hashes"], answers)
            assert sum(answers.values()) <= 32 * 8.0 / 2 + 32
        assert "Traceback" not in served.log()
    finally:
        served.stop()
