"""The `socwall` command: demo, serve, worker, run-once, check-config, schema."""

import argparse
import json
import logging
import os
import re
import signal
import sys
import threading
import time
from importlib import resources
from pathlib import Path

from socwall import __version__
from socwall.dashboard.logs import LEVELS, follow_config, setup_logging

# Each command imports what it uses when it runs (docs/operations.md, "Start-up time"): the
# parser, --version and --help stay free of the config models, Dash, pandas, pyarrow and Redis.

log = logging.getLogger("socwall")
MIN_PASSWORD_LENGTH = 8  # NIST SP 800-63B's floor for a password a person chose


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    started = time.monotonic()  # before any heavy import: `socwall demo` counts from here
    parser = build_parser()
    args = parser.parse_args(argv)
    args.started = started
    if args.log_level not in (None, *LEVELS):  # from SOCWALL_LOG_LEVEL: argparse checks no default
        parser.error(f"SOCWALL_LOG_LEVEL={args.log_level}: expected one of {', '.join(LEVELS)}")
    setup_logging(args.log_format, args.log_level)
    from socwall.dashboard.config_messages import ConfigError

    try:
        code = args.command(args)
        sys.stdout.flush()  # here, so a closed pipe is caught below and not at exit
        return code
    except BrokenPipeError:  # `socwall schema | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 141  # as a shell reports a command ended by SIGPIPE
    except ConfigError as error:
        where = getattr(args, "file", None) or getattr(args, "config", None)
        print(f"{where}: invalid configuration:", file=sys.stderr)
        for problem in error.problems:  # file-level problems name the file: said above
            print(f"  {problem.removeprefix(f'{where}: ')}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="socwall", description="SOC wall dashboard")
    parser.add_argument("--version", action="version", version=f"socwall {__version__}")
    parser.add_argument(
        "--log-format",
        choices=["plain", "json"],
        default=os.environ.get("SOCWALL_LOG_FORMAT", "plain"),
        help="plain text, or JSON lines with ECS field names (env: SOCWALL_LOG_FORMAT)",
    )
    parser.add_argument(
        "--log-level",
        choices=LEVELS,
        default=os.environ.get("SOCWALL_LOG_LEVEL") or None,
        help="debug, info, warning or error; wins over the config's logging.level (default "
        "info; env: SOCWALL_LOG_LEVEL)",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    now_help = "replay clock: an ISO timestamp such as 2013-04-01T12:00:00Z, or 'latest'"

    def command(name: str, handler, help_text: str, config: bool = True) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(command=handler)
        if config:
            sub.add_argument(
                "--config",
                default=os.environ.get("SOCWALL_CONFIG"),
                required=name != "demo" and not os.environ.get("SOCWALL_CONFIG"),
                help="path to config.yaml, or $SOCWALL_CONFIG"
                + (" (default: the demo config shipped with socwall)" if name == "demo" else ""),
            )
            sub.add_argument("--now", help=now_help)
        return sub

    demo = command(
        "demo", cmd_demo, "web + scheduler in one process on the embedded store, generated data"
    )
    _add_web_options(demo)
    demo.add_argument("--seed", type=int, default=7, help="seed of the generated data")
    demo.add_argument(
        "--ready-deadline", type=float, default=60.0, metavar="SECONDS",
        help="if the panels are not all filled this long after the start, say which are still "
        "empty (default 60)",
    )  # fmt: skip
    demo.add_argument(
        "--print-config",
        action="store_true",
        help="print the demo's config.yaml (a commented starting point for your own) and exit",
    )
    demo.add_argument(
        "--data-dir",
        default=".",
        help="where the shipped demo config writes demo-data/ (default: the current directory)",
    )
    serve = command("serve", cmd_serve, "the web app under gunicorn, reading Redis")
    _add_web_options(serve)
    serve.add_argument(
        "--workers", type=int, help="gunicorn worker processes (default: web.workers)"
    )
    serve.add_argument(
        "--worker-class",
        choices=["gevent", "gthread"],
        default="gevent",
        help="gunicorn worker class: gevent (default) holds no thread per slow client",
    )
    worker = command("worker", cmd_worker, "the schedulers; one leader at a time across workers")
    worker.add_argument(
        "--heartbeat-file",
        default=os.environ.get("SOCWALL_HEARTBEAT_FILE"),
        help="rewritten after every lock check while the store answers: a liveness probe "
        "for systemd/Kubernetes (env: SOCWALL_HEARTBEAT_FILE)",
    )
    once = command("run-once", cmd_run_once, "every job once; panel payloads on stdout; exit 1 "
                   "when a panel failed or its source failed or read nothing it recognised")
    once.add_argument("--json", action="store_true", help="print all payloads as one JSON object")
    once.add_argument("--keep-going", action="store_true",
                      help="exit 0 even when panels failed (they are still named on stderr)")
    migrate_help = "rename store.prefix's keys to its cluster hash tag, before moving to a cluster"
    command("migrate-keys", cmd_migrate_keys, migrate_help)
    check = command(
        "check-config", cmd_check_config, "validate a config file; exit 2 on problems", config=False
    )
    check.add_argument(
        "file", nargs="?", default=os.environ.get("SOCWALL_CONFIG"),
        help="path to config.yaml (default: $SOCWALL_CONFIG)",
    )  # fmt: skip
    check.add_argument("--strict", action="store_true",
                       help="exit 1 when a path or glob in the file matches no file")
    schema = command("schema", cmd_schema, "print the JSON Schema of config.yaml", config=False)
    schema.add_argument(
        "--markdown", action="store_true", help="the configuration reference page instead"
    )
    hashing = command(
        "hash-password", cmd_hash_password,
        "read a password (prompt, or stdin's first line) and print its hash for access.basic.users",
        config=False,
    )  # fmt: skip
    hashing.add_argument("--method", choices=["scrypt", "pbkdf2"], default="scrypt")
    return parser


def _add_web_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to bind (default: web.host, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default: web.port, 8050)")


def _open_store(config):
    from socwall.dashboard.store import Store, connect

    return Store(connect(config.store), config.store.key_prefix)


def cmd_check_config(args) -> int:
    from socwall.dashboard.config import env_overrides, load_config

    if not args.file:
        print("check-config: give a file or set SOCWALL_CONFIG", file=sys.stderr)
        return 2
    overrides = env_overrides(os.environ)
    for path, value in overrides.items():
        secret = ("password", "secret", "token", "users")
        shown = "<set>" if any(w in path for w in secret) else value
        if isinstance(shown, str):
            shown = re.sub(r"//[^@/]*@", "//***@", shown)  # a password inside a URL
        print(f"{args.file}: {path} = {shown!r} (from the environment)")
    config = load_config(args.file)
    from socwall.dashboard.config_access import describe_access
    from socwall.dashboard.path_check import missing_paths

    for line in describe_access(config):
        print(f"{args.file}: {line}")
    missing = missing_paths(config)
    for line in missing:  # the wall would start blind on it: said now, not found on the wall
        print(f"{args.file}: warning: {line}", file=sys.stderr)
    for line in widget_advice(config):  # warnings, not errors: the wall runs with them
        print(f"{args.file}: warning: {line}")
    print(f"{args.file}: ok")
    return 1 if missing and args.strict else 0


def widget_advice(config) -> list[str]:
    """Warnings of widgets with an `advise` hook, by YAML key ('an inventory line names no
    product of the KEV catalog')."""
    from socwall.widgets import WIDGETS

    lines = []
    for p, page in enumerate(config.pages):
        for n, panel in enumerate(page.panels):
            advise = getattr(WIDGETS.config_module(panel.widget), "advise", None)
            if advise:
                source = config.sources.get(panel.source) if panel.source else None
                key = f"pages[{p}].panels[{n}].options"
                found = advise(panel.options, source, config.sources)
                lines += [f"{key}.{k}: {m}" for k, m in found]
    return lines


def cmd_schema(args) -> int:
    from socwall.dashboard.config import WallConfig

    if args.markdown:
        from socwall.dashboard.config_reference import config_reference

        print(config_reference(), end="")
    else:
        print(json.dumps(WallConfig.model_json_schema(), indent=2))
    return 0


def cmd_hash_password(args) -> int:
    from socwall.dashboard.access import password_hash

    if sys.stdin.isatty():
        import getpass

        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("hash-password: the two passwords differ", file=sys.stderr)
            return 2
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < MIN_PASSWORD_LENGTH:
        print(f"hash-password: a password needs at least {MIN_PASSWORD_LENGTH} characters",
              file=sys.stderr)  # fmt: skip
        return 2
    print(password_hash(password, args.method))
    return 0


def cmd_run_once(args) -> int:
    from socwall.dashboard.clock import make_clock
    from socwall.dashboard.config import load_config
    from socwall.dashboard.jobs import run_all_once

    config = load_config(args.config)
    follow_config(config.logging)
    store = _open_store(config)
    clock = make_clock(config, args.now, store, frozen=True)
    run_all_once(config, store, clock, worker="run-once", catch_up=True)
    result = {
        p.id: {"meta": store.panel_meta(p.id), "data": store.panel_data(p.id)}
        for p in config.panels()
    }
    failed = {pid: why for pid, r in result.items() if (why := panel_failure(r["meta"]))}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for pid in result:
            print(f"{pid}: {failed.get(pid) or 'ok'}")
    for pid, why in failed.items():
        print(f"run-once: panel {pid}: {why}", file=sys.stderr)
    return 1 if failed and not args.keep_going else 0


def panel_failure(meta: dict | None) -> str | None:
    """Why a panel is not ok after run-once, in words (its job, or its source), else None."""
    meta = meta or {}
    if meta.get("status") != "ok":
        return f"failed: {meta.get('error') or 'no result'}"
    source = meta.get("source") or {}
    if source.get("status") in ("error", "blind"):
        kind = "failed" if source["status"] == "error" else "is blind"
        return f"its source {kind}: {source.get('error')}"
    return None


def cmd_migrate_keys(args) -> int:
    from socwall.dashboard.config import load_config
    from socwall.dashboard.key_migration import WorkersRunning, tag_keys
    from socwall.dashboard.redis_urls import is_cluster_url
    from socwall.dashboard.store import connect, describe_url
    from socwall.keys import hash_tagged

    config = load_config(args.config)
    prefix = config.store.prefix
    if config.store.url is None or is_cluster_url(config.store.url):
        print("migrate-keys renames on the old server (redis:// or redis+sentinel://) before "
              "the copy to the cluster", file=sys.stderr)  # fmt: skip
        return 2
    try:
        renamed, left = tag_keys(connect(config.store), prefix)
    except WorkersRunning as error:
        print(f"migrate-keys: {error}", file=sys.stderr)
        return 1
    print(f"{describe_url(config.store)}: {renamed} keys renamed from {prefix}:* to "
          f"{hash_tagged(prefix)}:*, {left} left (tagged name taken, or expired)")  # fmt: skip
    return 0


def count_reload_refused(store, process: str) -> None:
    """socwall_config_reload_failures_total{process}: the file changed and was refused."""
    from socwall.counters import count

    count(store.redis, store.keys, "socwall_config_reload_failures_total", {"process": process})


def _has_shared_store(config, command: str) -> bool:
    if config.store.url is None:
        print(
            f"{command} needs store.url: the embedded store is not shared (use `socwall demo`)",
            file=sys.stderr,
        )
    return config.store.url is not None


def cmd_worker(args) -> int:
    from socwall.dashboard.clock import make_clock
    from socwall.dashboard.config_watch import ConfigWatch, watch_file
    from socwall.dashboard.leader import Leader, new_worker_id
    from socwall.dashboard.scheduler import run_worker
    from socwall.dashboard.store import describe_url

    watch = ConfigWatch(args.config)
    if not _has_shared_store(watch.config, "worker"):
        return 2
    store = _open_store(watch.config)  # a changed store.url needs a restart
    watch.on_refused = lambda: count_reload_refused(store, "worker")
    leader = Leader(store.redis, store.keys, watch.config.scheduler.lock_ttl, new_worker_id())
    log.info("worker %s started; store %s", leader.worker_id, describe_url(watch.config.store))
    if notice := store.check_persistence():
        log.warning("%s; see docs/operations.md, 'Redis persistence'", notice)
    plain_prefix = watch.config.store.prefix
    if store.keys.prefix != plain_prefix and store.has_history_under(plain_prefix):
        log.warning(
            "keys under %s:* (history from before store.cluster_keys) are not read; see "
            "docs/operations.md, "
            "'Redis: Sentinel and Cluster'", plain_prefix,
        )  # fmt: skip
    leader.heartbeat_file = Path(args.heartbeat_file) if args.heartbeat_file else None
    stop, reload, this_round = threading.Event(), threading.Event(), threading.Event()
    signal.signal(signal.SIGHUP, lambda *_: (reload.set(), this_round.set()))
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: (stop.set(), this_round.set()))
    watch_file(watch, lambda: (reload.set(), this_round.set()), stop)
    while not stop.is_set():
        this_round.clear()
        leader.config_note = watch.note()
        config = watch.config
        run_worker(config, store, make_clock(config, args.now, store), leader, this_round)
        if reload.is_set():
            reload.clear()
            watch.reload()
    return 0


def cmd_serve(args) -> int:
    from socwall.dashboard.config_watch import ConfigWatch
    from socwall.dashboard.serve import serve

    watch = ConfigWatch(args.config)
    if not _has_shared_store(watch.config, "serve"):
        return 2
    store = _open_store(watch.config)  # the arbiter's, for its count; each worker opens its own
    watch.on_refused = lambda: count_reload_refused(store, "serve")
    web = watch.config.web
    serve(watch, args.now, args.host or web.host, args.port or web.port,
          args.workers or web.workers, args.worker_class)  # fmt: skip
    return 0


def cmd_demo(args) -> int:
    from socwall.dashboard.config import load_config, load_config_bytes
    from socwall.dashboard.demo.run import run_demo

    if args.print_config:
        shipped = resources.files("socwall").joinpath("config.yaml").read_text(encoding="utf-8")
        print(shipped, end="")
        return 0
    if args.config:
        config, base_dir = load_config(args.config), Path(args.config).resolve().parent
    else:
        base_dir = Path(args.data_dir).resolve()  # never beside the installed package
        shipped = resources.files("socwall").joinpath("config.yaml").read_bytes()
        config = load_config_bytes(shipped, base_dir, "socwall demo config")
    follow_config(config.logging)
    return run_demo(config, base_dir, args)


if __name__ == "__main__":
    sys.exit(main())
