"""What the images are built from is pinned: base images by digest, every Python dependency by
version and hash (deploy/requirements.lock, made by `uv pip compile --universal` from
pyproject.toml), and the
compose file locks every container down. The build itself: tests/deploy/test_container.py."""

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "deploy" / "requirements.lock"
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def locked() -> dict[str, list[tuple[str, list[str]]]]:
    """name -> [(version, hashes)], read from the lock with a plain loop; a name may be pinned
    twice, under exclusive markers (numpy for Python 3.11 and for 3.12+)."""
    pins: dict[str, list[tuple[str, list[str]]]] = {}
    hashes: list[str] = []
    for line in LOCK.read_text().splitlines():
        pinned = re.match(r"^([A-Za-z0-9._-]+)==([^\s;]+)", line)
        if pinned:
            hashes = []
            pins.setdefault(canonicalize_name(pinned[1]), []).append((pinned[2], hashes))
        elif found := re.search(r"--hash=sha256:([0-9a-f]{64})", line):
            hashes.append(found[1])
    return pins


def test_every_dependency_and_the_build_backend_is_pinned_with_hashes():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pins = locked()
    wanted = project["project"]["dependencies"] + project["build-system"]["requires"]
    for text in wanted:
        requirement = Requirement(text)
        for version, _ in pins[canonicalize_name(requirement.name)]:
            assert requirement.specifier.contains(version, prereleases=True), (text, version)
    assert all(hashes for found in pins.values() for _, hashes in found)  # --require-hashes
    assert len(pins) > len(wanted)  # the dependencies of the dependencies too
    # marked for the Pythons that need it: Debian 12's python3 is 3.11.2, redis wants it there
    assert "async-timeout" in pins


def test_the_image_installs_from_the_lock_only_and_its_base_is_pinned():
    text = (ROOT / "deploy" / "Containerfile").read_text()
    base = re.search(r"^ARG BASE=(\S+)$", text, re.MULTILINE)[1]
    assert DIGEST.search(base), base
    assert "--require-hashes --no-deps" in text and "-r deploy/requirements.lock" in text
    assert "--no-deps --no-build-isolation ." in text  # socwall, by the locked setuptools


def test_compose_pins_redis_and_locks_every_container_down():
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    image = compose["services"]["redis"]["image"]
    redis_image = re.fullmatch(r"\$\{SOCWALL_REDIS_IMAGE:-(\S+)\}", image)
    assert DIGEST.search(redis_image[1])
    for name, service in compose["services"].items():
        assert service["cap_drop"] == ["ALL"], name
        assert service["read_only"] is True, name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert re.fullmatch(r"\d+g", service["deploy"]["resources"]["limits"]["memory"]), name
    assert '--requirepass "$$REDIS_PASSWORD"' in " ".join(compose["services"]["redis"]["command"])
    for name in ("serve", "worker"):
        assert compose["services"][name]["environment"]["SOCWALL_STORE__PASSWORD"] == (
            "$${REDIS_PASSWORD}"  # compose passes ${REDIS_PASSWORD}; socwall reads the env file's
        )
