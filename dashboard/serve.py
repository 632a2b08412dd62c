"""`socwall serve`: the Dash app under gunicorn, each worker process with its own store client."""

from gunicorn.app.base import BaseApplication
from socwall.dashboard.app import create_app
from socwall.dashboard.config import load_config
from socwall.dashboard.store import Store, connect


class WallServer(BaseApplication):
    """gunicorn running create_app(); the app is built in each worker, after the fork."""

    def __init__(self, config_path: str, now: str | None, options: dict):
        self.config_path, self.now, self.options = config_path, now, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from socwall.dashboard.cli import make_clock

        config = load_config(self.config_path)
        store = Store(connect(config.store), config.store.key_prefix)
        return create_app(config, store, make_clock(config, self.now, store)).server


def serve(config_path: str, now: str | None, host: str, port: int, workers: int) -> None:
    """Serve until stopped; threads per worker keep slow polls from queueing behind each other."""
    options = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "threads": 4,
        "worker_class": "gthread",
        "timeout": 30,
        "graceful_timeout": 10,
        "accesslog": None,
    }
    WallServer(config_path, now, options).run()
