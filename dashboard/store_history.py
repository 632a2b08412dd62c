"""The store's history of records: auth attempts, records of any kind, distinct-member sets.
A mixin of Store (dashboard/store.py): `self.redis` and `self.keys` are the store's."""

import json
import secrets
from datetime import UTC, date, datetime, timedelta

import redis

from socwall.file_commit import LostLeadership, check_fence, day_end, ttl

UNIONS_AT_ONCE = 100  # windows counted per transaction: Redis serves others between them
KEEP_COUNTS = timedelta(days=70)  # a window's count is kept this long after its day: longer
# than metric_compare asks back (8 weeks of band and a 7-day window)
CHUNK = 20_000  # attempts read at a time when a day is summarized: its memory stays small


class RecordHistory:
    """Typed reads and writes of per-day record lists and per-bucket sets."""

    def replace_auth_events(self, source_id: str, events: list[dict], start: datetime,
                            end: datetime, now: datetime,
                            retention: timedelta) -> None:  # fmt: skip
        """Set the attempts with start <= ts < end to `events` (a source that can ask a span
        again, e.g. a query source): those stored before in the span go, the rest stay."""
        days = days_between(start, end)
        reading = self.redis.pipeline(transaction=False)
        for day in days:
            reading.lrange(self.keys.auth_events(source_id, day), 0, -1)
        lo, hi = start.isoformat(), end.isoformat()
        per_day: dict[date, list[str]] = {}
        for day, items in zip(days, reading.execute(), strict=True):
            per_day[day] = [i for i in items if not lo <= json.loads(i)["ts"] < hi]
        for event in events:
            day = datetime.fromisoformat(event["ts"]).astimezone(UTC).date()
            per_day.setdefault(day, []).append(json.dumps(event, separators=(",", ":")))
        cutoff = (now - retention).date()
        pipe = self.redis.pipeline(transaction=True)
        for day, items in per_day.items():
            key = self.keys.auth_events(source_id, day)
            pipe.delete(key, self.keys.auth_hours(source_id, day))  # its summaries are stale
            if items and day >= cutoff:
                pipe.rpush(key, *items)
                pipe.expire(key, ttl(day_end(day) + retention, now))
        pipe.execute()

    def auth_events(self, source_id: str, start: datetime, end: datetime) -> list[dict]:
        """Events with start <= ts < end, from the day lists that cover the range."""
        pipe = self.redis.pipeline(transaction=False)
        for day in days_between(start, end):
            pipe.lrange(self.keys.auth_events(source_id, day), 0, -1)
        lo, hi = start.isoformat(), end.isoformat()
        found = (item for items in pipe.execute() for item in items)
        events = (json.loads(item) for item in found if lo <= (time_of(item) or lo) < hi)
        return [e for e in events if lo <= e["ts"] < hi]

    def auth_hour_summaries(self, source_id: str, hours: list[int], summarize,
                            made_as: str) -> dict[int, str]:  # fmt: skip
        """Per UTC hour start asked: `summarize`'s text for that hour's attempts ("" when it held
        none); an hour is left out when its day could not be summarized (`summarize` returned
        None) or changed while it was. Summaries are made per UTC day from the day's list and
        kept beside it, marked with `made_as` (their format) and the list's length: a day whose
        list grew (late attempts) or that has none yet (an older store) is made again."""
        days = sorted({datetime.fromtimestamp(h, UTC).date() for h in hours})
        pipe = self.redis.pipeline(transaction=False)
        for day in days:
            pipe.llen(self.keys.auth_events(source_id, day))
            pipe.hgetall(self.keys.auth_hours(source_id, day))
        answers = pipe.execute()
        per_day = {}
        for day, held, stored in zip(days, answers[::2], answers[1::2], strict=True):
            if stored.get("_made") != f"{made_as}:{held}":
                stored = self._summarize_day(source_id, day, summarize, made_as)
            per_day[day] = stored
        found = {}
        for hour in hours:
            stored = per_day[datetime.fromtimestamp(hour, UTC).date()]
            if stored is not None and "_raw" not in stored:
                found[hour] = stored.get(str(hour), "")
        return found

    def _summarize_day(self, source_id: str, day: date, summarize, made_as: str) -> dict | None:
        """Summarize one day's list and store it; None when the list changed meanwhile."""
        events_key = self.keys.auth_events(source_id, day)
        key = self.keys.auth_hours(source_id, day)
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.watch(events_key)  # a late attempt or a rewrite while we read: not stored
            held, expires = pipe.llen(events_key), pipe.pttl(events_key)
            chunks = (pipe.lrange(events_key, at, at + CHUNK - 1) for at in range(0, held, CHUNK))
            made = summarize(json.loads(item) for chunk in chunks for item in chunk)
            stored = {str(hour): text for hour, text in (made or {}).items()}
            stored["_made"] = f"{made_as}:{held}"
            if made is None:
                stored["_raw"] = "1"  # attempts it cannot summarize: the day is read whole
            pipe.multi()
            pipe.delete(key)
            if held:
                pipe.hset(key, mapping=stored)
                if expires > 0:
                    pipe.pexpire(key, expires)
            try:
                pipe.execute()
            except redis.WatchError:
                return None
        return stored

    def add_records(self, source_id: str, kind: str, records: list[dict], now: datetime,
                    retention: timedelta, id_field: str | None = None) -> int:  # fmt: skip
        """Store a source's records of any `kind`; the generic API for new sources.

        Each record is a JSON-able dict with an ISO-8601 UTC time in `ts`; records go to one
        list (or, with `id_field`, one hash keyed by that field) per UTC day, which expires
        `retention` after the day ends. With `id_field` a record already stored is skipped,
        so re-reading the same input stores nothing twice. Returns how many were stored.
        Read them back with `records(source_id, kind, start, end)` (PanelReader.records).
        """
        per_day: dict[date, dict[str, str]] = {}
        for n, record in enumerate(records):
            day = datetime.fromisoformat(record["ts"]).astimezone(UTC).date()
            ident = str(record[id_field]) if id_field else str(n)
            per_day.setdefault(day, {})[ident] = json.dumps(record, separators=(",", ":"))
        pipe = self.redis.pipeline(transaction=True)
        if self.fence:  # a worker that lost the lead stores nothing (a live connection's lines)
            pipe.watch(self.keys.leader_epoch())
            check_fence(pipe, self.keys, self.fence)
            pipe.multi()
        setnx_at: list[int] = []  # positions of the HSETNX answers among the pipeline's
        for day, items in per_day.items():
            if id_field:
                key = self.keys.keyed_records(source_id, kind, day)
                for ident, text in items.items():
                    setnx_at.append(len(pipe))
                    pipe.hsetnx(key, ident, text)
            else:
                key = self.keys.records(source_id, kind, day)
                pipe.rpush(key, *items.values())
            pipe.expire(key, ttl(day_end(day) + retention, now))
        try:
            results = pipe.execute()
        except redis.WatchError:
            raise LostLeadership("the leader epoch changed while records were stored") from None
        return sum(bool(results[i]) for i in setnx_at) if id_field else len(records)

    def records(self, source_id: str, kind: str, start: datetime, end: datetime) -> list[dict]:
        """Records of `kind` with start <= ts < end, in stored order (see add_records)."""
        pipe = self.redis.pipeline(transaction=False)
        for day in days_between(start, end):
            pipe.lrange(self.keys.records(source_id, kind, day), 0, -1)
            pipe.hvals(self.keys.keyed_records(source_id, kind, day))
        lo, hi = start.astimezone(UTC), end.astimezone(UTC)
        found = (json.loads(item) for items in pipe.execute() for item in items)
        return [r for r in found if lo <= datetime.fromisoformat(r["ts"]) < hi]

    def distinct_counts(self, source_id: str, metric: str, windows: list[tuple[int, int]],
                        bucket_s: int) -> list[int]:  # fmt: skip
        """The exact number of distinct members of each window [start, end): the union of its
        buckets' sets, counted in Redis (SUNIONSTORE into a scratch key, deleted at once), so
        no member crosses the network and none counts twice.

        A count is kept with the sizes its sets had (distinct_windows). Sets only grow (SADD),
        so while none of a window's sizes changed its union did not: only windows whose sets
        changed (the newest; an old one a late line reached; one expired) are counted again.
        replace_distinct_sets, which can change a set's members but not its size, drops them."""
        buckets = [[self.keys.distinct_bucket(source_id, metric, b)
                    for b in range(start - start % bucket_s, end, bucket_s)]
                   for start, end in windows]  # fmt: skip
        days = sorted({datetime.fromtimestamp(start, UTC).date() for start, _ in windows})
        pipe = self.redis.pipeline(transaction=False)
        for keys in buckets:
            for key in keys:
                pipe.scard(key)
        for day in days:
            pipe.hgetall(self.keys.distinct_windows(source_id, metric, day))
        answers = pipe.execute() if windows else []
        kept = {field: value for stored in answers[len(answers) - len(days):]
                for field, value in stored.items()}  # fmt: skip
        counts, at = {}, 0
        for (start, end), keys in zip(windows, buckets, strict=True):
            sizes = ",".join(str(n) for n in answers[at : at + len(keys)])
            at += len(keys)
            size_then, _, count = kept.get(f"{start}:{end}", "").partition("|")
            if size_then == sizes:
                counts[start, end] = int(count)
        missing = [(window, keys) for window, keys in zip(windows, buckets, strict=True)
                   if window not in counts]  # fmt: skip
        newest = datetime.fromtimestamp(max(end for _, end in windows), UTC) if windows else None
        counts.update(self._count_unions(source_id, metric, missing, newest))
        return [counts[window] for window in windows]

    def _count_unions(self, source_id: str, metric: str, windows: list, newest) -> dict:
        """Count these (window, set keys) unions and keep each count with its sets' sizes, both
        read in one transaction (nothing can change between them)."""
        scratch, counts = self.keys.distinct_scratch(secrets.token_hex(8)), {}
        for at in range(0, len(windows), UNIONS_AT_ONCE):
            part = windows[at : at + UNIONS_AT_ONCE]
            pipe = self.redis.pipeline(transaction=True)
            for _window, keys in part:
                for key in keys:
                    pipe.scard(key)
                pipe.sunionstore(scratch, keys)
                pipe.delete(scratch)
            answers, done, keep = pipe.execute(), 0, self.redis.pipeline(transaction=False)
            for (start, end), keys in part:
                sizes = ",".join(str(n) for n in answers[done : done + len(keys)])
                counts[start, end] = int(answers[done + len(keys)])
                done += len(keys) + 2
                day = datetime.fromtimestamp(start, UTC).date()
                key = self.keys.distinct_windows(source_id, metric, day)
                keep.hset(key, f"{start}:{end}", f"{sizes}|{counts[start, end]}")
                keep.expire(key, ttl(day_end(day) + KEEP_COUNTS, newest))  # the panel's clock
            keep.execute()
        return counts

    def replace_distinct_sets(self, source_id: str, metric: str, members: dict[int, set[str]],
                              asked: list[int], now: datetime,
                              retention: timedelta) -> None:  # fmt: skip
        """Set the distinct members of the asked buckets (a source that can ask a span again):
        each asked bucket holds exactly its members afterwards, none when it has none."""
        pipe = self.redis.pipeline(transaction=True)
        for day in {datetime.fromtimestamp(start, UTC).date() for start in asked}:
            for earlier in (day - timedelta(days=n) for n in range(KEEP_COUNTS.days)):
                pipe.delete(self.keys.distinct_windows(source_id, metric, earlier))  # stale
        for start in asked:
            key = self.keys.distinct_bucket(source_id, metric, start)
            pipe.delete(key)
            if members.get(start):
                pipe.sadd(key, *members[start])
                pipe.expire(key, ttl(datetime.fromtimestamp(start, UTC) + retention, now))
        pipe.execute()


def days_between(start: datetime, end: datetime) -> list[date]:
    first, last = start.astimezone(UTC).date(), end.astimezone(UTC).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def time_of(item: str) -> str | None:
    """The `ts` of a stored attempt without decoding it (they are written with `ts` first),
    or None when the text is not of that form: a day's list is read whole for one hour."""
    if not item.startswith('{"ts":"'):
        return None
    end = item.find('"', 7)
    text = item[7:end]
    return None if end < 0 or "\\" in text else text
