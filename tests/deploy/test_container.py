"""deploy/Containerfile builds an image whose `serve` and `worker` run a wall from a real Redis.

Needs podman (skipped without it). No container registry is reachable from CI, so the base
image is a Debian bookworm root made with debootstrap from Debian's package mirror and
imported once (the Containerfile's BASE argument); pip inside the build uses this machine's
CA bundle and pip.conf, mounted for the build only. runc is used where installed: crun refuses
this machine's hybrid cgroup layout.
"""

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
import yaml

from socwall.dashboard.config import parse_config
from socwall.dashboard.demo.events import DemoData
from socwall.dashboard.store import Store
from tests.conftest import events_config, free_port, start_redis_server
from tests.dash_requests import panel_poll_body
from tests.deploy.podman import BASE, LIMITS, RUNTIME, needs_podman, podman

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def wall_files(tmp_path):
    """A config over generated events, readable by the image's unprivileged user."""
    server, url = start_redis_server(tmp_path, "--appendonly", "yes")
    data_dir = tmp_path / "wall"
    data_dir.mkdir()
    raw = events_config(data_dir, url, f"ctr{uuid.uuid4().hex[:8]}")
    DemoData(data_dir, parse_config(raw).tz, seed=5, anchor=datetime.now(UTC)).write_until(
        datetime.now(UTC)
    )
    (data_dir / "wall.yaml").write_text(yaml.safe_dump(raw))
    for path in [data_dir, *data_dir.iterdir()]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    yield data_dir, raw
    server.terminate()
    server.wait(timeout=10)


def start(image: str, name: str, data_dir: Path, *command: str) -> None:
    podman(*RUNTIME, "run", "-d", "--rm", "--name", name, "--network", "host", *LIMITS,
           "-v", f"{data_dir}:{data_dir}:ro", "-e", f"SOCWALL_CONFIG={data_dir / 'wall.yaml'}",
           image, *command)  # fmt: skip


def until(condition, seconds: float, what: str, logs_of: list[str]):
    deadline = time.monotonic() + seconds
    while not (result := condition()):
        if time.monotonic() > deadline:
            logs = {n: subprocess.run(["podman", "logs", n], capture_output=True, text=True)
                    for n in logs_of}  # fmt: skip
            shown = "; ".join(f"{n}: {d.stdout[-800:]}{d.stderr[-800:]}" for n, d in logs.items())
            pytest.fail(f"{what} within {seconds} s; logs: {shown}")
        time.sleep(0.5)
    return result


def get(url: str, body: dict | None = None) -> tuple[int, bytes] | None:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return None


@needs_podman
def test_image_runs_worker_and_serve_against_redis(image, wall_files):
    data_dir, raw = wall_files
    suffix = uuid.uuid4().hex[:6]
    worker, serve, port = f"socwall-worker-{suffix}", f"socwall-serve-{suffix}", free_port()
    store = Store(redis.Redis.from_url(raw["store"]["url"], decode_responses=True),
                  raw["store"]["prefix"])  # fmt: skip
    try:
        start(image, worker, data_dir, "socwall", "worker", "--heartbeat-file", "/tmp/hb.json")
        start(image, serve, data_dir, "socwall", "serve", "--host", "127.0.0.1",
              "--port", str(port))  # fmt: skip
        names = [worker, serve]

        def panel_done():
            meta = store.panel_meta("failed") or {}
            return meta if meta.get("status") == "ok" else None

        meta = until(panel_done, 120, "the worker's first panel", names)
        assert meta["version"]
        base = f"http://127.0.0.1:{port}"
        until(lambda: (get(f"{base}/livez") or (0,))[0] == 200, 60, "serve's /livez", names)
        status, layout = get(f"{base}/_dash-layout")
        assert status == 200 and b'"wall"' in layout
        status, answer = get(f"{base}/_dash-update-component", panel_poll_body("failed", None))
        assert status == 200
        parts = {json.loads(k)["type"]: v for k, v in json.loads(answer)["response"].items()}
        # the figure was sent: the version it was drawn from (the worker may have refreshed the
        # panel since `meta` was read), at scale 1.0, not at the desk
        versions = {meta["version"], store.panel_meta("failed")["version"]}
        sent, scale, desk, _ = parts["panel-version"]["data"].split("@", 3)
        assert sent in versions and (scale, desk) == ("1.0", "False"), (sent, versions)
        for name in names:  # the image's own user, not root
            assert podman("exec", name, "id", "-u").stdout.strip() == "10001"
        beat = json.loads(podman("exec", worker, "cat", "/tmp/hb.json").stdout)
        assert beat["leader"] is True
    finally:
        for name in (worker, serve):
            subprocess.run(["podman", "rm", "-f", "-t", "5", name], capture_output=True, timeout=60)


REDIS_IMAGE = "localhost/socwall-redis:ci"
# Debian's redis-server in place of docker.io/library/redis:7, which cannot be pulled here
REDIS_CONTAINERFILE = """ARG BASE
FROM ${BASE}
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \\
    --no-install-recommends redis-server && rm -rf /var/lib/apt/lists/*
RUN mkdir -p /data && chown redis:redis /data
USER redis
WORKDIR /data
"""
COMPOSE_LOBBY_TOKEN = "compose-lobby-token-0123456789"
COMPOSE_REDIS_PASSWORD = "compose-redis-password-0123456789"
MEMORY = {"redis": 1 << 30, "worker": 2 << 30, "serve": 1 << 30}  # deploy/compose.yaml's limits


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


needs_compose = pytest.mark.skipif(shutil.which("podman-compose") is None,
                                   reason="no podman-compose here")  # fmt: skip


