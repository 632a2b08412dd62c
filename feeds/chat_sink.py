"""How a chat connection writes: each message stored once, a flood cap, and its live status.

A live connection (IRC, a websocket) runs in a thread of the leading worker; its `Link` stores
each message once (keyed by its id, in the store's per-day records, through the leader's
fence: a worker that lost the lead stores nothing) and publishes what it is doing as a
document the source's scheduled job reads and reports: state, counts, skipped lines by
reason, and every outage during which a transport without replay (IRC) lost what was said.
"""

import logging
import time
from datetime import datetime

from socwall.feeds.chat_message import Message, mask
from socwall.file_commit import LostLeadership

log = logging.getLogger(__name__)
KIND = "message"  # the store's record kind of chat messages
PUBLISH_EVERY = 5.0  # seconds between status documents while nothing changes
KEEP_OUTAGES = 20


def status_name(via: str) -> str:
    return f"live-{via}"


def cursor_name(via: str) -> str:
    return f"cursor-{via}"


class Link:
    """One connection's way into the store, and its status as the wall reports it."""

    def __init__(self, store, source_id: str, config, via: str, source: str, clock,
                 replays: bool = False):  # fmt: skip
        self.store, self.source_id, self.config = store, source_id, config
        self.via, self.source, self.clock, self.replays = via, source, clock, replays
        previous = store.document(source_id, status_name(via)) or {}
        self.status = {"source": source, "via": via, "state": "starting", "since": None,
                       "detail": "", "error": None, "stored": 0, "reconnects": 0,
                       "last_message": previous.get("last_message"), "warnings": [],
                       "outages": previous.get("outages", []),
                       "gaps": previous.get("gaps", [])}  # fmt: skip
        self.skipped: dict[str, int] = {}
        self.down_since: str | None = previous.get("heartbeat") if not replays else None
        self.tokens, self.filled_at = float(config.max_rate), time.monotonic()
        self.lost = False
        self.was_up = False  # up once since this link started: the next up is a reconnect
        self.published_at = 0.0

    def now(self) -> datetime:
        return self.clock.now()

    def running(self) -> bool:
        """False once a write found that this worker no longer leads."""
        return not self.lost

    # state ----------------------------------------------------------------
    def connecting(self, detail: str) -> None:
        self._state("connecting", detail)

    def up(self, detail: str) -> None:
        """Connected (again): the span since it went down is an outage when nothing replays it."""
        now = self.now().isoformat()
        if self.down_since and self.down_since < now:
            outage = {"start": self.down_since, "end": now}
            self.status["outages"] = [*self.status["outages"], outage][-KEEP_OUTAGES:]
        if self.was_up:
            self.status["reconnects"] += 1
        self.was_up = True
        self.down_since = None
        self.status["error"] = None
        self._state("connected", detail)
        coverage = self.store.document(self.source_id, "coverage") or {}
        if not coverage.get("since"):  # from now on, "no mention" is an observation
            self.store.write_document(self.source_id, "coverage", {"since": now})

    def down(self, reason: str) -> None:
        if self.down_since is None and not self.replays:
            self.down_since = self.now().isoformat()
        self.status["error"] = reason
        self._state("reconnecting", self.status["detail"])

    def failed(self, reason: str) -> None:
        """A failure that retrying will not mend (a refused login): said, and not retried."""
        self.status["error"] = reason
        self._state("failed", "")

    def stopped(self) -> None:
        self._state("stopped", "")

    def note(self, detail: str) -> None:
        self.status["detail"] = detail
        self.publish(force=True)

    def warn(self, warning: str) -> None:
        self.status["warnings"] = [*self.status["warnings"], warning][-5:]
        self.publish(force=True)

    def gap(self, start: str, end: str, why: str) -> None:
        """A span the transport could not replay (a cursor older than the server keeps)."""
        gap = {"start": start, "end": end, "why": why}
        self.status["gaps"] = [*self.status["gaps"], gap][-KEEP_OUTAGES:]
        self.publish(force=True)

    def _state(self, state: str, detail: str) -> None:
        if state != self.status["state"]:
            self.status["since"] = self.now().isoformat()
        self.status["state"], self.status["detail"] = state, detail
        self.publish(force=True)

    # messages -------------------------------------------------------------
    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def add(self, message: Message) -> bool:
        """Store the message once; False when it was stored before or skipped (flood cap)."""
        if not self._take_token():
            self.skip(f"over {self.config.max_rate} a minute (flood)")
            return False
        if message.cut:
            self.skip(f"cut to {self.config.max_text} characters")  # kept, but said
        record = message.record()
        if self.config.mask_authors:  # the post's address names its author: dropped too
            record["author"], record["url"] = mask(record["author"], self.source_id), None
        try:
            added = self.store.add_records(self.source_id, KIND, [record], self.now(),
                                           self.config.retention, id_field="id")  # fmt: skip
        except LostLeadership as error:
            if not self.lost:
                log.warning("chat %s stops: %s", self.via, error)
            self.lost = True
            return False
        if added:
            self.status["stored"] += 1
            self.status["last_message"] = record["time"]
        self.publish()
        return bool(added)

    def _take_token(self) -> bool:
        """A token bucket: `max_rate` messages a minute, in bursts of up to `max_rate`."""
        now = time.monotonic()
        rate = self.config.max_rate / 60.0
        self.tokens = min(self.config.max_rate, self.tokens + (now - self.filled_at) * rate)
        self.filled_at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    # status ---------------------------------------------------------------
    def publish(self, force: bool = False) -> None:
        """Write the status document (at most every few seconds unless something changed)."""
        if not force and time.monotonic() - self.published_at < PUBLISH_EVERY:
            return
        self.published_at = time.monotonic()
        document = {**self.status, "skipped": dict(self.skipped),
                    "heartbeat": self.now().isoformat()}  # fmt: skip
        self.store.write_document(self.source_id, status_name(self.via), document)

    # cursor ---------------------------------------------------------------
    def cursor(self):
        return (self.store.document(self.source_id, cursor_name(self.via)) or {}).get("cursor")

    def save_cursor(self, cursor) -> None:
        """Saved after the messages before it were stored: a restart replays, never skips."""
        if not self.lost:
            self.store.write_document(self.source_id, cursor_name(self.via), {"cursor": cursor})
