"""A bounded pool for password hashes: guessing may keep it busy, never the web workers.

A scrypt check costs ~0.25 s of a core. At most `running` run at once in a serve worker and at
most WAITING more wait for a turn, up to WAIT_SECONDS; any further check is refused at once.
Under gevent (the default worker class) the hash runs in a real thread of the hub's pool, so
the worker's event loop goes on answering /livez and the wall's polls meanwhile (hashlib
releases the GIL while it hashes).
"""

import threading
from collections.abc import Callable

WAITING = 16
WAIT_SECONDS = 5.0


class PasswordChecks:
    """Runs password checks `running` at a time; None when the pool is full (refuse: 503)."""

    def __init__(self, running: int, waiting: int = WAITING, wait_seconds: float = WAIT_SECONDS):
        # created in the serve worker after gevent patched `threading`: greenlet-aware locks
        self.turns = threading.BoundedSemaphore(running)
        self.places = threading.BoundedSemaphore(running + waiting)
        self.wait_seconds = wait_seconds

    def run(self, check: Callable[..., bool], *args) -> bool | None:
        """`check(*args)` in its turn; None when no place was free or the turn did not come."""
        if not self.places.acquire(blocking=False):
            return None
        try:
            if not self.turns.acquire(timeout=self.wait_seconds):
                return None
            try:
                return _off_the_event_loop(check, *args)
            finally:
                self.turns.release()
        finally:
            self.places.release()


def cooperative() -> bool:
    """True in a gevent worker: waiting there costs a greenlet, not a thread."""
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover - gevent is a dependency of serve
        return False
    return monkey.is_module_patched("threading")


def _off_the_event_loop(check: Callable[..., bool], *args) -> bool:
    """In a gevent worker, in a native thread (the loop keeps serving); else right here."""
    if not cooperative():
        return check(*args)
    from gevent import get_hub

    return get_hub().threadpool.apply(check, args)
