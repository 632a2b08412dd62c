"""Every panel's payload of `socwall demo --now 2026-03-30T08:30:00Z`, computed in process with
a frozen clock (so that nothing moves with the wall clock: the chatter's times, the sensors'
lags), written as one JSON file: the check that a faster start shows the same wall.

Run it on two trees and compare the files byte for byte:
    cd /tmp && PYTHONPATH=<old tree as a socwall package> python bench/demo_payloads.py old.json
    cd /tmp && python /path/to/bench/demo_payloads.py new.json && cmp old.json new.json
(run from outside the repository: its socwall/ folder would shadow the old tree's).
"""

import json
import sys
import tempfile
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from socwall.dashboard.clock import Clock
from socwall.dashboard.config import load_config_bytes
from socwall.dashboard.demo.chatter import start_demo_chatter
from socwall.dashboard.demo.context import seed_probe_history
from socwall.dashboard.embedded import embedded_client
from socwall.dashboard.jobs import run_all_once
from socwall.dashboard.store import Store

NOW = datetime(2026, 3, 30, 8, 30, tzinfo=UTC)  # Monday 10:30 in Berlin, the day after DST
SEED = 7


def demo_files(store: Store, directory: Path, config):
    """Start the demo's files as this tree's `socwall demo` does; what the first fill runs in
    each source's thread before the source (it waits there for the source's files)."""
    clock = Clock(NOW, frozen=True)
    try:
        from socwall.dashboard.demo.prepare import Preparing
        from socwall.dashboard.demo.sensors import seed_source
    except ImportError:  # a tree from before the files were written by a child process
        from socwall.dashboard.demo.run import start_demo_data
        from socwall.dashboard.demo.sensors import start_demo_sensors

        start_demo_data(directory, config, clock, SEED)
        start_demo_sensors(store, directory, config, clock, SEED)
        return None
    preparing = Preparing(directory, config, NOW, SEED)

    def files_written(source_id: str) -> None:
        seed_source(store, config, source_id, NOW, SEED, preparing.source_ready(source_id))

    return files_written


def main(out: Path) -> None:
    base = Path(tempfile.mkdtemp(prefix="demo-payloads-"))
    shipped = resources.files("socwall").joinpath("config.yaml").read_bytes()
    config = load_config_bytes(shipped, base, "socwall demo config")
    store, clock = Store(embedded_client(), config.store.prefix), Clock(NOW, frozen=True)
    before = demo_files(store, base / "demo-data", config)
    for source_id, source in config.sources.items():
        if source.type == "probe":
            seed_probe_history(store, source_id, NOW, [t.name for t in source.targets])
    start_demo_chatter(config, store, clock, SEED)
    if before is None:
        run_all_once(config, store, clock, worker="demo")
    else:
        run_all_once(config, store, clock, worker="demo", before=before)
    panels = {}
    for panel in config.panels():
        meta = store.panel_meta(panel.id) or {}
        panels[panel.id] = {"payload": store.panel_data(panel.id), "status": meta.get("status"),
                            "state": meta.get("state"), "error": meta.get("error")}  # fmt: skip
    out.write_text(json.dumps(panels, sort_keys=True, indent=1, default=str) + "\n")
    filled = sum(p["payload"] is not None for p in panels.values())
    print(f"{filled} of {len(panels)} panels filled, written to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
