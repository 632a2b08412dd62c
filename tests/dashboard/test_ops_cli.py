"""The command and the web app where operators trip: a closed pipe, a typo in a kiosk URL."""

import re
import subprocess
import sys
from pathlib import Path

from socwall.dashboard.app import create_app
from socwall.dashboard.clock import Clock
from socwall.dashboard.config import parse_config
from tests.conftest import events_config

SOCWALL = Path(sys.executable).with_name("socwall")


def test_schema_into_head_is_quiet():
    done = subprocess.run(f"'{SOCWALL}' schema | head -n 2", shell=True, capture_output=True,
                          text=True, timeout=60, executable="/bin/bash")  # fmt: skip
    assert done.stdout.splitlines() == ["{", '  "$defs": {']
    assert done.stderr == ""  # once a BrokenPipeError traceback
    status = subprocess.run(f"set -o pipefail; '{SOCWALL}' schema | head -n 1 >/dev/null",
                            shell=True, executable="/bin/bash", timeout=60)  # fmt: skip
    assert status.returncode == 141  # as for any command whose reader left early


def pages_linked(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', html)


def test_an_unknown_path_is_a_404_that_lists_the_pages(tmp_path, redis_url, prefix, store):
    raw = events_config(tmp_path, redis_url, prefix)
    raw["screens"] = {"lobby": {"pages": ["second"], "token": "lobby-token-0123456789abcdef"}}
    client = create_app(parse_config(raw), store, Clock()).server.test_client()
    for known in ("/", "/main", "/second/", "/main?kiosk=1"):
        answer = client.get(known)
        assert answer.status_code == 200 and b'id="react-entry-point"' in answer.data, known
    typo = client.get("/netwrok")
    assert typo.status_code == 404 and typo.mimetype == "text/html"
    html = typo.get_data(as_text=True)
    assert "This wall has no page at /netwrok. Its pages are:" in html
    assert pages_linked(html) == [("/main", "Main"), ("/second", "Second")]
    assert client.get("/main/extra").status_code == 404
    escaped = client.get("/<script>x").get_data(as_text=True)
    assert "<script>x" not in escaped and "&lt;script&gt;x" in escaped  # the path is text
    client.get("/screen/lobby?token=lobby-token-0123456789abcdef")  # the cookie for the screen
    assert client.get("/screen/lobby/second").status_code == 200
    wrong = client.get("/screen/lobby/main")  # a page of the wall, not of this screen
    assert wrong.status_code == 404
    assert pages_linked(wrong.get_data(as_text=True)) == [("/screen/lobby/second", "Second")]
