"""A real `socwall serve`: a changed file or SIGHUP reloads it; an invalid file leaves it up."""

import json
import os
import signal
from pathlib import Path

import yaml

from tests.conftest import Served, events_config
from tests.dash_requests import strip_poll_body, strip_texts
from tests.dashboard.test_leader import wait_for


def gunicorn_workers(arbiter_pid: int) -> list[int]:
    """The worker processes the gunicorn arbiter has forked (Linux /proc)."""
    children = Path(f"/proc/{arbiter_pid}/task/{arbiter_pid}/children").read_text()
    return [int(pid) for pid in children.split()]


def test_serve_reloads_a_changed_file_and_survives_an_invalid_one(tmp_path, redis_url, prefix):
    raw = events_config(tmp_path, redis_url, prefix)
    config = tmp_path / "wall.yaml"
    config.write_text(yaml.safe_dump(raw))
    served = Served(config, tmp_path / "serve.log", "--workers", "2")
    title = lambda: json.loads(served.get("/_dash-layout") or "{}")  # noqa: E731
    try:
        assert "Test wall" in json.dumps(title())
        raw["title"] = "Edited wall"
        config.write_text(yaml.safe_dump(raw))  # no signal: the file watch sees it
        wait_for(lambda: "Edited wall" in json.dumps(title()), 20, "the new title served")
        config.write_text("title: Broken\npages: [unclosed\n")
        served.process.send_signal(signal.SIGHUP)
        wait_for(lambda: "config reload refused" in served.log(), 10, "the refusal logged")

        def strip_says_refused():
            texts, _ = strip_texts(served.post("/_dash-update-component", strip_poll_body()))
            return [t for t in texts if "still running the last good config" in t]

        refused = wait_for(strip_says_refused, 20, "the refusal on the strip")
        assert refused[0].startswith("wall.yaml: not valid YAML:")
        assert "on line 3" in refused[0]
        assert served.process.poll() is None
        assert "Edited wall" in json.dumps(title()) and "Broken" not in json.dumps(title())
        problem = refused[0].removesuffix(" — still running the last good config")
        healthz = lambda: json.loads(served.get("/healthz"))["config"]["serve"]  # noqa: E731
        # an old worker may answer once more while it finishes: wait for the new ones
        wait_for(lambda: healthz()["config_problem"] == problem, 10, "the refusal in /healthz")
        workers = lambda: gunicorn_workers(served.process.pid)  # noqa: E731
        crashed = wait_for(lambda: len(workers()) == 2 and workers(), 10, "two workers")[0]
        os.kill(crashed, signal.SIGKILL)  # its replacement forks from the last good config
        wait_for(lambda: crashed not in workers() and len(workers()) == 2, 20, "a new worker")
        assert "Edited wall" in json.dumps(title()) and served.process.poll() is None
        raw["title"] = "Fixed wall"
        config.write_text(yaml.safe_dump(raw))
        wait_for(lambda: "Fixed wall" in json.dumps(title()), 20, "the fixed config served")
        wait_for(lambda: not strip_says_refused(), 20, "the refusal cleared")
    finally:
        served.stop()
