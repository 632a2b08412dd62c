"""Hourly rollups of the flow buckets: a long window reads one rollup per hour, not 12 blobs,
and of it only what the panel needs: host sums to rank, the peers of the hosts it shows.

Each hour's rollup is a hash: `hosts`, its buckets' blobs summed per host; `pairs:<host>`,
that host's peers summed; `blobs`, how many blobs it sums; `format`. A reader uses it only
while the hour's buckets hold exactly that many blobs; else (a push since, a bucket replaced,
data older than rollups, a bucket expired) it reads the buckets themselves. A writer rebuilds
the hours it touched after its commit, and a source that replaces buckets deletes their hours'
rollups in the same transaction, so a rollup that is read always sums what the buckets hold:
both paths give the same sums over the hour. A rollup of an older layout (no `format`) is
never read: its hour is read from the buckets until it is rebuilt or expires.
"""

import json
from datetime import UTC, datetime, timedelta

import pandas as pd
from redis import WatchError

from socwall.feeds.flow_sums import PAIR_SUMS, blob_columns, summed_pairs
from socwall.file_commit import StaleRead, ttl

HOUR = 3600
FORMAT = "hosts-1"  # the layout above; a rollup without it is read from its buckets
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
            write.hset(key, mapping={"blobs": len(blobs), "format": FORMAT, **hour_fields(blobs)})
            write.expire(key, ttl(datetime.fromtimestamp(hour, UTC) + retention, now))
    write.execute()


def hour_fields(blobs: list[str]) -> dict[str, str]:
    """An hour's blobs summed: per host (`hosts`), and per peer of each host (`pairs:<host>`)."""
    pairs = summed_pairs(blobs)
    hosts = pairs.groupby("host", sort=True)[list(PAIR_SUMS)].sum().reset_index()
    fields = {"hosts": _json(hosts, "host")}
    for host, group in pairs.groupby("host", sort=True):
        fields[f"pairs:{host}"] = _json(group, "peer")
    return fields


def _json(frame: pd.DataFrame, name: str) -> str:
    return json.dumps({name: frame[name].astype(str).tolist(),
                       **{c: frame[c].astype("int64").tolist() for c in PAIR_SUMS}})  # fmt: skip


def host_sums(redis, keys, source_id: str, windows: list[list[int]],
              bucket_s: int) -> list[pd.DataFrame]:  # fmt: skip
    """Per window (a list of bucket starts), its pairs summed per host: columns host, bytes,
    connections, bytes_opened, opened; an hour wholly inside the window from its rollup."""
    rolled, plain = _read(redis, keys, source_id, windows, bucket_s, ["hosts"])
    columns = {c: [] for c in ("window", "host", *PAIR_SUMS)}
    for window, _hour, (hosts,) in rolled:
        _extend(columns, json.loads(hosts), window=window)
    for window, _start, blobs in plain:
        for blob in blobs:
            _extend(columns, blob_columns(blob), window=window)
    sums = pd.DataFrame(columns).groupby(["window", "host"])[list(PAIR_SUMS)].sum()
    found = set(sums.index.get_level_values("window"))
    empty = pd.DataFrame(columns=["host", *PAIR_SUMS])
    return [sums.loc[w].reset_index() if w in found else empty for w in range(len(windows))]


def host_pairs(redis, keys, source_id: str, window: list[int], bucket_s: int,
               hosts: list[str]) -> pd.DataFrame:  # fmt: skip
    """The (bucket, host, peer) sums of these hosts in the window's buckets; an hour wholly
    inside the window from its rollup (its rows carry the hour's start as `bucket`)."""
    columns = {c: [] for c in ("bucket", "host", "peer", *PAIR_SUMS)}
    if hosts:
        fields = [f"pairs:{host}" for host in hosts]
        rolled, plain = _read(redis, keys, source_id, [window], bucket_s, fields)
        for _window, hour, values in rolled:
            for host, found in zip(hosts, values, strict=True):
                if found:
                    peers = json.loads(found)
                    _extend(columns, {**peers, "host": [host] * len(peers["peer"])}, bucket=hour)
        wanted = set(hosts)
        for _window, start, blobs in plain:
            for blob in blobs:
                _extend(columns, _only(blob_columns(blob), wanted), bucket=start)
    return pd.DataFrame(columns)


def _only(columns: dict[str, list], hosts: set[str]) -> dict[str, list]:
    """The rows of these hosts."""
    rows = [i for i, host in enumerate(columns["host"]) if host in hosts]
    return {name: [values[i] for i in rows] for name, values in columns.items()}