@pytest.fixture
def redis_image(image, tmp_path) -> str:
    (tmp_path / "Containerfile").write_text(REDIS_CONTAINERFILE)
    podman(*RUNTIME, "build", "--network", "host", *LIMITS, "--build-arg", f"BASE={BASE}",
           "-t", REDIS_IMAGE, str(tmp_path), timeout=600)  # fmt: skip
    return REDIS_IMAGE


@pytest.fixture
def compose_files(tmp_path):
    """Demo events under /data as the containers see them; the store URL comes from compose."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    raw = events_config(Path("/data"), "redis://unused:6379/0", f"compose{uuid.uuid4().hex[:6]}")
    DemoData(data_dir, parse_config(raw).tz, seed=5, anchor=datetime.now(UTC)).write_until(
        datetime.now(UTC)
    )
    raw["screens"] = {"lobby": {"pages": ["main"], "token": "${LOBBY_TOKEN}"}}  # from env_file
    config_file = tmp_path / "wall.yaml"
    config_file.write_text(yaml.safe_dump(raw))
    for path in [tmp_path, config_file, data_dir, *data_dir.iterdir()]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    # this machine's hard limits are below podman's defaults: runc cannot raise them
    containers_conf = tmp_path / "containers.conf"
    limits = '"nofile=1024:1024", "nproc=1024:1024"'
    containers_conf.write_text(f"[containers]\ndefault_ulimits = [{limits}]\n")
    env_file = tmp_path / "socwall.env"
    env_file.write_text(f"LOBBY_TOKEN={COMPOSE_LOBBY_TOKEN}\nREDIS_PASSWORD={COMPOSE_REDIS_PASSWORD}\n")
    return config_file, data_dir, containers_conf, env_file


@needs_podman
@needs_compose
def test_compose_runs_serve_worker_and_redis_with_aof(image, redis_image, compose_files):
    config_file, data_dir, containers_conf, env_file = compose_files
    project, port = f"socwall{uuid.uuid4().hex[:6]}", free_port()
    env = {**os.environ, "SOCWALL_IMAGE": image, "SOCWALL_REDIS_IMAGE": redis_image,
           "SOCWALL_CONFIG_FILE": str(config_file), "SOCWALL_DATA_DIR": str(data_dir),
           "SOCWALL_PORT": str(port), "CONTAINERS_CONF": str(containers_conf),
           "SOCWALL_ENV_FILE": str(env_file)}  # fmt: skip
    compose = ["podman-compose", "-p", project, "-f", str(ROOT / "deploy" / "compose.yaml")]
    names = [f"{project}_{service}_1" for service in ("redis", "worker", "serve")]
    try:
        up = subprocess.run([*compose, "up", "-d"], env=env, capture_output=True, text=True,
                            timeout=300)  # fmt: skip
        assert up.returncode == 0, up.stdout[-2000:] + up.stderr[-2000:]
        states = [podman("inspect", "-f", "{{.State.Status}}", n).stdout.strip() for n in names]
        # podman-compose 1.0.3 exits 0 even when no container could start
        assert states == ["running"] * 3, f"{states}: {up.stdout[-1500:]}{up.stderr[-1500:]}"
        base = f"http://127.0.0.1:{port}"

        def panel_sent():
            answer = get(f"{base}/_dash-update-component", panel_poll_body("failed", None))
            return answer if answer and answer[0] == 200 and b"figure" in answer[1] else None

        until(panel_sent, 180, "the worker's panel through serve", names)
        status, ready = get(f"{base}/readyz")
        assert status == 200, ready
        screen = urllib.request.Request(f"{base}/screen/lobby?token={COMPOSE_LOBBY_TOKEN}")
        with pytest.raises(urllib.error.HTTPError) as redirect:  # 303: the env_file's token
            urllib.request.build_opener(NoRedirect).open(screen, timeout=5)
        assert redirect.value.code == 303
        # Redis answers only with the env file's password, which serve and worker used above
        assert podman("exec", names[0], "redis-cli", "ping").stdout.startswith("NOAUTH")
        auth = ("-e", f"REDISCLI_AUTH={COMPOSE_REDIS_PASSWORD}")
        assert podman("exec", *auth, names[0], "redis-cli", "ping").stdout.strip() == "PONG"
        appendonly = podman("exec", *auth, names[0], "redis-cli", "config", "get",
                            "appendonly").stdout  # fmt: skip
        assert appendonly.split() == ["appendonly", "yes"]
        assert podman("exec", names[0], "ls", "/data").stdout.strip()  # the AOF is on the volume
        for name in names[1:]:
            assert podman("exec", name, "id", "-u").stdout.strip() == "10001"
        for name, service in zip(names, MEMORY, strict=True):  # locked down, each of them
            host = json.loads(podman("inspect", name).stdout)[0]["HostConfig"]
            assert host["ReadonlyRootfs"] is True and host["Memory"] == MEMORY[service], name
            status = podman("exec", name, "cat", "/proc/1/status").stdout
            caps = dict(line.split(":\t") for line in status.splitlines() if line.startswith("Cap"))
            assert int(caps["CapEff"], 16) == int(caps["CapBnd"], 16) == 0, (name, caps)
            touch = subprocess.run(["podman", "exec", name, "touch", "/probe"],
                                   capture_output=True, text=True, timeout=60)  # fmt: skip
            assert touch.returncode != 0 and "Read-only file system" in touch.stderr, name
    finally:
        subprocess.run([*compose, "down", "-v"], env=env, capture_output=True, timeout=300)
