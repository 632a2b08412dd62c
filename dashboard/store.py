"""The store: Redis (or the embedded fakeredis) holding panel payloads, source state and history."""

import hashlib
import json
import logging
import math
import secrets
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import redis
import redis.cluster

from socwall.dashboard import flow_rollups
from socwall.dashboard.config import StoreConfig
from socwall.dashboard.redis_clients import cluster_client, sentinel_client
from socwall.dashboard.redis_urls import is_multi_host, parse_multi_host_url
from socwall.dashboard.store_history import RecordHistory, days_between
from socwall.feeds.follow import FileState
from socwall.file_commit import Batch, Fence, commit_file, day_end, ttl
from socwall.keys import Keys

log = logging.getLogger(__name__)
StoreUnavailable = redis.exceptions.RedisError  # what every store call raises when Redis is gone


def connect(config: StoreConfig) -> redis.Redis:
    """A client for store.url, or an in-process fakeredis when no URL is configured."""
    if config.url is None:
        from socwall.dashboard.embedded import embedded_client

        return embedded_client()
    password = config.password.get_secret_value() if config.password else None
    timeout = config.timeout.total_seconds()
    options = {
        "decode_responses": True,
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "health_check_interval": 30,
    }
    if is_multi_host(config.url):
        url = parse_multi_host_url(config.url)
        if url.kind == "cluster":
            return cluster_client(url, password, **options)
        secret = config.sentinel_password
        return sentinel_client(url, password, secret.get_secret_value() if secret else None,
                               **options)  # fmt: skip
    return redis.Redis.from_url(config.url, password=password or None, **options)


def describe_url(config: StoreConfig) -> str:
    """The store URL without any password, for logs and /healthz."""
    if config.url is None:
        return "embedded (in-process, not shared)"
    scheme, _, rest = config.url.partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}"


