"""Committing what one file produced together with its new read state, exactly once.

A source stages its writes (metric buckets, flow sums, auth events, distinct members) in a
`Batch`; `commit_file` applies them and moves the file's state in one MULTI/EXEC that runs only
if, at that moment, (1) the file's stored state is still the one the read started from, and
(2) with a fence, this worker still holds the leader lock with the same epoch. A worker that was
paused past the lock's TTL (another took over and read the same bytes) discards its work.
"""

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import redis

from socwall.keys import Keys

log = logging.getLogger(__name__)


class LostLeadership(Exception):
    """This worker no longer leads (or leads in a later epoch): its read is discarded."""


class StaleRead(Exception):
    """Another writer moved the file's state since it was read: the read is discarded."""


@dataclass(frozen=True)
class Fence:
    """Who may commit: the worker id that holds the leader lock, and the epoch it took it in."""

    worker_id: str
    epoch: int


@dataclass
class Batch:
    """Writes staged for one commit; applied inside the transaction."""

    increments: dict[str, dict[str, float]] = field(default_factory=dict)
    pushes: dict[str, list[str]] = field(default_factory=dict)
    members: dict[str, set[str]] = field(default_factory=dict)
    expiry: dict[str, int] = field(default_factory=dict)  # key -> TTL seconds
    distinct: dict[str, tuple[str, str]] = field(default_factory=dict)  # set -> (metric, field)
    coverage: tuple[str, int] | None = None  # (coverage key, oldest bucket)
    carry: dict | None = None  # what the source keeps in the file's state for its next read

    def metric(self, keys: Keys, source_id: str, buckets: dict[str, dict[int, float]],
               now: datetime, retention: timedelta) -> None:  # fmt: skip
        """Add values to the per-UTC-day metric hashes (HINCRBYFLOAT: no read needed)."""
        cutoff = (now - retention).timestamp()
        for metric, values in buckets.items():
            days: dict[int, dict[str, float]] = {}  # UTC day number -> its hash's fields
            for start, value in values.items():
                if start >= cutoff and value:
                    fields = days.get(start // 86400)
                    if fields is None:  # a day's key and TTL once, not per bucket
                        day = datetime.fromtimestamp(start, UTC).date()
                        key = keys.metric_day(source_id, metric, day)
                        fields = days[start // 86400] = self.increments.setdefault(key, {})
                        self.expiry[key] = ttl(day_end(day) + retention, now)
                    fields[str(start)] = fields.get(str(start), 0.0) + value
        self.cover(keys, source_id, buckets, cutoff)

    def cover(self, keys: Keys, source_id: str, buckets: dict, cutoff: float) -> None:
        starts = [s for values in buckets.values() for s in values if s >= cutoff]
        if starts:
            oldest = min([*starts, *([self.coverage[1]] if self.coverage else [])])
            self.coverage = (keys.source_coverage(source_id), oldest)

    def push(self, key: str, items: list[str], expires_in: int) -> None:
        self.pushes.setdefault(key, []).extend(items)
        self.expiry[key] = max(self.expiry.get(key, 0), expires_in)

    def add_members(self, keys: Keys, source_id: str, metric: str, members: dict[int, set[str]],
                    now: datetime, retention: timedelta) -> None:  # fmt: skip
        """Distinct members per bucket; the metric is set to each set's size after the commit."""
        days: dict[int, tuple[str, int]] = {}  # UTC day number -> its metric hash's key and TTL
        for start, items in members.items():
            moment = datetime.fromtimestamp(start, UTC)
            key = keys.distinct_bucket(source_id, metric, start)
            self.members.setdefault(key, set()).update(items)
            self.expiry[key] = ttl(moment + retention, now)
            day = days.get(start // 86400)
            if day is None:
                day = days[start // 86400] = self._day(keys, source_id, metric, moment.date(),
                                                       retention, now)  # fmt: skip
            day_key, day_ttl = day
            self.distinct[key] = (day_key, str(start))
            self.expiry[day_key] = day_ttl

    @staticmethod
    def _day(keys: Keys, source_id: str, metric: str, day: date, retention: timedelta,
             now: datetime) -> tuple[str, int]:  # fmt: skip
        """A day's metric hash key and TTL, once per day, not per bucket (the key's date
        formatting is most of its cost)."""
        return keys.metric_day(source_id, metric, day), ttl(day_end(day) + retention, now)

    def new_hashes(self, watching) -> set[str]:
        """Increment keys that do not exist yet, asked on a pipeline that WATCHes them: the
        commit writes each whole (one HSET, not a HINCRBYFLOAT per bucket) and fails if one
        appeared meanwhile. A first read of a day's file is then one command per metric, not
        288 (the embedded store pays per command)."""
        return {key for key in self.increments if not watching.exists(key)}

    def sets_are_new(self, watching) -> bool:
        """Whether no distinct set exists yet, asked in one command: then each set's size is its
        staged members' count, written in the commit itself (no SCARD per bucket after it).
        Only a commit of the same source writes its sets, and every such commit writes the
        source's files hash, which `watching` WATCHes: a set that appears after this check fails
        the commit (WATCHing thousands of sets would cost more than the SCARDs saved)."""
        return bool(self.distinct) and not watching.exists(*self.distinct)

    def apply(self, pipe, new: set[str] | frozenset = frozenset(), sized: bool = False) -> None:
        """Queue the writes; with `sized` (every distinct set is new) also each set's size."""
        for key, fields in self.increments.items():
            if key in new:
                pipe.hset(key, mapping=fields)
                continue
            for name, value in fields.items():
                pipe.hincrbyfloat(key, name, value)
        for key, items in self.pushes.items():
            pipe.rpush(key, *items)
        for key, items in self.members.items():
            pipe.sadd(key, *items)
        if sized:  # before the expiry: a day's hash may be created by its sizes
            for metric_key, sizes in self.staged_sizes().items():
                pipe.hset(metric_key, mapping=sizes)
        for key, seconds in self.expiry.items():
            pipe.expire(key, seconds)
        if self.coverage:
            pipe.zadd(self.coverage[0], {"oldest": self.coverage[1]}, lt=True)

    def staged_sizes(self) -> dict[str, dict[str, int]]:
        """Each distinct set's staged member count, per day's metric hash and bucket field."""
        return self._per_day([len(self.members[key]) for key in self.distinct])

    def _per_day(self, sizes: list[int]) -> dict[str, dict[str, int]]:
        days: dict[str, dict[str, int]] = {}  # one HSET per day's hash, not one per bucket
        for (metric_key, name), size in zip(self.distinct.values(), sizes, strict=True):
            days.setdefault(metric_key, {})[name] = size
        return days

    def settle(self, client) -> None:
        """After the commit: each distinct metric is its set's size (idempotent, so safe twice)."""
        if not self.distinct:
            return
        pipe = client.pipeline(transaction=False)
        for key in self.distinct:
            pipe.scard(key)
        days = self._per_day(pipe.execute())
        pipe = client.pipeline(transaction=False)
        for metric_key, sizes in days.items():
            pipe.hset(metric_key, mapping=sizes)
            pipe.expire(metric_key, self.expiry[metric_key])
        pipe.execute()


def commit_file(client, keys: Keys, source_id: str, before, after, batch: Batch,
                fence: Fence | None) -> None:  # fmt: skip
    """Apply `batch` and store `after` as the file's state, only from `before` and while fenced."""
    files_key = keys.source_files(source_id)
    # Not the lock itself: its holder extends it every ttl/3, which would abort long commits.
    # Every takeover increments the epoch, so an unchanged epoch means nobody took over.
    watched = [files_key, *([keys.leader_epoch()] if fence else [])]
    expected = None if before is None else before.to_json()
    if before is not None and before.legacy:
        expected = "legacy"
    for _ in range(20):  # another commit of the same source touched the files hash: again
        try:
            with client.pipeline(transaction=True) as pipe:
                pipe.watch(*watched, *batch.increments)
                check_fence(pipe, keys, fence)
                if _normal(pipe.hget(files_key, (before or after).id)) != _normal(expected):
                    raise StaleRead(f"{after.path}: its read state moved since it was read")
                new, sized = batch.new_hashes(pipe), batch.sets_are_new(pipe)
                pipe.multi()
                batch.apply(pipe, new, sized)
                if before is not None and before.id != after.id:
                    pipe.hdel(files_key, before.id)
                pipe.hset(files_key, after.id, after.to_json())
                pipe.execute()
            if not sized:
                batch.settle(client)
            return
        except redis.WatchError:
            continue
    raise StaleRead(f"{after.path}: could not commit, the store kept changing")


def check_fence(pipe, keys: Keys, fence: Fence | None) -> None:
    """Inside a WATCHed pipeline: raise LostLeadership unless `fence` still holds the lead."""
    if fence is None:
        return
    holder, epoch = pipe.get(keys.leader()), pipe.get(keys.leader_epoch())
    if holder != fence.worker_id or str(epoch) != str(fence.epoch):
        raise LostLeadership(
            f"worker {fence.worker_id} (epoch {fence.epoch}) no longer leads "
            f"(leader {holder}, epoch {epoch}): its read is discarded"
        )


def _normal(text: str | None):
    if text in (None, "legacy"):
        return text
    data = json.loads(text)
    return data if "head_hash" in data else "legacy"  # a position from before fingerprints


MAX_TTL = 800 * 86400  # a replay read before its clock is known (1990) keeps history this long


def ttl(drop_at: datetime, now: datetime) -> int:
    """Seconds until `drop_at` on the source's clock (replayed history lives as long as live),
    at most MAX_TTL."""
    return max(1, min(int((drop_at - now).total_seconds()), MAX_TTL))


def day_end(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC)
