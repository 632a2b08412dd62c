"""One worker's view of the store going away and coming back, logged once per failure streak.

While Redis is down every job and every heartbeat fails, several a second; the first failure
of a streak is logged with its reason, the others are counted, and the store answering again
is logged once with how long it was away and how many failures were not written.
"""

import logging
import threading
import time

log = logging.getLogger("socwall.dashboard.store")


class StoreOutage:
    """A failure streak of one worker's store: shared by its leader and its jobs."""

    def __init__(self, clock=time.monotonic):
        self.clock, self.lock = clock, threading.Lock()
        self.since: float | None = None
        self.held = 0  # failures in this streak not logged

    def failed(self, what: str, error: BaseException) -> None:
        """A store operation failed; `what` says what was given up ('job panel:x skipped')."""
        with self.lock:
            first = self.since is None
            if first:
                self.since, self.held = self.clock(), 0
            else:
                self.held += 1
        if first:
            log.warning("store unreachable, %s: %s (further failures are not logged until it "
                        "answers again)", what, error)  # fmt: skip

    def answered(self) -> None:
        """A store operation succeeded: the streak, if any, ends."""
        with self.lock:
            if self.since is None:
                return
            away, held = self.clock() - self.since, self.held
            self.since, self.held = None, 0
        log.warning("store answers again after %.0f s (%d failure%s meanwhile not logged)",
                    away, held, "s" * (held != 1))  # fmt: skip
