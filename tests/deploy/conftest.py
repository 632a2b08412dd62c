"""The socwall image, built once per session for every deploy test that runs it."""

import pytest

from tests.deploy.podman import build_image


@pytest.fixture(scope="session")
def image(tmp_path_factory) -> str:
    """deploy/Containerfile's image (tests/deploy/podman.py): test_container.py and
    test_systemd_run.py run it; a second build would redo the socwall layers (the build
    context changes during a run: .hypothesis)."""
    return build_image(tmp_path_factory)
