"""The store: Redis (or the embedded fakeredis) holding panel payloads, source state and history."""

import hashlib
import json
import logging
from datetime import UTC, datetime

import pandas as pd
import redis

from dashboard.config import StoreConfig
from dashboard.keys import Keys

log = logging.getLogger(__name__)
StoreUnavailable = redis.exceptions.RedisError  # what every store call raises when Redis is gone


def connect(config: StoreConfig) -> redis.Redis:
    """A client for store.url, or an in-process fakeredis when no URL is configured."""
    if config.url is None:
        import fakeredis

        return fakeredis.FakeRedis(decode_responses=True)
    password = config.password.get_secret_value() if config.password else None
    timeout = config.timeout.total_seconds()
    return redis.Redis.from_url(
        config.url,
        password=password or None,
        decode_responses=True,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        health_check_interval=30,
    )


def describe_url(config: StoreConfig) -> str:
    """The store URL without any password, for logs and /healthz."""
    if config.url is None:
        return "embedded (in-process, not shared)"
    scheme, _, rest = config.url.partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}"


class Store:
    """Typed reads and writes of socwall's keys; every method is one or two round trips."""

    def __init__(self, client: redis.Redis, prefix: str = "socwall"):
        self.redis, self.keys = client, Keys(prefix)

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

    def file_positions(self, source_id: str) -> dict[str, str]:
        """path -> JSON position of every file the source has read."""
        return self.redis.hgetall(self.keys.source_files(source_id))

    def covered_since(self, source_id: str) -> datetime | None:
        """The earliest bucket the source ever read: history before it is unknown, not zero."""
        score = self.redis.zscore(self.keys.source_coverage(source_id), "oldest")
        return None if score is None else datetime.fromtimestamp(score, UTC)

    # metric history ---------------------------------------------------------
    def add_metric_buckets(
        self,
        source_id: str,
        buckets: dict[str, dict[int, float]],
        positions: dict[str, str],
        cutoff: datetime,
        oldest: int | None,
    ) -> None:
        """Add bucket values and move file positions in one transaction: no double counting."""
        pipe = self.redis.pipeline(transaction=True)
        for metric, values in buckets.items():
            key = self.keys.metric(source_id, metric)
            for start, value in values.items():
                if start >= cutoff.timestamp():
                    pipe.hincrbyfloat(key, str(start), value)
        if positions:
            pipe.hset(self.keys.source_files(source_id), mapping=positions)
        if oldest is not None:
            pipe.zadd(self.keys.source_coverage(source_id), {"oldest": oldest}, lt=True)
        pipe.execute()

    def trim_metric(self, source_id: str, metric: str, cutoff: datetime) -> int:
        """Drop buckets older than the retention cutoff; returns how many went."""
        key = self.keys.metric(source_id, metric)
        old = [f for f in self.redis.hkeys(key) if int(f) < cutoff.timestamp()]
        return self.redis.hdel(key, *old) if old else 0

    def metric_series(
        self, source_id: str, metric: str, start: datetime, end: datetime
    ) -> pd.Series:
        """Bucket values with start <= bucket < end, indexed by UTC bucket start."""
        raw = self.redis.hgetall(self.keys.metric(source_id, metric))
        lo, hi = start.timestamp(), end.timestamp()
        pairs = sorted((int(k), float(v)) for k, v in raw.items() if lo <= int(k) < hi)
        index = pd.to_datetime([k for k, _ in pairs], unit="s", utc=True)
        return pd.Series([v for _, v in pairs], index=index, dtype=float)


def payload_version(data: dict) -> str:
    """A short hash of a payload: screens re-render only when it changes."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha1(text.encode()).hexdigest()[:16]
