"""Running a chat source's live connections in threads in a test, and what they stored."""

import threading
from datetime import UTC, datetime, timedelta

from socwall.dashboard.clock import Clock
from socwall.feeds import chat
from socwall.feeds.chat_sink import KIND
from tests.dashboard.test_leader import wait_for


class Running:
    """The source's live connections in threads, as dashboard/live.py runs them."""

    def __init__(self, config, store, source_id="chatter"):
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=run, args=(self.stop,), daemon=True)
                        for _name, run in chat.live(config, source_id, store, Clock())]  # fmt: skip
        for thread in self.threads:
            thread.start()

    def close(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(10)
            assert not thread.is_alive()


def stored(store, source_id="chatter") -> list[dict]:
    now = datetime.now(UTC)
    found = store.records(source_id, KIND, now - timedelta(days=1), now + timedelta(days=1))
    return sorted(found, key=lambda r: r["time"])


def wait_until(condition, timeout: float = 30, what: str = "condition"):
    """Poll `condition()` until it is truthy; fail with `what` after `timeout` seconds."""
    return wait_for(condition, timeout, what)
