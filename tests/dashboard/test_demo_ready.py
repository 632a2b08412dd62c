"""`socwall demo` says on its console when the wall is ready, and the count it gives is true."""

import json
import queue
import re
import socket
import subprocess
import sys
import threading
import urllib.request
from importlib import resources

import yaml

LINE = re.compile(
    r"wall (?P<state>ready|not ready): (?P<filled>\d+) of (?P<total>\d+) panels filled "
    r"\((?P<seconds>[\d.]+) s\) at (?P<url>http://[\d.]+:\d+)(?:; still empty: (?P<empty>.*))?$"
)
NOW = "2026-03-30T08:30:00Z"  # the demo_wall fixture's moment: the same generated story


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def shipped_panels() -> list[str]:
    raw = yaml.safe_load(resources.files("socwall").joinpath("config.yaml").read_text())
    return [panel["id"] for page in raw["pages"] for panel in page["panels"]]


def console_lines(process: subprocess.Popen) -> queue.Queue:
    """The demo's stdout, line by line, as it comes (None at its end)."""
    lines: queue.Queue = queue.Queue()

    def read():
        for text in process.stdout:
            lines.put(text.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return lines


def next_ready_line(lines: queue.Queue, timeout: float = 600) -> re.Match:
    while (text := lines.get(timeout=timeout)) is not None:
        if found := LINE.search(text):
            return found
    raise AssertionError("the demo ended without a ready line")


def test_demo_says_when_every_panel_is_filled_and_which_are_not_before(tmp_path):
    port = free_port()
    demo = subprocess.Popen(
        [sys.executable, "-m", "socwall.dashboard.cli", "demo", "--port", str(port),
         "--data-dir", str(tmp_path), "--now", NOW, "--ready-deadline", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        lines = console_lines(demo)
        panels = shipped_panels()
        # past the deadline (0 s here): a count of what is filled, and the names of the rest
        early = next_ready_line(lines)
        assert early["state"] == "not ready"
        empty = early["empty"].split(", ")
        assert set(empty) <= set(panels) and len(empty) == len(set(empty))
        assert int(early["filled"]) + len(empty) == int(early["total"]) == len(panels)
        # then the line the README shows, once every panel is filled
        ready = next_ready_line(lines)
        assert ready["state"] == "ready" and ready["empty"] is None
        assert int(ready["filled"]) == int(ready["total"]) == len(panels)
        assert float(ready["seconds"]) >= float(early["seconds"])
        assert ready["url"] == f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{ready['url']}/healthz", timeout=30) as answer:
            report = json.load(answer)
        assert sorted(report["panels"]) == sorted(panels)
        unfilled = [pid for pid, p in report["panels"].items() if p["last_success"] is None]
        assert unfilled == []
    finally:
        demo.terminate()
        demo.wait(timeout=60)
