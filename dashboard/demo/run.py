"""`socwall demo`: generated data, the embedded store, scheduler and web app in one process
(a forked child writes the generated files while it starts: demo/prepare.py)."""

import logging
import socket
import threading
import time
from pathlib import Path

from socwall.dashboard.clock import Clock, make_clock
from socwall.dashboard.config import WallConfig
from socwall.dashboard.demo.context import seed_probe_history, start_local_services
from socwall.dashboard.demo.prepare import Preparing, write_demo_data
from socwall.dashboard.demo.sensors import seed_source
from socwall.dashboard.embedded import embedded_client
from socwall.dashboard.store import Store

log = logging.getLogger(__name__)
DEMO_DATA = Path("demo-data")  # relative to config.yaml, as its sources say


def run_demo(config: WallConfig, base_dir: Path, args) -> int:
    """Generate 5 weeks of events, keep appending live ones, and serve the wall."""
    _import_irc_early(config)
    store = Store(embedded_client(), config.store.prefix)
    clock = make_clock(config, args.now, store)
    anchor = clock.now().replace(second=0, microsecond=0)
    # a child process writes the files while this one imports and builds the app (prepare.py)
    preparing = Preparing(base_dir / DEMO_DATA, config, anchor, args.seed)
    # imported once the child runs: it needs none of these, and they take a second
    from socwall.dashboard.app import create_app
    from socwall.dashboard.demo.chatter import start_demo_chatter
    from socwall.dashboard.scheduler import create_scheduler

    services = start_local_services()  # what the demo's probe source checks, on 127.0.0.1
    for source_id, source in config.sources.items():
        if source.type == "probe":
            names = [target.name for target in source.targets]
            seed_probe_history(store, source_id, anchor, names)
    start_demo_chatter(config, store, clock, args.seed)  # history, local stand-ins, live threads
    scheduler = create_scheduler(config, store, clock, worker="demo", may_run=lambda: True)
    host, port = args.host or config.web.host, args.port or config.web.port
    filled = threading.Event()

    def files_written(source_id: str) -> None:  # in the source's thread, before its first read
        rows = preparing.source_ready(source_id)
        seed_source(store, config, source_id, anchor, args.seed, rows)

    fill_args = (config, store, clock, scheduler, files_written, filled)
    threading.Thread(target=_first_fill, args=fill_args, daemon=True).start()
    started = getattr(args, "started", None) or time.monotonic()
    ready_args = (config, store, (host, port), started, filled, args.ready_deadline)
    threading.Thread(target=announce_ready, args=ready_args, daemon=True).start()
    app = create_app(config, store, clock)
    data = preparing.result().generators  # every file before a page is served (the inventory)
    scheduler.add_job(lambda: [d.write_until(clock.now()) for d in data], "interval", seconds=20)
    log.info("demo wall on http://%s:%s/ (embedded store, generated data)", host, port)
    app.run(host=host, port=port, debug=False)
    scheduler.shutdown(wait=False)
    if services is not None:
        services.close()
    return 0


def _import_irc_early(config: WallConfig) -> None:
    """The irc library finds its data file through inspect.stack(), which costs per frame on
    the stack and per module loaded: 0.05 s here, 0.13 s from deep in the chatter's start."""
    if any(getattr(source, "irc", None) for source in config.sources.values()):
        import irc.client  # noqa: F401


def start_demo_data(directory: Path, config: WallConfig, clock: Clock, seed: int) -> list:
    """Fresh events and flows ending now (or at --now), written before the first job reads them."""
    return write_demo_data(directory, config, clock.now().replace(second=0, microsecond=0), seed)


def _first_fill(config: WallConfig, store: Store, clock: Clock, scheduler, files_written,
                filled: threading.Event) -> None:  # fmt: skip
    """Each source once as soon as `files_written` says its files are there, then every panel;
    then the scheduler."""
    from socwall.dashboard.jobs import run_all_once  # imported by the scheduler already

    try:
        run_all_once(config, store, clock, worker="demo", before=files_written)
    finally:
        filled.set()  # a panel that failed is named by the ready line, not waited for
    scheduler.start()


def announce_ready(config: WallConfig, store: Store, address: tuple[str, int], started: float,
                   filled: threading.Event, deadline: float) -> None:  # fmt: skip
    """Print 'wall ready: 20 of 20 panels filled (8.2 s) at URL' when every panel has been
    filled once; past the deadline first, which panels are still empty."""
    url = f"http://{address[0]}:{address[1]}"
    if not filled.wait(max(0.0, deadline - (time.monotonic() - started))):  # from the start
        print(ready_line(config, store, time.monotonic() - started, url), flush=True)
        filled.wait()
    _listening(address)
    print(ready_line(config, store, time.monotonic() - started, url), flush=True)


def ready_line(config: WallConfig, store: Store, seconds: float, url: str) -> str:
    """How many panels have a payload in the store, and which have none."""
    panels = [panel.id for panel in config.panels()]
    empty = [pid for pid in panels if store.panel_data(pid) is None]
    state = "ready" if not empty else "not ready"
    line = f"wall {state}: {len(panels) - len(empty)} of {len(panels)} panels filled "
    line += f"({seconds:.1f} s) at {url}"
    return line + (f"; still empty: {', '.join(empty)}" if empty else "")


def _listening(address: tuple[str, int], patience: float = 10.0) -> None:
    """Return once the web server accepts connections (it binds while the panels fill)."""
    until = time.monotonic() + patience
    while time.monotonic() < until:
        try:
            socket.create_connection(address, timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
