"""Live connections: sources that keep a connection open (IRC, websockets) run in threads.

A source module that has `live(config, source_id, store, clock)` gets one thread per
connection it returns. They run only on the worker that leads, writing through its fence
(a worker that lost the lead stores nothing more), and they stop when it loses the lead,
reloads its config or exits; a new leader starts its own. A connection whose code fails
is started again after a pause, so one bug never silences a channel for good.
"""

import logging
import threading

from socwall.dashboard.clock import Clock
from socwall.dashboard.config import WallConfig
from socwall.dashboard.store import Store
from socwall.feeds import SOURCES
from socwall.file_commit import Fence

log = logging.getLogger(__name__)
RESTART_AFTER = 10.0  # seconds before a connection whose code raised runs again
STOP_WITHIN = 10.0  # seconds a connection gets to leave (QUIT, close) before it is abandoned


class LiveSources:
    """Starts the live connections of a config's sources while leading, stops them after."""

    def __init__(self, config: WallConfig, store: Store, clock: Clock):
        self.config, self.store, self.clock = config, store, clock
        self.threads: list[tuple[threading.Thread, threading.Event]] = []
        self.fence: Fence | None = None
        self.running = False

    def follow(self, leading: bool, fence: Fence | None) -> None:
        """Run while `leading` (restarted when the fence changes: a new epoch), else stop."""
        if not leading:
            self.stop()
        elif not self.running or fence != self.fence:
            self.stop()
            self.start(fence)

    def start(self, fence: Fence | None = None) -> None:
        """One thread per connection, writing through `fence` (None: the embedded demo)."""
        store = self.store.fenced(fence)
        for source_id, source in self.config.sources.items():
            live = getattr(SOURCES[source.type], "live", None)
            if live is None:
                continue
            for name, run in live(source, source_id, store, self.clock):
                stop = threading.Event()
                thread = threading.Thread(target=self._keep_running, args=(run, stop, name),
                                          name=f"live:{source_id}:{name}", daemon=True)  # fmt: skip
                thread.start()
                self.threads.append((thread, stop))
        self.fence, self.running = fence, True

    def stop(self) -> None:
        """Ask every connection to leave and wait for them (bounded)."""
        for _thread, stop in self.threads:
            stop.set()
        for thread, _stop in self.threads:
            thread.join(STOP_WITHIN)
            if thread.is_alive():
                log.warning("live connection %s did not stop within %g s", thread.name,
                            STOP_WITHIN)  # fmt: skip
        self.threads, self.running = [], False

    @staticmethod
    def _keep_running(run, stop: threading.Event, name: str) -> None:
        while not stop.is_set():
            try:
                run(stop)
                return
            except Exception:  # a bug in one connection: logged, and that connection retried
                log.exception("live connection %s failed; starting it again in %g s", name,
                              RESTART_AFTER)  # fmt: skip
                stop.wait(RESTART_AFTER)
