"""Redis beyond one server for the tests: a Sentinel over a master and a replica, and a Cluster."""

import shutil
import subprocess
import time
from pathlib import Path

import pytest
import redis

from tests.conftest import free_port, logged_or_exited, start_redis_server

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


def start_with_tls_port(workdir: Path, *extra: str) -> tuple[subprocess.Popen, str, int]:
    """start_redis_server with a TLS port too: (process, url, TLS port). The TLS port is picked
    here and bound later by the server; taken in between, the server is started again on
    another (start_redis_server retries only its own port)."""
    for attempt in range(3):
        tls_port = free_port()
        try:
            process, url = start_redis_server(workdir, *extra, "--tls-port", str(tls_port))
            return process, url, tls_port
        except pytest.fail.Exception as failure:
            if "Address already in use" not in str(failure) or attempt == 2:
                raise


def start_sentinel(workdir: Path, master_port: int, master_password: str, password: str,
                   tls: Path | None = None) -> tuple[subprocess.Popen, int]:  # fmt: skip
    """`redis-server --sentinel` watching the master: quorum 1, down after 1 s; with `tls` (a
    folder from `make_tls_files`) it answers TLS only and speaks TLS to the master."""
    for _attempt in range(3):  # a port taken before sentinel binds it: try another
        port = free_port()
        conf = workdir / "sentinel.conf"  # sentinel rewrites its file: it must be its own
        listen = f"port {port}\n"
        if tls:
            settings = [("port", 0), ("tls-port", port), *tls_settings(tls),
                        ("tls-replication", "yes")]  # fmt: skip
            listen = "".join(f"{name} {value}\n" for name, value in settings)
        conf.write_text(
            f"{listen}bind 127.0.0.1\ndir {workdir}\nrequirepass {password}\n"
            f"sentinel monitor {SERVICE} 127.0.0.1 {master_port} 1\n"
            f"sentinel auth-pass {SERVICE} {master_password}\n"
            f"sentinel down-after-milliseconds {SERVICE} 1000\n"
            f"sentinel failover-timeout {SERVICE} 3000\n"
        )
        log_path = workdir / f"sentinel-{port}.log"
        with open(log_path, "w") as log:
            process = subprocess.Popen([shutil.which("redis-server"), str(conf), "--sentinel"],
                                       stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        if logged_or_exited(process, log_path, "Sentinel ID"):
            break
    client = redis.Redis("127.0.0.1", port, password=password, ssl=tls is not None,
                         ssl_ca_certs=str(tls / "ca.crt") if tls else None)  # fmt: skip
    wait_for(client.ping, 10, f"redis sentinel on port {port} (its log: {log_path})")
    return process, port


def make_tls_files(folder: Path) -> Path:
    """A test CA and a server certificate for 127.0.0.1 signed by it (openssl, < 1 s)."""
    def openssl(*args: str) -> None:
        subprocess.run([shutil.which("openssl"), *args], cwd=folder, check=True,
                       capture_output=True, timeout=30)  # fmt: skip

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
            "ca.crt", "-days", "2", "-subj", "/CN=socwall test CA")  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out",
            "server.csr", "-subj", "/CN=127.0.0.1")  # fmt: skip
    (folder / "san.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-days",
            "2", "-CAcreateserial", "-out", "server.crt", "-extfile", "san.cnf")  # fmt: skip
    return folder


def tls_settings(tls: Path) -> list[tuple[str, str]]:
    """redis.conf settings: serve TLS with the test certificate; clients need no certificate."""
    return [("tls-cert-file", str(tls / "server.crt")), ("tls-key-file", str(tls / "server.key")),
            ("tls-ca-cert-file", str(tls / "ca.crt")), ("tls-auth-clients", "no")]  # fmt: skip


def start_cluster(workdir: Path, nodes: int = 3) -> tuple[list[subprocess.Popen], list[int]]:
    """A Redis Cluster of `nodes` primaries (no replicas) on free ports, slots all covered."""
    started: list[subprocess.Popen] = []
    try:  # a node that fails to start must not leave the others running
        ports = [_cluster_node(workdir / f"node{n}", started) for n in range(nodes)]
        created = subprocess.run(
            [shutil.which("redis-cli"), "--cluster", "create",
             *[f"127.0.0.1:{port}" for port in ports], "--cluster-yes"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert created.returncode == 0, f"redis-cli --cluster create: {created.stdout}"
        for port in ports:
            node = redis.Redis(port=port, decode_responses=True)
            wait_for(lambda n=node: n.cluster("info")["cluster_state"] == "ok", 15, f"node {port}")
    except BaseException:
        stop(started)
        raise
    return started, ports


def _cluster_node(folder: Path, started: list[subprocess.Popen]) -> int:
    folder.mkdir()
    process, url = start_redis_server(
        folder, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
        "--cluster-node-timeout", "2000", cluster_bus=True,
    )  # fmt: skip
    started.append(process)
    return port_of(url)


def port_of(url: str) -> int:
    """The port of a redis://host:port/db URL."""
    return int(url.rsplit(":", 1)[1].split("/")[0])


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        process.wait(timeout=10)
