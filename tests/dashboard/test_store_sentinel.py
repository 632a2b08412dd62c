"""socwall's store through a real Redis Sentinel: the master dies, the store follows the new one."""

import time
from datetime import timedelta

import pytest
import redis

from socwall.dashboard.config import StoreConfig
from socwall.dashboard.leader import Leader
from socwall.dashboard.store import Store, StoreUnavailable, connect, describe_url
from tests.conftest import start_redis_server
from tests.redis_nodes import (
    SERVICE,
    make_tls_files,
    port_of,
    start_sentinel,
    start_with_tls_port,
    stop,
    tls_settings,
    wait_for,
)

MASTER_PASSWORD, SENTINEL_PASSWORD = "master-secret", "sentinel-secret"


@pytest.fixture
def sentinel_setup(tmp_path):
    """A master, its replica and one sentinel (quorum 1), all with passwords, on free ports."""
    auth = ("--requirepass", MASTER_PASSWORD, "--masterauth", MASTER_PASSWORD)
    (tmp_path / "master").mkdir()
    (tmp_path / "replica").mkdir()
    started = []
    try:
        master, master_url = start_redis_server(tmp_path / "master", *auth)
        started.append(master)
        replica, replica_url = start_redis_server(
            tmp_path / "replica", *auth, "--replicaof", "127.0.0.1", str(port_of(master_url))
        )
        started.append(replica)
        sentinel, sentinel_port = start_sentinel(tmp_path, port_of(master_url), MASTER_PASSWORD,
                                                 SENTINEL_PASSWORD)  # fmt: skip
        started.append(sentinel)
        yield {"master": master, "master_url": master_url, "replica_url": replica_url,
               "sentinel_port": sentinel_port}  # fmt: skip
    finally:
        stop(started)


def _replica_known(sentinel: redis.Redis) -> bool:
    """The sentinel lists the replica, linked to the master: a failover can promote it."""
    replicas = sentinel.sentinel_slaves(SERVICE)
    return any(r["master-link-status"] == "ok" and not r["is_odown"] and not r["is_sdown"]
               for r in replicas)  # fmt: skip


def test_store_writes_to_the_new_master_after_the_old_one_dies(sentinel_setup, prefix):
    port = sentinel_setup["sentinel_port"]
    config = StoreConfig(
        url=f"redis+sentinel://127.0.0.1:{port}/{SERVICE}",
        password=MASTER_PASSWORD,
        sentinel_password=SENTINEL_PASSWORD,
        timeout="1s",
    )
    assert config.key_prefix == "socwall"  # no hash tag unless asked: key names unchanged
    store = Store(connect(config), prefix)
    sentinel = redis.Redis(port=port, password=SENTINEL_PASSWORD, decode_responses=True)
    master = redis.Redis.from_url(sentinel_setup["master_url"], password=MASTER_PASSWORD)
    replica = redis.Redis.from_url(
        sentinel_setup["replica_url"], password=MASTER_PASSWORD, decode_responses=True
    )
    wait_for(lambda: _replica_known(sentinel), 15, "the sentinel to see the replica")
    store.write_panel("before", {"status": "ok"}, {"value": 1})
    leader = Leader(store.redis, store.keys, timedelta(seconds=5), "w1")
    assert leader.tick() and leader.epoch == 1
    assert master.wait(1, 2000) == 1  # replicated before the master dies: nothing to lose

    sentinel_setup["master"].kill()
    killed = time.monotonic()
    def written_after_failover() -> bool:  # redis-py retries ~4 s, then raises: poll on
        try:
            store.write_panel("after", {"status": "ok"}, {"value": 2})
            return True
        except StoreUnavailable:
            return False

    wait_for(written_after_failover, 20, "a store write after the failover")
    recovered_in = time.monotonic() - killed
    print(f"store writable again {recovered_in:.1f} s after the master was killed")
    assert replica.info("replication")["role"] == "master"  # the replica took over...
    assert replica.hget(f"{prefix}:panel:after", "data") == '{"value":2}'  # ...and got it
    assert store.panel_data("before") == {"value": 1}  # history survives the failover
    assert store.panel_data("after") == {"value": 2}
    assert leader.tick() and leader.epoch == 1  # the lock moved with the data: same leader
    assert "secret" not in describe_url(config)


def test_sentinel_url_with_password_and_database(sentinel_setup, prefix):
    port = sentinel_setup["sentinel_port"]
    config = StoreConfig(
        url=f"redis+sentinel://:{MASTER_PASSWORD}@127.0.0.1:1,127.0.0.1:{port}/{SERVICE}/3",
        sentinel_password=SENTINEL_PASSWORD,
    )  # the first sentinel address is dead: the next one answers
    store = Store(connect(config), prefix)
    store.write_panel("p", {"status": "ok"}, {"value": 7})
    direct = redis.Redis.from_url(
        sentinel_setup["master_url"].replace("/0", "/3"), password=MASTER_PASSWORD
    )
    assert direct.exists(f"{prefix}:panel:p") == 1
    assert describe_url(config) == f"redis+sentinel://127.0.0.1:1,127.0.0.1:{port}/{SERVICE}/3"


def test_rediss_sentinel_speaks_tls_to_the_sentinel_and_the_master(tmp_path, prefix, monkeypatch):
    """The sentinel listens on TLS only and names the master's TLS port; the client trusts the
    test CA the way a deployment trusts its own: through the system's CA file."""
    tls = make_tls_files(tmp_path)
    (tmp_path / "master").mkdir()
    options = [arg for name, value in tls_settings(tls) for arg in (f"--{name}", value)]
    master, master_url, tls_port = start_with_tls_port(
        tmp_path / "master", "--requirepass", MASTER_PASSWORD, *options)  # fmt: skip
    started = [master]
    try:
        sentinel, port = start_sentinel(tmp_path, tls_port, MASTER_PASSWORD, SENTINEL_PASSWORD,
                                        tls)  # fmt: skip
        started.append(sentinel)
        monkeypatch.setenv("SSL_CERT_FILE", str(tls / "ca.crt"))
        config = StoreConfig(
            url=f"rediss+sentinel://127.0.0.1:{port}/{SERVICE}",
            password=MASTER_PASSWORD,
            sentinel_password=SENTINEL_PASSWORD,
        )
        store = Store(connect(config), prefix)
        store.write_panel("p", {"status": "ok"}, {"value": 3})
        assert store.panel_data("p") == {"value": 3}
        plain = redis.Redis.from_url(master_url, password=MASTER_PASSWORD)
        assert plain.hget(f"{prefix}:panel:p", "data") == b'{"value":3}'
        clear_text = StoreConfig(url=f"redis+sentinel://127.0.0.1:{port}/{SERVICE}", timeout="1s",
                                 password=MASTER_PASSWORD, sentinel_password=SENTINEL_PASSWORD)
        with pytest.raises(StoreUnavailable):  # the sentinel speaks TLS only
            Store(connect(clear_text), prefix).panel_data("p")
    finally:
        stop(started)
