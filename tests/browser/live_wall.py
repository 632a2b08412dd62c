"""A wall served by `socwall serve` for the browser tests, over data computed once per session.

Computing a wall (generating weeks of data, running every job) costs more than most browser
tests that read it, so a session computes each kind once and every module serves a copy of
those keys under a prefix of its own: a module that writes (stops the server, marks a source
blind, locks out a user) reaches no other module."""

from pathlib import Path

import redis
import yaml

from socwall.dashboard.clock import Clock
from socwall.dashboard.config import load_config
from socwall.dashboard.jobs import run_all_once, run_panel, run_source
from socwall.dashboard.store import Store
from tests.conftest import Served


class LiveWall:
    """`socwall serve` (gunicorn) in its own process group: stop() kills it like a crash."""

    def __init__(self, config, config_path: Path, store):
        self.config, self.config_path, self.store = config, config_path, store
        self.served = None

    @property
    def url(self) -> str:
        return self.served.url

    def start(self):
        """Serve on a free port; after stop(), on the same port again (the pages stay open)."""
        port = self.served.port if self.served else None
        log = self.config_path.with_name(f"{self.config_path.stem}-serve-{port or 'first'}.log")
        self.served = Served(self.config_path, log, "--workers", "1", port=port)

    def stop(self):
        self.served.stop()

    def refresh(self, page: str | None = None):
        """Run every job once, as the worker would; with `page`, every source and only that
        page's panels (a test that shows one page needs no other computed again)."""
        if page is None:
            run_all_once(self.config, self.store, Clock())
            return
        clock = Clock()
        for source_id in self.config.sources:
            run_source(self.config, source_id, self.store, clock)
        for panel in next(p for p in self.config.pages if p.id == page).panels:
            run_panel(self.config, panel, self.store, clock)

    @classmethod
    def started(cls, raw: dict, data_dir: Path, write_data) -> "LiveWall":
        """`raw` saved as data_dir/wall.yaml, write_data(config) for its sources, every job run
        once, then `socwall serve` started on it."""
        live = cls.configured(raw, data_dir / "wall.yaml")
        write_data(live.config)
        live.refresh()
        live.start()
        return live

    @classmethod
    def copied(cls, raw: dict, config_path: Path, computed: Store) -> "LiveWall":
        """`raw` saved at config_path and served over a copy of the keys `computed` holds (its
        jobs already run on the same sources) under raw's own store prefix."""
        live = cls.configured(raw, config_path)
        copy_keys(computed.redis, computed.keys.prefix, live.config.store.prefix)
        live.start()
        return live

    @classmethod
    def configured(cls, raw: dict, config_path: Path) -> "LiveWall":
        """`raw` saved at config_path, loaded as `socwall serve` will load it; not started."""
        config_path.write_text(yaml.safe_dump(raw, sort_keys=False))
        config = load_config(config_path)
        return cls(config, config_path, Store(jobs_client(raw["store"]["url"]), config.store.prefix))


def jobs_client(url: str) -> redis.Redis:
    """A client for the tests' own jobs: redis-py's default 5 s read timeout fails a session's
    shared computation on a loaded CI machine (one flow rollup transaction took longer)."""
    return redis.Redis.from_url(url, decode_responses=True, socket_timeout=60)


def copy_keys(client: redis.Redis, source: str, target: str) -> None:
    """Every key under the prefix `source` copied under `target`, with its expiry time."""
    keys = list(client.scan_iter(f"{source}:*", count=1000))
    assert keys, f"nothing computed under {source}"
    with client.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.copy(key, target + key[len(source):], replace=True)
        assert all(pipe.execute()), f"a key of {source} vanished while it was copied"
