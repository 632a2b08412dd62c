"""Two worker processes against a real redis-server: one leads; if it dies, the other takes over."""

import json
import os
import signal
import subprocess
import sys
import time

import redis
import yaml

from tests.conftest import events_config
from tests.dashboard.test_jobs import write_events


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_one_leader_and_failover_within_one_lock_period(tmp_path, redis_url, prefix):
    data = tmp_path / "events"
    data.mkdir()
    write_events(data, [5, 30])
    config = tmp_path / "wall.yaml"
    config.write_text(yaml.safe_dump(events_config(data, redis_url, prefix)))  # lock_ttl: 2s
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    leader_key = f"{prefix}:leader"
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "socwall.dashboard.cli", "worker", "--config", str(config),
             "--heartbeat-file", str(tmp_path / f"beat{i}.json")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for i in range(2)
    ]
    try:
        first = wait_for(lambda: client.get(leader_key), 20, "a leader")
        pids = {p.pid for p in workers}
        wait_for(lambda: len(client.keys(f"{prefix}:worker:*")) == 2, 10, "both heartbeats")
        beats = [json.loads(client.get(k)) for k in client.keys(f"{prefix}:worker:*")]
        assert sorted(b["leader"] for b in beats) == [False, True]
        files = [tmp_path / f"beat{i}.json" for i in range(2)]
        wait_for(lambda: all(f.exists() for f in files), 10, "heartbeat files")
        assert [json.loads(f.read_text())["pid"] for f in files] == [p.pid for p in workers]
        wait_for(
            lambda: _panel_worker(client, prefix) == first, 20, "panels computed by the leader"
        )

        leader_pid = int(first.rsplit(":", 1)[1])
        assert leader_pid in pids
        os.kill(leader_pid, signal.SIGKILL)
        killed_at = time.monotonic()
        second = wait_for(
            lambda: (v := client.get(leader_key)) and v != first and v, 10, "a new leader"
        )
        took = time.monotonic() - killed_at
        assert int(second.rsplit(":", 1)[1]) in pids - {leader_pid}
        dead_file = files[[p.pid for p in workers].index(leader_pid)]
        live_file = files[1 - files.index(dead_file)]
        dead_at, live_at = dead_file.stat().st_mtime, live_file.stat().st_mtime
        wait_for(lambda: live_file.stat().st_mtime > live_at, 5, "the survivor's heartbeat")
        assert dead_file.stat().st_mtime == dead_at  # a probe on the file's age sees the death
        assert json.loads(live_file.read_text())["leader"] is True
        # the lock expires at most lock_ttl after the kill; the standby looks every 0.25 s
        assert took < 2 + 0.25 + 0.2, f"failover took {took:.2f}s, lock period is 2s"
        wait_for(
            lambda: _panel_worker(client, prefix) == second, 10, "panels computed by the new leader"
        )
    finally:
        for process in workers:
            process.kill()
            process.wait(timeout=10)


def _panel_worker(client, prefix) -> str | None:
    meta = client.hget(f"{prefix}:panel:failed", "meta")
    return json.loads(meta).get("worker") if meta else None
