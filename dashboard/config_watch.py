"""The config a process runs: the last good version of its file, re-read on SIGHUP or a change.

Shared by `socwall worker` and `socwall serve`: both compute the same version of the same
file, so the health strip can say when they run different ones.
"""

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from socwall.dashboard.config import ConfigError, WallConfig, load_config
from socwall.dashboard.logs import follow_config

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0  # how often the file is looked at; a config file is a few KB
PER_PROCESS = {"web": {"host", "port", "workers"}}  # may differ between serve and worker
LAYOUT_KEYS = ("title", "timezone", "web", "pages")  # what a page in the browser is built from


def config_version(config: WallConfig, keys: tuple[str, ...] | None = None) -> str:
    """12 hex digits of a hash of the normalized config (secrets masked, per-process keys out)."""
    tree = config.model_dump(mode="json", exclude=PER_PROCESS)
    if keys is not None:
        tree = {key: tree[key] for key in keys}
    text = json.dumps(tree, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def layout_version(config: WallConfig) -> str:
    """The version of what the browser shows: a page reloads itself when it changes."""
    return config_version(config, LAYOUT_KEYS)


class ConfigWatch:
    """The last good config of one file; `reload()` takes a valid new one, else keeps it."""

    def __init__(self, path: str | Path, on_refused: Callable[[], None] = lambda: None):
        self.path, self.on_refused = Path(path), on_refused  # on_refused counts the refusal
        self._seen = self._fingerprint()
        self.config = load_config(self.path)  # at start there is nothing to fall back to
        self.problem: str | None = None  # why the file's newest content was refused
        follow_config(self.config.logging)

    @property
    def version(self) -> str:
        return config_version(self.config)

    def note(self) -> dict:
        """What a process publishes about its config: version and any refused reload."""
        return {"config_version": self.version, "config_problem": self.problem}

    def changed(self) -> bool:
        """Whether the file's bytes differ from those read last."""
        return self._fingerprint() != self._seen

    def reload(self) -> bool:
        """Re-read the file; True when the config in force or the reported problem changed."""
        self._seen = self._fingerprint()
        before = (self.version, self.problem)
        try:
            self.config, self.problem = load_config(self.path), None
        except ConfigError as error:
            self.problem = describe_problem(self.path, error)
            self.on_refused()
            problems = "; ".join(error.problems)
            log.error("config reload refused, the last good config stays: %s", problems)
        else:
            follow_config(self.config.logging)
            log.info("config reloaded from %s (version %s)", self.path, self.version)
        return (self.version, self.problem) != before

    def _fingerprint(self) -> str:
        try:
            return hashlib.sha256(self.path.read_bytes()).hexdigest()
        except OSError as error:
            return f"unreadable: {error.strerror}"


def describe_problem(path: Path, error: ConfigError) -> str:
    """One line for the strip and the log: the file's name and its first problems."""
    first = " ".join(error.problems[0].removeprefix(f"{path}: ").split())
    more = f" (and {len(error.problems) - 1} more)" if len(error.problems) > 1 else ""
    return f"{path.name}: {first}{more}"


def watch_file(watch: ConfigWatch, on_change: Callable[[], None], stop: threading.Event) -> None:
    """Call `on_change()` from a daemon thread whenever the file's bytes change."""

    def look() -> None:
        while not stop.wait(POLL_SECONDS):
            if watch.changed():
                on_change()

    threading.Thread(target=look, name="config-watch", daemon=True).start()


def config_warnings(version: str, problem: str | None, worker: dict | None) -> list[str]:
    """The health strip's words about configs: a refused reload, serve and worker differing."""
    warnings = []
    if problem:
        warnings.append(f"{problem} — still running the last good config")
    if worker and worker.get("config_problem"):
        warnings.append(
            f"worker: {worker['config_problem']} — still running the last good config"
        )
    if worker and worker.get("config_version") not in (None, version):
        warnings.append(
            f"serve runs config {version[:6]}…, worker runs {worker['config_version'][:6]}…"
            " — reload one of them"
        )
    return warnings