def _extend(columns: dict[str, list], found: dict[str, list], **constant) -> None:
    """Append a blob's columns (those in `columns`) and a constant column to `columns`."""
    rows = len(found["host"])
    for name, values in columns.items():
        values.extend(found[name] if name in found else [constant[name]] * rows)


# One round trip for every hour instead of 1 + 12 commands each. KEYS: per hour its rollup,
# then its ARGV[1] buckets; ARGV[2] the format, then the fields wanted. Per hour: {} when its
# buckets hold nothing, the fields when the rollup sums what they hold, else nil (read them).
CHECKED_FIELDS = """
local per, wanted, out = tonumber(ARGV[1]), {unpack(ARGV, 3)}, {}
for i = 1, #KEYS, per + 1 do
  local held = 0
  for k = i + 1, i + per do held = held + redis.call('LLEN', KEYS[k]) end
  local head = redis.call('HMGET', KEYS[i], 'blobs', 'format')
  if held == 0 then
    out[#out + 1] = {}
  elseif head[2] == ARGV[2] and tonumber(head[1]) == held then
    out[#out + 1] = redis.call('HMGET', KEYS[i], unpack(wanted))
  else
    out[#out + 1] = false
  end
end
return out
"""


def _read(redis, keys, source_id: str, windows: list[list[int]], bucket_s: int,
          fields: list[str]) -> tuple[list, list]:  # fmt: skip
    """(window, hour, values of `fields`) of each hour wholly inside a window whose rollup sums
    what its buckets hold, and (window, start, blobs) of every other bucket of the windows."""
    whole, plain = _split(windows, bucket_s)
    names = [name for _window, hour, starts in whole
             for name in (keys.flow_hour(source_id, hour),
                          *(keys.flow_bucket(source_id, start) for start in starts))]  # fmt: skip
    args = [HOUR // bucket_s, FORMAT, *fields]
    found = redis.register_script(CHECKED_FIELDS)(keys=names, args=args) if whole else []
    rolled = []
    for (window, hour, starts), values in zip(whole, found, strict=True):
        if values is None:
            plain.extend((window, start) for start in starts)
        elif values:
            rolled.append((window, hour, values))
    read = redis.pipeline(transaction=False)
    for _window, start in plain:
        read.lrange(keys.flow_bucket(source_id, start), 0, -1)
    lists = read.execute() if plain else []
    return rolled, [(w, start, blobs) for (w, start), blobs in zip(plain, lists, strict=True)]


def _split(windows: list[list[int]], bucket_s: int) -> tuple[list, list]:
    """(window, hour, its bucket starts) of the hours wholly inside a window, when this bucket
    size rolls up, and (window, start) of the other buckets."""
    whole, plain = [], []
    for index, window in enumerate(windows):
        if not rolls(bucket_s):
            plain.extend((index, start) for start in window)
            continue
        inside = set(window)
        for hour in hours_of(window, bucket_s):
            starts = list(range(hour, hour + HOUR, bucket_s))
            if all(start in inside for start in starts):
                whole.append((index, hour, starts))
            else:
                plain.extend((index, start) for start in starts if start in inside)
    return whole, plain


def consistently(redis, keys, source_id: str, windows: list[list[int]], bucket_s: int,
                 read, tries: int = 5):  # fmt: skip
    """`read()` (host sums, then the pairs of the hosts they rank) as of one state of the
    shown window: its buckets and rollups are WATCHed while it runs, and it runs again when one
    changed (a push, a rebuilt hour), so a host's peers are never newer than its rank. Only the
    first window's keys: Redis checks each watched key against those watched before it, and the
    8,700 keys of a 7-day window and the three before it made the refresh 2.9x slower."""
    shown = windows[0]
    names = [keys.flow_bucket(source_id, start) for start in shown]
    names += [keys.flow_hour(source_id, hour) for hour in hours_of(shown, bucket_s)]
    for _ in range(tries):
        with redis.pipeline(transaction=True) as pipe:
            pipe.watch(*names)
            found = read()
            pipe.multi()
            pipe.exists(names[0])  # EXEC answers nothing when a watched key changed meanwhile
            try:
                pipe.execute()
            except WatchError:
                continue
            return found
    raise StaleRead(f"the flow buckets of {source_id} kept changing while read ({tries} times)")


def frame_of(blobs: list[tuple[int, str]]) -> pd.DataFrame:
    """One row per (bucket, host, peer) entry of (bucket start, blob) pairs."""
    frames = [pd.DataFrame(json.loads(blob)).assign(bucket=start) for start, blob in blobs]
    if not frames:
        return pd.DataFrame(columns=EMPTY_COLUMNS)
    return pd.concat(frames, ignore_index=True)
