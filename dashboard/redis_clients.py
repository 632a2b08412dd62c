"""Clients of `redis+sentinel://` and `redis+cluster://` URLs (parsed in redis_urls.py)."""

import redis
import redis.cluster
import redis.sentinel

from socwall.dashboard.redis_urls import MultiHostUrl


def sentinel_client(url: MultiHostUrl, password: str | None, sentinel_password: str | None,
                    **options) -> redis.Redis:  # fmt: skip
    """The master of `url.service`: each new connection asks the sentinels where it is now."""
    tls = {"ssl": True} if url.tls else {}
    sentinel = redis.sentinel.Sentinel(
        url.hosts,
        sentinel_kwargs={"password": sentinel_password, **tls, **_timeouts(options)},
        password=password or url.password,
        db=url.db,
        **tls,
        **options,
    )
    return sentinel.master_for(url.service)


def cluster_client(url: MultiHostUrl, password: str | None, **options) -> redis.Redis:
    """A Redis Cluster client that follows slot moves and failovers of its nodes."""
    if not hasattr(redis.cluster, "TransactionStrategy"):
        raise RuntimeError(
            f"redis+cluster:// needs transactions in cluster pipelines: redis-py "
            f"{redis.__version__} has none, install a newer redis package"
        )
    return redis.cluster.RedisCluster(
        startup_nodes=[redis.cluster.ClusterNode(host, port) for host, port in url.hosts],
        password=password or url.password,
        ssl=url.tls,
        **options,
    )


def _timeouts(options: dict) -> dict:
    return {k: v for k, v in options.items() if k in ("socket_timeout", "socket_connect_timeout")}
