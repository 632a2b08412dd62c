"""Sentinel and cluster URLs: what they parse to, and config errors that name store.url."""

import inspect
from datetime import date
from pathlib import Path

import pytest

from socwall.dashboard.config import StoreConfig
from socwall.dashboard.redis_urls import MultiHostUrl, parse_multi_host_url
from socwall.dashboard.store import Store, describe_url
from socwall.keys import Keys, hash_tagged
from tests.conftest import events_config
from tests.dashboard.test_config import problems_of


def store_problems(**store) -> list[str]:
    raw = events_config(Path("."), "redis://h:6379/0", "p")
    raw["store"].update(store)
    return problems_of(raw)


def test_sentinel_url_forms():
    assert parse_multi_host_url("redis+sentinel://s1:26380,s2,[::1]:26381/main/2") == MultiHostUrl(
        "sentinel", False, [("s1", 26380), ("s2", 26379), ("::1", 26381)], None, "main", 2
    )
    parsed = parse_multi_host_url("rediss+sentinel://:p%40ss@s1:26379/main")
    assert (parsed.tls, parsed.password, parsed.service, parsed.db) == (True, "p@ss", "main", 0)


def test_cluster_url_forms():
    parsed = parse_multi_host_url("redis+cluster://n1:7000,n2")
    assert parsed == MultiHostUrl("cluster", False, [("n1", 7000), ("n2", 6379)], None)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("redis+sentinel://s1:26379", "expected redis+sentinel://host:port[,host:port]/service"),
        ("redis+sentinel://s1:26379/main/x", "the database after the service name is a number"),
        ("redis+sentinel://s1:port/main", "port of s1 is not a number"),
        ("redis+sentinel://s1,,s2/main", "needs host:port[,host:port], got an empty host"),
        ("redis+sentinel://s1/main?ssl=true", "take no query options"),
        ("redis+cluster://n1:7000/0", "a Redis Cluster has no databases or names: drop /0"),
        ("redis+cluster://wall:pw@n1", "take a password only (':password@'), not a user name"),
        ("sentinel://s1/main", "expected a redis://, rediss://, unix://, redis+sentinel://"),
    ],
)
def test_bad_urls_are_named_by_their_key(url, message):
    [problem] = store_problems(url=url)
    assert problem.startswith("store.url: ") and message in problem


def test_cluster_keys_are_opt_in_and_required_on_a_cluster():
    assert StoreConfig(url="redis://h:6379/0").key_prefix == "socwall"  # existing data kept
    assert StoreConfig(url="redis+sentinel://h/main").key_prefix == "socwall"
    assert StoreConfig(url="redis+cluster://h").key_prefix == "{socwall}"
    assert StoreConfig(url="redis://proxy:6379", cluster_keys=True).key_prefix == "{socwall}"
    [problem] = store_problems(url="redis+cluster://h", cluster_keys=False)
    assert problem.startswith("store.cluster_keys: ")


def test_every_key_carries_the_tag_so_one_slot_holds_them_all():
    """Every key method, called with sample arguments: a key that bypassed the prefix would land
    in another slot, and a transaction with it would fail on a cluster."""
    keys = Keys(hash_tagged("wall"))
    samples = {"day": date(2026, 1, 2), "bucket_start": 1700000000}
    methods = [m for name, m in inspect.getmembers(keys, inspect.ismethod) if name[0] != "_"]
    names = [
        method(*(samples.get(p, "x") for p in inspect.signature(method).parameters))
        for method in methods
    ]
    assert len(names) >= 19  # the keys of today; new ones are checked as they come
    assert all(name.startswith("{wall}:") for name in names), names


def test_the_password_never_shows():
    config = StoreConfig(url="redis+sentinel://:hunter2@s1:26379,s2:26379/main")
    assert describe_url(config) == "redis+sentinel://s1:26379,s2:26379/main"


def test_history_under_the_plain_prefix_is_found(store):
    """What the worker warns about when cluster_keys is switched on over existing history."""
    assert not store.has_history_under(store.keys.prefix)
    store.redis.incr(store.keys.leader_epoch())  # a worker led here once
    tagged = Store(store.redis, hash_tagged(store.keys.prefix))
    assert tagged.has_history_under(store.keys.prefix)
    assert not tagged.has_history_under(tagged.keys.prefix)