class Store(RecordHistory):
    """Typed reads and writes of socwall's keys; every method is one or two round trips."""

    def __init__(self, client: redis.Redis, prefix: str = "socwall", fence: Fence | None = None):
        self.redis, self.keys, self.fence = client, Keys(prefix), fence

    def fenced(self, fence: Fence | None) -> "Store":
        """The same store whose file commits succeed only while `fence` holds the lead."""
        return Store(self.redis, self.keys.prefix, fence)

    def ping(self) -> bool:
        """True when the store answers."""
        try:
            return bool(self.redis.ping())
        except StoreUnavailable:
            return False

    # panels -----------------------------------------------------------------
    def write_panel(self, panel_id: str, meta: dict, data: dict | None) -> None:
        """Write a panel's meta; with data, replace its payload too (version = hash of data)."""
        fields = {"meta": json.dumps(meta)}
        if data is not None:
            fields["data"] = json.dumps(data, separators=(",", ":"), allow_nan=False)
        self.redis.hset(self.keys.panel(panel_id), mapping=fields)

    def panel_meta(self, panel_id: str) -> dict | None:
        """The panel's meta (status, times, version), without its payload."""
        text = self.redis.hget(self.keys.panel(panel_id), "meta")
        return json.loads(text) if text else None

    def panel_data(self, panel_id: str) -> dict | None:
        """The panel's last good payload."""
        text = self.redis.hget(self.keys.panel(panel_id), "data")
        return json.loads(text) if text else None

    # sources ----------------------------------------------------------------
    def write_source_status(self, source_id: str, status: dict) -> None:
        self.redis.set(self.keys.source_status(source_id), json.dumps(status))

    def source_status(self, source_id: str) -> dict | None:
        text = self.redis.get(self.keys.source_status(source_id))
        return json.loads(text) if text else None

    def write_document(self, source_id: str, name: str, document) -> None:
        self.redis.set(self.keys.document(source_id, name), json.dumps(document))

    def document(self, source_id: str, name: str):
        text = self.redis.get(self.keys.document(source_id, name))
        return json.loads(text) if text else None

    def fetch_state(self, source_id: str, target: str) -> dict:
        """What the last fetch of a location left: etag, last_modified, failures, next_attempt."""
        return self.redis.hgetall(self.keys.fetch_state(source_id, target))

    def write_fetch_state(self, source_id: str, target: str, state: dict) -> None:
        values = {k: ("" if v is None else str(v)) for k, v in state.items()}
        self.redis.hset(self.keys.fetch_state(source_id, target), mapping=values)

    def add_entries(self, source_id: str, entries: dict[str, dict]) -> int:
        """Store entries not seen before (by key); returns how many were new; seen: no write."""
        if not entries:
            return 0
        pipe = self.redis.pipeline(transaction=True)
        for key, entry in entries.items():  # HSETNX: two feeds fetched at once store it once
            pipe.hsetnx(self.keys.entries(source_id), key, json.dumps(entry))
        added = [key for key, new in zip(entries, pipe.execute(), strict=True) if new]
        if added:
            times = {k: datetime.fromisoformat(entries[k]["published"]).timestamp() for k in added}
            self.redis.zadd(self.keys.entry_times(source_id), times)
        return len(added)

    def entries_since(self, source_id: str, since: datetime) -> list[dict]:
        """Entries published at or after `since`, oldest first."""
        keys = self.redis.zrangebyscore(self.keys.entry_times(source_id), since.timestamp(), "+inf")
        texts = self.redis.hmget(self.keys.entries(source_id), keys) if keys else []
        return [json.loads(t) for t in texts if t]

    def drop_old_entries(self, source_id: str, cutoff: datetime) -> int:
        """Forget entries published before the cutoff (the retention window)."""
        old = self.redis.zrangebyscore(
            self.keys.entry_times(source_id), "-inf", f"({cutoff.timestamp()}"
        )
        if old:
            pipe = self.redis.pipeline(transaction=True)
            pipe.hdel(self.keys.entries(source_id), *old)
            pipe.zrem(self.keys.entry_times(source_id), *old)
            pipe.execute()
        return len(old)

    def file_states(self, source_id: str) -> dict[str, FileState]:
        """Every file state of the source, by id."""
        raw = self.redis.hgetall(self.keys.source_files(source_id))
        return {key: FileState.from_json(key, text) for key, text in raw.items()}

    def commit_file(self, source_id: str, before, after, batch: Batch) -> None:
        """Apply a file's staged writes and move its state, exactly once (see file_commit)."""
        commit_file(self.redis, self.keys, source_id, before, after, batch, self.fence)

    def file_failures(self, source_id: str) -> dict:
        """The files that failed at their last read (see Keys.source_file_failures)."""
        raw = self.redis.get(self.keys.source_file_failures(source_id))
        return json.loads(raw) if raw else {}

    def set_file_failures(self, source_id: str, failures: dict) -> None:
        """Remember the files that failed (none: the key goes)."""
        key = self.keys.source_file_failures(source_id)
        if failures.get("files"):
            self.redis.set(key, json.dumps(failures, separators=(",", ":")))
        else:
            self.redis.delete(key)

    def touch_file_states(self, source_id: str, states: list[FileState]) -> None:
        """Record that unchanged files were seen (their states then do not expire)."""
        if states:
            mapping = {state.id: state.to_json() for state in states}
            self.redis.hset(self.keys.source_files(source_id), mapping=mapping)

    def forget_file_states(self, source_id: str, ids: list[str]) -> None:
        """Drop the states of files gone for longer than the retention."""
        if ids:
            self.redis.hdel(self.keys.source_files(source_id), *ids)

    def covered_since(self, source_id: str) -> datetime | None:
        """The earliest bucket the source ever read: history before it is unknown, not zero."""
        score = self.redis.zscore(self.keys.source_coverage(source_id), "oldest")
        return None if score is None else datetime.fromtimestamp(score, UTC)

    # metric history ---------------------------------------------------------
    def add_metric_buckets(self, source_id: str, buckets: dict[str, dict[int, float]],
                           now: datetime, retention: timedelta) -> None:  # fmt: skip
        """Add bucket values that come from no file (files commit with `commit_file`).

        History is one hash per metric and UTC day, expiring `retention` after the day ends
        (on the wall's clock), so Redis enforces retention and a panel reads only its days.
        """
        batch = Batch()
        batch.metric(self.keys, source_id, buckets, now, retention)
        pipe = self.redis.pipeline(transaction=True)
        batch.apply(pipe)
        pipe.execute()

    def set_metric_values(self, source_id: str, buckets: dict[str, dict[int, float]],
                          now: datetime, retention: timedelta) -> None:  # fmt: skip
        """Set (not add) bucket values, e.g. samples a server can be asked for again; same
        per-day layout and retention as `add_metric_buckets`, coverage from the oldest value."""
        cutoff = (now - retention).timestamp()
        pipe = self.redis.pipeline(transaction=True)
        starts = [s for values in buckets.values() for s in values if s >= cutoff]
        for metric, values in buckets.items():
            per_day: dict[date, dict[str, float]] = {}
            for start, value in values.items():
                if start >= cutoff:
                    day = datetime.fromtimestamp(start, UTC).date()
                    per_day.setdefault(day, {})[str(start)] = value
            for day, fields in per_day.items():
                key = self.keys.metric_day(source_id, metric, day)
                pipe.hset(key, mapping=fields)
                pipe.expire(key, ttl(day_end(day) + retention, now))
        if starts:
            pipe.zadd(self.keys.source_coverage(source_id), {"oldest": min(starts)}, lt=True)
        pipe.execute()

    def flow_pairs(self, source_id: str, buckets: list[int]) -> pd.DataFrame:
        """Host/peer sums of these buckets, one row per (bucket, host, peer) blob entry."""
        pipe = self.redis.pipeline(transaction=False)
        for start in buckets:
            pipe.lrange(self.keys.flow_bucket(source_id, start), 0, -1)
        found = zip(buckets, pipe.execute(), strict=True)
        return flow_rollups.frame_of([(start, blob) for start, blobs in found for blob in blobs])

    def flow_host_sums(self, source_id: str, windows: list[list[int]],
                       bucket_s: int) -> list[pd.DataFrame]:  # fmt: skip
        """Per window of bucket starts, its flow pairs summed per host; whole hours from their
        hourly rollups (dashboard/flow_rollups.py)."""
        return flow_rollups.host_sums(self.redis, self.keys, source_id, windows, bucket_s)

    def flow_host_pairs(self, source_id: str, window: list[int], bucket_s: int,
                        hosts: list[str]) -> pd.DataFrame:  # fmt: skip
        """flow_pairs of these hosts only; whole hours from their rollups, dated at the hour."""
        return flow_rollups.host_pairs(self.redis, self.keys, source_id, window, bucket_s, hosts)

    def flow_consistently(self, source_id: str, windows: list[list[int]], bucket_s: int, read):
        """`read()` again until no bucket or rollup of these windows changed while it ran."""
        return flow_rollups.consistently(self.redis, self.keys, source_id, windows, bucket_s, read)

    def rollup_flow_hours(self, source_id: str, buckets, bucket_s: int, now: datetime,
                          retention: timedelta) -> None:  # fmt: skip
        """Rebuild the hourly rollups of the hours these buckets fall in, after they changed."""
        hours = flow_rollups.hours_of(buckets, bucket_s)
        flow_rollups.rebuild(self.redis, self.keys, source_id, hours, bucket_s, now, retention)

    def replace_flow_buckets(self, source_id: str, blobs: dict[int, str], emptied: list[int],
                             now: datetime, retention: timedelta) -> None:  # fmt: skip
        """Set whole flow buckets (a source that can ask a bucket again, e.g. a query source):
        each bucket in `blobs` holds that one blob afterwards, each in `emptied` nothing."""
        pipe = self.redis.pipeline(transaction=True)
        for start in emptied:
            pipe.delete(self.keys.flow_bucket(source_id, start))
        for hour in {int(start) // 3600 * 3600 for start in [*emptied, *blobs]}:
            pipe.delete(self.keys.flow_hour(source_id, hour))  # stale now: rebuilt after
        cutoff = (now - retention).timestamp()
        for start, blob in blobs.items():
            if start >= cutoff:
                key = self.keys.flow_bucket(source_id, start)
                pipe.delete(key)
                pipe.rpush(key, blob)
                pipe.expire(key, ttl(datetime.fromtimestamp(start, UTC) + retention, now))
        pipe.execute()

    # sign-in --------------------------------------------------------------
    def sign_in_failures(self, pair_id: str, since: float) -> list[float]:
        """Times (epoch s, ascending) of one pair's wrong passwords after `since`."""
        key = self.keys.sign_in_failures(pair_id)
        return [at for _, at in self.redis.zrangebyscore(key, f"({since}", "+inf", withscores=True)]

    def add_sign_in_failure(self, pair_id: str, at: float, window: timedelta, keep: int) -> None:
        """Add one wrong password; keep only the newest `keep` ones, for `window` at most."""
        key = self.keys.sign_in_failures(pair_id)
        pipe = self.redis.pipeline(transaction=False)
        pipe.zadd(key, {f"{at:.6f}:{secrets.token_hex(4)}": at})
        pipe.zremrangebyscore(key, "-inf", at - window.total_seconds())
        pipe.zremrangebyrank(key, 0, -keep - 1)
        pipe.expire(key, max(1, math.ceil(window.total_seconds())))
        pipe.execute()

    def check_persistence(self) -> str | None:
        """Record and return a warning when Redis keeps nothing on disk (no AOF, no RDB save)."""
        try:
            aof, save = self._server_config("appendonly"), self._server_config("save")
        except redis.exceptions.ResponseError:
            return None  # CONFIG disabled (managed Redis): the operator has to know
        if aof == "yes" or save.strip():
            self.redis.delete(self.keys.store_notice())
            return None
        notice = "Redis keeps no data on disk (appendonly no, save off): history lost on restart"
        self.redis.set(self.keys.store_notice(), notice)
        return notice

    def _server_config(self, name: str) -> str:
        """A CONFIG value of the server that holds this wall's keys (on a cluster: the primary
        of their one slot, not whichever node the client would ask by default)."""
        if isinstance(self.redis, redis.cluster.RedisCluster):
            node = self.redis.get_node_from_key(self.keys.leader())
            return self.redis.config_get(name, target_nodes=node).get(name, "")
        return self.redis.config_get(name).get(name, "")

    def has_history_under(self, prefix: str) -> bool:
        """True when a worker once led under `prefix` (its leader epoch is kept for good): e.g.
        the plain-prefix history a switch to hash-tagged keys (store.cluster_keys) leaves behind."""
        return bool(self.redis.exists(Keys(prefix).leader_epoch()))

    def store_notice(self) -> str | None:
        """The workers' warnings about the store (no persistence; history lost), if any."""
        notices = self.redis.mget([self.keys.store_notice(), self.keys.history_lost()])
        return " · ".join(n for n in notices if n) or None

    def running_config(self) -> dict | None:
        """The leading worker's config note (`config_version`, `config_problem`), if it leads."""
        note = self.redis.get(self.keys.running_config())
        return json.loads(note) if note else None

    def visitor_secret(self) -> bytes:
        """This deployment's pseudonym key: made once (by whoever asks first), then shared."""
        self.redis.set(self.keys.visitor_secret(), secrets.token_hex(32), nx=True)
        secret = self.redis.get(self.keys.visitor_secret())
        return secret if isinstance(secret, bytes) else secret.encode()

    def metric_series(
        self, source_id: str, metric: str, ranges: list[tuple[datetime, datetime]]
    ) -> pd.Series:
        """Bucket values with start <= bucket < end for any of the ranges, by UTC bucket start."""
        days = sorted({day for start, end in ranges for day in days_between(start, end)})
        pipe = self.redis.pipeline(transaction=False)
        for day in days:
            pipe.hgetall(self.keys.metric_day(source_id, metric, day))
        values: dict[int, float] = {}
        for raw in pipe.execute():
            values.update((int(k), float(v)) for k, v in raw.items())
        bounds = [(start.timestamp(), end.timestamp()) for start, end in ranges]
        wanted = sorted(k for k in values if any(lo <= k < hi for lo, hi in bounds))
        index = pd.to_datetime(wanted, unit="s", utc=True)
        return pd.Series([values[k] for k in wanted], index=index, dtype=float)


def payload_version(data: dict) -> str:
    """A short hash of a payload: screens re-render only when it changes."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha1(text.encode()).hexdigest()[:16]
