"""Renaming a wall's keys to the cluster hash tag: values and TTLs kept, nothing overwritten."""

import pytest

from socwall.dashboard.key_migration import WorkersRunning, tag_keys
from socwall.keys import hash_tagged


def test_keys_move_under_the_tag_with_their_ttl_and_nothing_is_overwritten(store, prefix):
    client, tagged = store.redis, hash_tagged(prefix)
    client.hset(f"{prefix}:panel:p", "data", "{}")
    client.set(f"{prefix}:leader:epoch", 4)
    client.set(f"{prefix}:worker:w", "beat", ex=100)
    client.set(f"{prefix}:store:notice", "old")
    client.set(f"{tagged}:store:notice", "new")  # already there: left alone
    client.set(f"other{prefix}:panel:p", "another wall")
    assert tag_keys(client, prefix) == (3, 1)
    assert client.hget(f"{tagged}:panel:p", "data") == "{}"
    assert client.get(f"{tagged}:leader:epoch") == "4"
    assert 90 < client.ttl(f"{tagged}:worker:w") <= 100
    assert client.get(f"{tagged}:store:notice") == "new"
    assert client.get(f"other{prefix}:panel:p") == "another wall"
    assert tag_keys(client, prefix) == (0, 1)  # again: only the one it cannot move
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)


def test_refused_while_a_worker_leads(store, prefix):
    store.redis.set(f"{prefix}:leader", "host:42", ex=30)
    with pytest.raises(WorkersRunning, match="worker host:42 leads"):
        tag_keys(store.redis, prefix)
    assert store.redis.exists(f"{prefix}:leader")
