"""Live connections run only on the leader, write through its fence, stop when it loses the
lead or reloads, and one that fails is started again."""

import threading
import time
from datetime import timedelta

import pytest
import redis

from socwall.dashboard.clock import Clock
from socwall.dashboard.config import parse_config
from socwall.dashboard.demo.chat_servers import LocalIrc
from socwall.dashboard.leader import Leader
from socwall.dashboard.live import LiveSources
from socwall.dashboard.scheduler import run_worker
from socwall.feeds import chat
from tests.feeds.chat_live import stored, wait_until


@pytest.fixture
def irc():
    server = LocalIrc()
    yield server
    server.close()


def wall(irc, redis_url, prefix):
    return parse_config({
        "store": {"url": redis_url, "prefix": prefix}, "scheduler": {"lock_ttl": "2s"},
        "sources": {"chatter": {"type": "chat", "irc": [
            {"name": "local", "host": "127.0.0.1", "port": irc.port, "tls": False,
             "channels": ["#soc"], "reconnect": "1s"}]}},
        "pages": [{"id": "p", "title": "P", "panels": [{"id": "talk", "widget": "chatter",
                   "title": "Chatter", "source": "chatter", "at": [1, 1]}]}]})  # fmt: skip


def test_a_worker_that_lost_the_lead_stores_nothing_more_and_stops(irc, store, redis_url):
    config = wall(irc, redis_url, store.keys.prefix)
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    first = Leader(client, store.keys, timedelta(seconds=30), "worker-a")
    assert first.tick()
    live = LiveSources(config, store, Clock())
    live.follow(first.is_leader, first.fence)
    try:
        wait_until(lambda: irc.joined("#soc"), what="joined")
        irc.say("alice", "#soc", "CVE-2024-3400 before the takeover")
        wait_until(lambda: len(stored(store)) == 1, what="1 line")
        client.delete(store.keys.leader())  # worker-a paused past its lock: worker-b takes over
        second = Leader(client, store.keys, timedelta(seconds=30), "worker-b")
        assert second.tick() and second.epoch == first.epoch + 1
        irc.say("alice", "#soc", "said after the takeover")  # worker-a still hears it
        wait_until(lambda: not any(t.is_alive() for t, _ in live.threads), what="a's thread ends")
        assert [r["text"] for r in stored(store)] == ["CVE-2024-3400 before the takeover"]
        assert not first.tick()
        live.follow(first.is_leader, first.fence)
        assert live.threads == [] and not live.running
    finally:
        live.stop()


def test_run_worker_starts_them_while_leading_and_stops_them_when_it_returns(irc, store, redis_url):
    config = wall(irc, redis_url, store.keys.prefix)
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    leader = Leader(client, store.keys, config.scheduler.lock_ttl, "worker-a")
    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(config, store, Clock(), leader, stop))
    worker.start()
    try:
        wait_until(lambda: irc.joined("#soc"), what="joined while leading")
        irc.say("bob", "#soc", "hello from the leader's listener")
        wait_until(lambda: len(stored(store)) == 1, what="stored")
    finally:
        stop.set()  # a reload or an exit: run_worker returns
        worker.join(15)
    assert not worker.is_alive()
    wait_until(lambda: irc.joined("#soc") == 0, what="left #soc")
    assert any(line.startswith(b"QUIT") for line in irc.heard)
    assert not [t for t in threading.enumerate() if t.name.startswith("live:")]


def test_a_connection_that_raises_is_started_again(monkeypatch, store, irc, redis_url):
    calls = []

    def flaky(config, source_id, store_, clock):
        def run(stop):
            calls.append(time.monotonic())
            if len(calls) == 1:
                raise RuntimeError("a bug")
            stop.wait()

        return [("flaky", run)]

    monkeypatch.setattr(chat, "live", flaky)
    monkeypatch.setattr("socwall.dashboard.live.RESTART_AFTER", 0.2)
    live = LiveSources(wall(irc, redis_url, store.keys.prefix), store, Clock())
    live.start()
    try:
        wait_until(lambda: len(calls) == 2, what="started again")
    finally:
        live.stop()
    assert calls[1] - calls[0] >= 0.2
