"""`socwall serve`: the Dash app under gunicorn, each worker process with its own store client.

The config is loaded and validated in the arbiter (gunicorn's master process) and reaches the
workers by fork, so a worker never reads the file and an invalid file cannot stop one from
booting. SIGHUP or a changed file: the arbiter re-reads the file; when the config in force or
the reported problem changed, it starts fresh workers and stops the old ones gracefully.
"""

import logging
import signal
import time
import warnings

from gunicorn import glogging
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter

from socwall.dashboard.app import create_app
from socwall.dashboard.body_deadline import WORKER_CONNECTIONS, room_for_connections
from socwall.dashboard.clock import make_clock
from socwall.dashboard.config_watch import POLL_SECONDS, ConfigWatch
from socwall.dashboard.store import Store, connect


class WallServer(BaseApplication):
    """gunicorn running create_app(); the app is built in each worker, after the fork."""

    def __init__(self, watch: ConfigWatch, now: str | None, options: dict):
        self.watch, self.now, self.options = watch, now, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        # run again by every reload, so a changed logging.access_log applies without a restart
        self.cfg.set("accesslog", "-" if self.watch.config.logging.access_log else None)
        self.cfg.set("logger_class", WallLogger)

    def load(self):
        config = self.watch.config  # the arbiter's last good config, as of this worker's fork
        store = Store(connect(config.store), config.store.key_prefix)
        clock = make_clock(config, self.now, store)
        return create_app(config, store, clock, config_problem=self.watch.problem).server

    def run(self) -> None:
        WallArbiter(self).run()


class WallLogger(glogging.Logger):
    """gunicorn's error and access lines go to socwall's one handler (plain or JSON, one
    level); an access line carries the request in ECS fields, and never its query string
    (a screen's token rides in it)."""

    def setup(self, cfg) -> None:
        self.cfg = cfg
        self._access_log_enabled = bool(cfg.accesslog)
        for log in (self.error_log, self.access_log):
            for handler in list(log.handlers):
                log.removeHandler(handler)
            log.propagate = True
            log.setLevel(logging.NOTSET)  # the root's level decides, as for every logger

    def access(self, resp, req, environ, request_time) -> None:
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        method, path = environ.get("REQUEST_METHOD", "-"), environ.get("PATH_INFO", "-")
        sent, took = getattr(resp, "sent", None), request_time.total_seconds()
        fields = {
            "http.request.method": method,
            "url.path": path,
            "http.response.status_code": int(status),
            "http.response.body.bytes": sent,
            "event.duration": round(took * 1e9),  # ECS: nanoseconds
            "client.ip": environ.get("REMOTE_ADDR"),
            "user_agent.original": environ.get("HTTP_USER_AGENT"),
        }
        self.access_log.info("%s %s %s %s B %.0f ms", method, path, status, sent, took * 1000,
                             extra={"ecs": fields})  # fmt: skip


class WallArbiter(Arbiter):
    """gunicorn's arbiter, but HUP reloads the config itself and never takes the wall down."""

    next_look = 0.0

    def handle_hup(self) -> None:
        if self.app.watch.reload():
            super().handle_hup()  # new workers fork with the new state; old ones finish

    def wait_for_signals(self, timeout=1.0):
        signals = super().wait_for_signals(timeout)
        if time.monotonic() >= self.next_look:
            self.next_look = time.monotonic() + POLL_SECONDS
            if self.app.watch.changed():
                signals.append(signal.SIGHUP)  # a changed file is handled like kill -HUP
        return signals


def serve(
    watch: ConfigWatch, now: str | None, host: str, port: int, workers: int, worker_class: str
) -> None:
    """Serve until stopped. gevent reads each request in its own greenlet, so half-sent
    requests cost no thread; see docs/operations.md, 'Running behind a reverse proxy'."""
    options = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "worker_class": worker_class,
        "timeout": 30,
        "graceful_timeout": 10,
        "accesslog": None,
        "control_socket_disable": True,
    }
    if worker_class == "gthread":
        options["threads"] = 4
    else:
        options["worker_connections"] = WORKER_CONNECTIONS
        room_for_connections(workers * WORKER_CONNECTIONS)
        # workers patch after the fork, once ssl is imported; the store's TLS goes through
        # the patched `ssl` module, not names imported from it before, so this is harmless
        warnings.filterwarnings("ignore", message="Monkey-patching ssl after ssl")
    WallServer(watch, now, options).run()
