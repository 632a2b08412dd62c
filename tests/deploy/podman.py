"""podman for the deploy tests: the image of deploy/Containerfile, built on a Debian bookworm
root made with debootstrap (no container registry is reachable from CI); runc where installed
(crun refuses this machine's hybrid cgroup layout)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASE = "localhost/socwall-base:bookworm"
IMAGE = "localhost/socwall:ci"
RUNTIME = ["--runtime", "runc"] if shutil.which("runc") else []
LIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]  # under hard limits
needs_podman = pytest.mark.skipif(shutil.which("podman") is None, reason="no podman here")


def podman(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    done = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"podman {' '.join(args[:3])}: {done.stderr[-2000:]}"
    return done


def build_image(tmp_path_factory) -> str:
    """deploy/Containerfile built as IMAGE on BASE (made with debootstrap and imported first
    when podman does not have it)."""
    if subprocess.run(["podman", "image", "exists", BASE]).returncode != 0:
        if shutil.which("debootstrap") is None:
            pytest.fail("the container test needs debootstrap (apt-get install debootstrap)")
        root = tmp_path_factory.mktemp("bookworm")
        subprocess.run(["debootstrap", "--variant=minbase", "--include=python3,python3-venv",
                        "bookworm", str(root), "http://deb.debian.org/debian"],
                       check=True, capture_output=True, timeout=900)  # fmt: skip
        tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
        subprocess.run(["podman", "import", "-", BASE], stdin=tar.stdout, check=True,
                       capture_output=True, timeout=300)  # fmt: skip
        tar.wait()
    mounts = []
    for shared in ("/etc/ssl/certs", "/etc/pip.conf"):  # this machine's way to PyPI, build only
        if os.path.exists(shared):
            mounts += ["-v", f"{shared}:{shared}:ro"]
    podman(*RUNTIME, "build", "--format", "docker", "--network", "host", *LIMITS, *mounts,
           "--build-arg", f"BASE={BASE}", "-f", "deploy/Containerfile", "-t", IMAGE, str(ROOT),
           timeout=900)  # fmt: skip
    return IMAGE
