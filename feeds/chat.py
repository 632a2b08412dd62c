"""The `chat` source: what people say on IRC, Mastodon and Bluesky, one message record for all.

IRC and Bluesky are live connections: each runs in a thread of the leading worker (see
`live`, started and stopped by dashboard/live.py) and stores messages as they arrive. Mastodon
is polled by the source's scheduled job. That job also reports every connection's state,
counts and outages (from the status each live connection publishes), so the panel and
/healthz say when a channel is not being listened to.
"""

from datetime import datetime, timedelta

from socwall.feeds import chat_bluesky, chat_irc
from socwall.feeds.chat_config import (
    ChatConfig,
    Config,  # noqa: F401  (the registry reads chat.Config)
    MastodonConfig,
)
from socwall.feeds.chat_mastodon import Poller
from socwall.feeds.chat_message import SOURCE_NAMES
from socwall.feeds.chat_sink import KIND, Link, cursor_name, status_name
from socwall.feeds.fetch import FetchError

STALE_AFTER = timedelta(seconds=30)  # a live status older than this: nobody is listening


def live(config: ChatConfig, source_id: str, store, clock) -> list[tuple[str, object]]:
    """The live connections: (name, run(stop)) for a thread each."""
    runs = []
    for irc in config.irc:
        link = Link(store, source_id, config, irc.name, "irc", clock)
        runs.append((irc.name, _runner(chat_irc.listen, irc, link, config.max_text)))
    for sky in config.bluesky:
        link = Link(store, source_id, config, sky.name, "bluesky", clock, replays=True)
        runs.append((sky.name, _runner(chat_bluesky.listen, sky, link, config.max_text)))
    return runs


def _runner(listen, transport, link: Link, limit: int):
    return lambda stop: listen(transport, link, limit, stop)


class Source:
    """Polls Mastodon; reports every connection (live ones from their published status)."""

    def __init__(self, config: ChatConfig, source_id: str):
        self.config, self.source_id = config, source_id

    def ingest(self, store, now: datetime) -> dict:
        stats = {"rows": 0, "bad_rows": 0, "newest": None, "warnings": [], "connections": {}}
        failing = 0
        for instance in self.config.mastodon:
            added, problem, skipped = self._poll(store, instance, now)
            stats["bad_rows"] += skipped
            stats["rows"] += added or 0
            stats["connections"][instance.name] = "failed" if added is None else "polled"
            failing += problem is not None and added is None
            if problem:
                stats["warnings"].append(f"Mastodon {instance.name}: {problem}")
        for connection in (*self.config.irc, *self.config.bluesky):
            state, words = self._live(store, connection.name, now)
            stats["connections"][connection.name] = state
            failing += state != "connected"
            if words:
                stats["warnings"].append(words)
        self._count_live(store, stats)
        self._summarize(store)
        if failing == len(stats["connections"]):
            raise ValueError("no chat connection works: " + "; ".join(stats["warnings"]))
        return stats

    def _poll(self, store, instance: MastodonConfig, now: datetime):
        """(new messages or None on failure, a problem worth showing, messages skipped)."""
        state = store.document(self.source_id, cursor_name(instance.name)) or {}
        poller = Poller(instance, self.config.max_text, state)
        link = Link(store, self.source_id, self.config, instance.name, "mastodon", _Fixed(now),
                    replays=True)  # min_id: the next poll reads what this one missed
        try:
            messages = poller.poll(now)
        except (FetchError, ValueError) as error:
            link.failed(str(error))
            return None, str(error), 0
        added = sum(link.add(m) for m in messages)  # stored first, then the cursor moves
        store.write_document(self.source_id, cursor_name(instance.name), poller.state)
        link.up(f"polled {len(poller.targets())} timelines of {instance.instance}")
        return added, "; ".join(poller.notes) or None, sum(link.skipped.values())

    def _live(self, store, name: str, now: datetime) -> tuple[str, str | None]:
        """A live connection's state as its thread last published it, and words when not ok."""
        status = store.document(self.source_id, status_name(name))
        where = f"{SOURCE_NAMES.get((status or {}).get('source'), 'chat')} {name}"
        if status is None:
            return "not started", f"{where}: not listening (live connections run in the " \
                                  "leading `socwall worker` or `socwall demo`)"  # fmt: skip
        beat = datetime.fromisoformat(status["heartbeat"])
        if now - beat > STALE_AFTER:
            return "not running", f"{where}: not listening since {beat:%Y-%m-%d %H:%M} UTC"
        words = []
        if status["state"] != "connected":
            words.append(f"{status['state']}: {status.get('error') or status.get('detail')}")
        words += status.get("warnings") or []
        return status["state"], f"{where}: {'; '.join(words)}" if words else None

    def _summarize(self, store) -> None:
        """One document for the panel: every connection's state, outages and gaps."""
        kept = ("source", "state", "since", "error", "outages", "gaps", "heartbeat")
        summary = {}
        for connection in (*self.config.irc, *self.config.mastodon, *self.config.bluesky):
            status = store.document(self.source_id, status_name(connection.name)) or {}
            summary[connection.name] = {key: status.get(key) for key in kept}
        store.write_document(self.source_id, "connections", summary)

    def _count_live(self, store, stats: dict) -> None:
        """Messages stored and skipped by the live connections since the last report."""
        seen = store.document(self.source_id, "reported") or {}
        counts = {}
        for connection in (*self.config.irc, *self.config.bluesky):
            status = store.document(self.source_id, status_name(connection.name)) or {}
            stored, skipped = status.get("stored", 0), sum((status.get("skipped") or {}).values())
            before = seen.get(connection.name, [0, 0])
            stats["rows"] += stored - before[0] if stored >= before[0] else stored
            stats["bad_rows"] += skipped - before[1] if skipped >= before[1] else skipped
            counts[connection.name] = [stored, skipped]
        store.write_document(self.source_id, "reported", counts)


class _Fixed:
    """The job's clock for a poll: every message of one poll is stored as of `now`."""

    def __init__(self, now: datetime):
        self._now = now

    def now(self) -> datetime:
        return self._now


__all__ = ["KIND", "ChatConfig", "Config", "Source", "live"]
