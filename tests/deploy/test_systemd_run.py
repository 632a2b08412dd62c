"""deploy/*.service run for real under systemd 252 with their whole sandbox: a Debian bookworm
container booting systemd (podman --systemd=always), Redis with a password, the image's venv
at /opt/socwall, the units as shipped. The worker reads a log that only group adm may read,
serve answers, and neither process has a capability, new privileges or a free system call.

Skipped without podman, like tests/deploy/test_container.py, whose image (built once per
session: tests/deploy/conftest.py) it copies the venv from. The container is privileged so that
systemd inside it may set up namespaces and seccomp filters for the units; the units themselves
are what is checked."""

import json
import re
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from tests.deploy.podman import BASE, LIMITS, RUNTIME, needs_podman, podman

ROOT = Path(__file__).resolve().parents[2]
SYSTEMD_IMAGE = "localhost/socwall-systemd:ci"
PASSWORD = "systemd-redis-password-0123456789"
SETUP = f"""set -e
useradd --system --home-dir /var/lib/socwall --shell /usr/sbin/nologin socwall
install -d -m 0750 -g socwall /etc/socwall
install -d -m 0750 -g adm /var/log/soc
echo 'requirepass {PASSWORD}' >> /etc/redis/redis.conf
systemctl restart redis-server
printf 'REDIS_PASSWORD={PASSWORD}\\n' > /etc/socwall/env
chmod 0600 /etc/socwall/env
"""
CONFIG = {
    "title": "systemd wall",
    "store": {"url": "redis://127.0.0.1:6379/0", "password": "${REDIS_PASSWORD}"},
    "sources": {"events": {"type": "events", "path": "/var/log/soc/*.csv", "refresh": "5s",
                           "metrics": {"failed": {"filter": {"kind": "failed_login"}}}}},
    "pages": [{"id": "main", "title": "Main", "grid": {"columns": 1, "rows": 1}, "panels": [
        {"id": "failed", "widget": "metric_compare", "title": "Failed logins",
         "source": "events", "refresh": "5s", "at": [1, 1], "options": {"metric": "failed"}}]}],
}  # fmt: skip


@pytest.fixture(scope="module")
def systemd_image(image, tmp_path_factory) -> str:
    work = tmp_path_factory.mktemp("systemd")
    (work / "Containerfile").write_text(
        f"FROM {BASE}\n"
        "RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
        "--no-install-recommends systemd systemd-sysv redis-server && rm -rf /var/lib/apt/lists/*\n"
        f"COPY --from={image} /opt/socwall /opt/socwall\n"
    )
    podman(*RUNTIME, "build", "--network", "host", *LIMITS, "-t", SYSTEMD_IMAGE, str(work),
           timeout=900)  # fmt: skip
    return SYSTEMD_IMAGE


def inside(name: str, script: str, timeout: float = 60) -> str:
    return podman("exec", name, "sh", "-c", script, timeout=timeout).stdout


def metrics(name: str) -> dict[str, float]:
    """/metrics of serve inside the container, read with a plain regular expression."""
    done = subprocess.run(
        ["podman", "exec", name, "/opt/socwall/bin/python", "-c", "import urllib.request; print("
         "urllib.request.urlopen('http://127.0.0.1:8050/metrics', timeout=5).read().decode())"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    found = re.findall(r"^([a-z_]+(?:\{[^}]*\})?) (\S+)$", done.stdout, re.MULTILINE)
    return {key: float(value) for key, value in found}


@needs_podman
def test_the_units_run_under_systemd_with_their_sandbox(systemd_image, tmp_path):
    name = f"socwall-systemd-{uuid.uuid4().hex[:6]}"
    now = datetime.now(UTC)
    rows = [(now - timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M:%SZ,failed_login")
            for m in range(1, 120, 3)]  # fmt: skip
    (tmp_path / "a.csv").write_text("ts,kind\n" + "\n".join(rows) + "\n")
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(CONFIG))
    podman(*RUNTIME, "run", "-d", "--name", name, "--privileged", "--systemd=always",
           "--network", "none", *LIMITS, systemd_image, "/lib/systemd/systemd")  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while inside(name, "systemctl is-system-running || true").strip() not in (
            "running", "degraded"
        ):
            assert time.monotonic() < deadline, "systemd did not come up in the container"
            time.sleep(0.5)
        inside(name, SETUP)
        for unit in ("socwall-serve.service", "socwall-worker.service"):
            podman("cp", str(ROOT / "deploy" / unit), f"{name}:/etc/systemd/system/{unit}")
        podman("cp", str(tmp_path / "config.yaml"), f"{name}:/etc/socwall/config.yaml")
        podman("cp", str(tmp_path / "a.csv"), f"{name}:/var/log/soc/a.csv")
        inside(name, "chgrp socwall /etc/socwall/config.yaml && chmod 0640 /etc/socwall/config.yaml"
                     " && chgrp adm /var/log/soc/a.csv && chmod 0640 /var/log/soc/a.csv"
                     " && systemctl daemon-reload"
                     " && systemctl enable --now socwall-worker socwall-serve")  # fmt: skip
        read = 'socwall_source_records_read_total{source="events"}'
        deadline = time.monotonic() + 120
        while metrics(name).get('socwall_panel_up{panel="failed"}') != 1:
            assert time.monotonic() < deadline, inside(name, "journalctl -u 'socwall-*' | tail -40")
            time.sleep(1)
        got = metrics(name)
        assert got[read] == len(rows)  # the log only group adm reads: SupplementaryGroups=adm
        assert inside(name, "systemctl is-active socwall-worker socwall-serve").split() == [
            "active", "active"]  # fmt: skip
        scores = inside(name, "systemd-analyze security --no-pager socwall-serve socwall-worker")
        rated = re.findall(r"socwall-(\w+)\.service\s+(\d+\.\d)\s+(\w+)", scores)
        assert sorted(unit for unit, _, _ in rated) == ["serve", "worker"], scores
        assert all(float(score) <= 3.0 and word == "OK" for _, score, word in rated), scores
        for unit in ("socwall-worker", "socwall-serve"):
            status = inside(name, f"cat /proc/$(systemctl show -p MainPID --value {unit})/status")
            fields = dict(re.findall(r"^(\w+):\s+(\S+)", status, re.MULTILINE))
            assert int(fields["CapEff"], 16) == 0 and fields["NoNewPrivs"] == "1", unit
            assert fields["Seccomp"] == "2", unit  # a system call filter is in force
        warned = inside(name, "journalctl -u socwall-worker -u socwall-serve -p warning -q "
                              "--no-pager || true")  # fmt: skip
        assert not warned.strip(), warned
        beat = json.loads(inside(name, "cat /run/socwall/worker.json"))
        assert beat["leader"] is True  # RuntimeDirectory= gave the worker /run/socwall
    finally:
        subprocess.run(["podman", "rm", "-f", "-t", "5", name], capture_output=True, timeout=60)
