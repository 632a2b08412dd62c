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
