"""Hourly rollups of the flow buckets: a long window reads one blob per hour, not 12.

Each hour's rollup is its buckets' blobs summed per host and peer, stored with how many blobs
it sums. A reader uses it only while the hour's buckets hold exactly that many blobs; else (a
push since, a bucket replaced, data older than rollups, a bucket expired) it reads the buckets
themselves. A writer rebuilds the hours it touched after its commit, and a source that replaces
buckets deletes their hours' rollups in the same transaction, so a rollup that is read always
sums what the buckets hold: the two paths give the same pairs, summed over the hour.
"""

import json
from datetime import UTC, datetime, timedelta

import pandas as pd

from socwall.feeds.flow_sums import sum_blobs
from socwall.file_commit import ttl

HOUR = 3600
EMPTY_COLUMNS = ["host", "peer", "bytes", "connections", "bucket"]


def rolls(bucket_s: int) -> bool:
    """Rollups help when an hour is several buckets."""
    return bucket_s < HOUR and HOUR % bucket_s == 0


def hours_of(buckets, bucket_s: int) -> list[int]:
    """The hours these bucket starts fall in, when this bucket size rolls up."""
    return sorted({int(b) // HOUR * HOUR for b in buckets}) if rolls(bucket_s) else []


def rebuild(redis, keys, source_id: str, hours: list[int], bucket_s: int, now: datetime,
            retention: timedelta) -> None:  # fmt: skip
    """Sum each hour's bucket blobs into its rollup (one writer per source: the leader)."""
    if not hours or not rolls(bucket_s):
        return
    per_hour = HOUR // bucket_s
    read = redis.pipeline(transaction=False)
    for hour in hours:
        for start in range(hour, hour + HOUR, bucket_s):
            read.lrange(keys.flow_bucket(source_id, start), 0, -1)
    lists = read.execute()
    write = redis.pipeline(transaction=True)
    for i, hour in enumerate(hours):
        blobs = [blob for found in lists[i * per_hour : (i + 1) * per_hour] for blob in found]
        key = keys.flow_hour(source_id, hour)
        write.delete(key)
        if blobs:
            write.hset(key, mapping={"pairs": sum_blobs(blobs), "blobs": len(blobs)})
            write.expire(key, ttl(datetime.fromtimestamp(hour, UTC) + retention, now))
    write.execute()


def read_windows(redis, keys, source_id: str, windows: list[list[int]], bucket_s: int):
    """Host/peer sums of the windows' buckets: an hour wholly inside one window from its
    rollup (its rows carry the hour's start as `bucket`), any other bucket from its blobs."""
    wanted, plain = [], []
    for window in windows:
        inside = set(window)
        for hour in hours_of(window, bucket_s):
            starts = list(range(hour, hour + HOUR, bucket_s))
            if all(s in inside for s in starts):
                wanted.append((hour, starts))
            else:
                plain.extend(s for s in starts if s in inside)
    if not rolls(bucket_s):
        plain = [b for window in windows for b in window]
    check = redis.pipeline(transaction=False)
    for hour, starts in wanted:
        check.hmget(keys.flow_hour(source_id, hour), ["blobs", "pairs"])
        for start in starts:
            check.llen(keys.flow_bucket(source_id, start))
    found = check.execute()
    rolled, step = [], 1 + HOUR // bucket_s
    for i, (hour, starts) in enumerate(wanted):
        (count, pairs), lengths = found[i * step], found[i * step + 1 : (i + 1) * step]
        if int(count or 0) == sum(lengths):
            rolled.extend([(hour, pairs)] if pairs else [])
        else:
            plain.extend(starts)
    read = redis.pipeline(transaction=False)
    for start in plain:
        read.lrange(keys.flow_bucket(source_id, start), 0, -1)
    blobs = rolled + [(start, blob) for start, found in zip(plain, read.execute(), strict=True)
                      for blob in found]  # fmt: skip
    return frame_of(blobs)


def frame_of(blobs: list[tuple[int, str]]) -> pd.DataFrame:
    """One row per (bucket, host, peer) entry of (bucket start, blob) pairs."""
    frames = [pd.DataFrame(json.loads(blob)).assign(bucket=start) for start, blob in blobs]
    if not frames:
        return pd.DataFrame(columns=EMPTY_COLUMNS)
    return pd.concat(frames, ignore_index=True)
