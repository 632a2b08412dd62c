"""Redis beyond one server for the tests: a Sentinel over a master and a replica, and a Cluster."""

import shutil
import subprocess
import time
from pathlib import Path

import pytest
import redis

from tests.conftest import free_port, start_redis_server

SERVICE = "socwall-test"


def wait_for(condition, timeout: float, what: str):
    """The condition's first truthy value, polled every 0.05 s; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if value := condition():
                return value
        except redis.RedisError:
            pass  # a node still starting, or the one just killed
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def start_sentinel(workdir: Path, master_port: int, master_password: str,
                   password: str) -> tuple[subprocess.Popen, int]:  # fmt: skip
    """`redis-server --sentinel` watching the master: quorum 1, down after 1 s."""
    port = free_port()
    conf = workdir / "sentinel.conf"  # sentinel rewrites its file: it must be its own
    conf.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {workdir}\nrequirepass {password}\n"
        f"sentinel monitor {SERVICE} 127.0.0.1 {master_port} 1\n"
        f"sentinel auth-pass {SERVICE} {master_password}\n"
        f"sentinel down-after-milliseconds {SERVICE} 1000\n"
        f"sentinel failover-timeout {SERVICE} 3000\n"
    )
    process = subprocess.Popen(
        [shutil.which("redis-server"), str(conf), "--sentinel"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    client = redis.Redis(port=port, password=password)
    wait_for(client.ping, 10, f"redis sentinel on port {port}")
    return process, port


def start_cluster(workdir: Path, nodes: int = 3) -> tuple[list[subprocess.Popen], list[int]]:
    """A Redis Cluster of `nodes` primaries (no replicas) on free ports, slots all covered."""
    started = []
    for n in range(nodes):  # the bus port is given: port + 10000 may be past 65535
        folder = workdir / f"node{n}"
        folder.mkdir()
        started.append(
            start_redis_server(folder, "--cluster-enabled", "yes", "--cluster-config-file",
                               "nodes.conf", "--cluster-node-timeout", "2000",
                               "--cluster-port", str(free_port()))  # fmt: skip
        )
    processes = [process for process, _ in started]
    ports = [int(url.rsplit(":", 1)[1].split("/")[0]) for _, url in started]
    created = subprocess.run(
        [shutil.which("redis-cli"), "--cluster", "create",
         *[f"127.0.0.1:{port}" for port in ports], "--cluster-yes"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    if created.returncode != 0:
        stop(processes)
        pytest.fail(f"redis-cli --cluster create failed: {created.stdout} {created.stderr}")
    for port in ports:
        node = redis.Redis(port=port, decode_responses=True)
        wait_for(lambda n=node: n.cluster("info")["cluster_state"] == "ok", 15, f"cluster {port}")
    return processes, ports


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        process.wait(timeout=10)
