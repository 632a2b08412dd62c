"""The shipped demo wall (config.yaml, every page) over its generated data at a fixed moment,
computed once into a real Redis and served by `socwall serve`: what `socwall demo --now
2026-03-30T08:30:00Z` shows, frozen, for the tests that read the wall's message. The session
computes it once (the `computed_demo` fixture); each module serves a copy of its keys."""

import socket
from datetime import UTC, datetime
from pathlib import Path

import yaml

from socwall.dashboard.clock import Clock
from socwall.dashboard.config import load_config
from socwall.dashboard.demo.context import LocalServices, seed_probe_history
from socwall.dashboard.demo.run import start_demo_data
from socwall.dashboard.demo.sensors import start_demo_sensors
from socwall.dashboard.jobs import run_all_once
from socwall.dashboard.store import Store
from tests.browser.live_wall import LiveWall, jobs_client

ROOT = Path(__file__).resolve().parents[2]
DEMO_NOW = datetime(2026, 3, 30, 8, 30, tzinfo=UTC)  # Monday 10:30 in Berlin, the day after DST
LINKS = {"host": "https://siem.example/app/discover#/?query=host.ip:{ip}",
         "user": "https://siem.example/app/discover#/?query=user.name:{user}",
         "cve": "https://nvd.nist.gov/vuln/detail/{cve}"}  # fmt: skip


def closed_port() -> int:
    """A port nothing listens on (db-02's, down in the story)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def demo_wall(computed: Path, prefix: str, links: bool = False, **extra) -> LiveWall:
    """The demo that demo_computed() saved at `computed`, served from a copy of its keys under
    `prefix` (what a module writes stays its own), with `links` and `extra` top-level config
    sections (screens, access, visitor; `web` is merged) added to the demo's."""
    raw = yaml.safe_load(computed.read_text())
    store = raw["store"]
    source = Store(jobs_client(store["url"]), store["prefix"])
    raw = with_extras({**raw, "store": {**store, "prefix": prefix}}, links, extra)
    return LiveWall.copied(raw, computed.with_name(f"{prefix}.yaml"), source)


def with_extras(raw: dict, links: bool, extra: dict) -> dict:
    """The demo config with the LINKS templates (or none) and `extra` sections added."""
    raw = {**raw, **{key: {**raw[key], **value} if key == "web" else value
                     for key, value in extra.items()}}  # fmt: skip
    if links:
        return {**raw, "links": LINKS}
    return {key: value for key, value in raw.items() if key != "links"}


def demo_computed(redis_url: str, directory: Path, prefix: str, links: bool = False, **extra):
    """(config, its path, Store, LocalServices): the demo's every job run once at DEMO_NOW,
    nothing served."""
    services = LocalServices(0, 0)
    text = ((ROOT / "config.yaml").read_text()
            .replace("127.0.0.1:18080", f"127.0.0.1:{services.http_port}")
            .replace("127.0.0.1:18081", f"127.0.0.1:{services.tcp_port}")
            .replace("127.0.0.1:18079", f"127.0.0.1:{closed_port()}"))  # fmt: skip
    raw = yaml.safe_load(text)
    raw["now"] = DEMO_NOW.isoformat()
    raw["store"] = {"url": redis_url, "prefix": prefix}
    raw["web"] = {**raw["web"], "poll": "1s", "rotate": None}
    raw = with_extras(raw, links, extra)
    for page in raw["pages"]:
        for panel in page["panels"]:
            panel["refresh"] = "1h"
    path = directory / "wall.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    config = load_config(path)
    clock = Clock(DEMO_NOW, frozen=True)
    start_demo_data(directory / "demo-data", config, clock, seed=7)
    store = Store(jobs_client(redis_url), prefix)
    probe = config.sources["probe"]
    seed_probe_history(store, "probe", DEMO_NOW, [t.name for t in probe.targets])
    start_demo_sensors(store, directory / "demo-data", config, clock, seed=7)
    run_all_once(config, store, clock)
    return config, path, store, services
