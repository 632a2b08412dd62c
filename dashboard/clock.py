"""The wall's clock: real time, or a replayed moment that moves on as real time passes."""

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from socwall.dashboard.config import WallConfig


def utc_now() -> datetime:
    return datetime.now(UTC)


class Clock:
    """`now()` for every job: live, fixed at a replay start (moving on), or the newest record."""

    def __init__(
        self,
        replay_start: datetime | None = None,
        latest: Callable[[], datetime | None] | None = None,
        frozen: bool = False,
    ):
        self.replay_start = replay_start and replay_start.astimezone(UTC)
        self.latest = latest
        self.frozen = frozen
        self._started = time.monotonic()

    @property
    def replaying(self) -> bool:
        return self.replay_start is not None or self.latest is not None

    def now(self) -> datetime:
        """The moment the panels are computed for, in UTC."""
        if self.latest is not None:
            return self.latest() or utc_now()
        if self.replay_start is None:
            return utc_now()
        if self.frozen:
            return self.replay_start
        return self.replay_start + timedelta(seconds=time.monotonic() - self._started)


ARCHIVE_TYPES = ("events", "flows", "auth", "query")  # sources whose records carry their time
FILE_TYPES = ("events", "flows", "auth")  # read once: a first read must drop nothing
BEFORE_ANY_DATA = datetime(1990, 1, 1, tzinfo=UTC)  # the flow cleaning's earliest time


def source_now(clock: Clock, source, status: dict | None, reading: bool = False) -> datetime:
    """The moment one source (and its panels) is read and computed for: its own clock.

    Live, every source runs on the wall's clock. When replaying (`--now`), a source of records
    runs on its data's own time when that is an archive: with `--now latest` always its own
    newest record (not the newest of every source: a wall that mixes a 2005 syslog, 2018 Zeek
    and live feeds shows each at its own time), with `--now T` when its newest record is older
    than T minus its retention (else T). Before a file source has read anything its time is not
    known: `reading`, it reads as of BEFORE_ANY_DATA, so its first read keeps every record (the
    store caps how long they live); its panels wait on the wall's clock. Feeds, probes and
    Prometheus run on the wall's clock (T moving on)."""
    wall = clock.now()
    if not getattr(clock, "replaying", False) or getattr(source, "type", None) not in ARCHIVE_TYPES:
        return wall
    newest = (status or {}).get("newest")
    if newest is None:
        return BEFORE_ANY_DATA if reading and source.type in FILE_TYPES else wall
    own = datetime.fromisoformat(newest).astimezone(UTC)
    if getattr(clock, "latest", None) is not None or own < wall - source.retention:
        return own
    return wall


def parse_now(text: str) -> datetime:
    """'2013-04-01T12:00:00Z' -> aware UTC datetime; a time without zone is taken as UTC."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def make_clock(config: WallConfig, now_arg: str | None, store=None, frozen: bool = False) -> Clock:
    """--now beats `now:` in config; 'latest' follows the newest record any source has read."""
    wanted = now_arg if now_arg is not None else config.now
    if wanted == "latest":
        return Clock(latest=lambda: _newest_record(config, store))
    if wanted is None:
        return Clock()
    return Clock(
        replay_start=parse_now(wanted) if isinstance(wanted, str) else wanted, frozen=frozen
    )


def _newest_record(config: WallConfig, store):
    newest = [(store.source_status(s) or {}).get("newest") for s in config.sources]
    newest = [datetime.fromisoformat(n) for n in newest if n]
    return max(newest) if newest else None
