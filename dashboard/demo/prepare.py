"""The demo's files, written by a child process while `socwall demo` builds its web app.

Generating five weeks of data and counting their arrivals is numpy, pandas and Python loops:
about half of the demo's start, all under one GIL with the imports and the app. A forked child
does it on the second core and tells the parent, part by part, which sources' files are
complete and the arrivals history they hold: a source's first read starts as soon as its files
are there (the sshd log first: its source is the slowest to read). At the end it hands back the
generators, which append the live part. The files are the same bytes either way; only the
process that writes them differs.
"""

import logging
import multiprocessing
import shutil
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from socwall.dashboard.config import WallConfig
from socwall.dashboard.demo.auth import DemoAuth
from socwall.dashboard.demo.context import write_demo_changes
from socwall.dashboard.demo.events import DemoData
from socwall.dashboard.demo.flows import DemoFlows
from socwall.dashboard.demo.news import write_demo_news
from socwall.dashboard.demo.ops import DemoOps
from socwall.dashboard.demo.sensors import arrival_rows, write_demo_sensor_files

log = logging.getLogger(__name__)


@dataclass
class Prepared:
    """What the demo writes before its first read: generators of the live part, and the
    arrivals history (source id -> counts per bucket and per part, or None) of every source."""

    generators: list
    arrivals: dict


def demo_generators(directory: Path, config: WallConfig, anchor: datetime, seed: int) -> list:
    """The generators of the auth log, flows, operations and events: the slowest to read first."""
    return [DemoAuth(directory / "auth", config.tz, seed=seed, anchor=anchor),
            DemoFlows(directory / "flows", config.tz, seed=seed, anchor=anchor),
            DemoOps(directory / "operations", config.tz, seed=seed, anchor=anchor),
            DemoData(directory / "events", config.tz, seed=seed, anchor=anchor)]  # fmt: skip


def write_demo_data(directory: Path, config: WallConfig, anchor: datetime, seed: int,
                    written: Callable[[Path], None] = lambda d: None) -> list:  # fmt: skip
    """Fresh events, flows, auth log and operations ending at `anchor`, news and changes;
    `written` is told each generator's folder once its files are complete."""
    shutil.rmtree(directory, ignore_errors=True)
    data = demo_generators(directory, config, anchor, seed)
    for generated in data:
        rows = generated.write_until(anchor)
        log.info("demo data: %s rows written to %s", f"{rows:,}", generated.directory)
        written(generated.directory)
    write_demo_news(directory / "feeds", anchor, seed)
    write_demo_changes(directory / "changes", anchor, config.tz)
    return data


def reading(config: WallConfig, folder: Path) -> set[str]:
    """The sources whose files all lie in `folder`."""
    inside = lambda path: Path(path).resolve().is_relative_to(folder.resolve())  # noqa: E731
    return {sid for sid, s in config.sources.items() if inside(getattr(s, "path", None) or "/")}


def prepare(directory: Path, config: WallConfig, anchor: datetime, seed: int,
            ready: Callable[[dict], None] = lambda arrivals: None) -> Prepared:  # fmt: skip
    """Write every demo file up to `anchor` and count the arrivals they hold; no store.
    `ready` is told the sources whose files are complete (source id -> arrivals) as they are."""
    found: dict = {}

    def written(folder: Path) -> None:
        now_ready = arrival_rows(config, anchor, None, reading(config, folder) - set(found))
        found.update(now_ready)
        ready(now_ready)

    generators = write_demo_data(directory, config, anchor, seed, written)
    sensors = write_demo_sensor_files(directory, config.tz, seed, anchor)
    rest = arrival_rows(config, anchor, sensors[1], set(config.sources) - set(found))
    found.update(rest)
    ready(rest)
    return Prepared(generators + sensors, found)


class Preparing:
    """`prepare` running in a forked child (in a thread where fork is not available); a
    source's arrivals as soon as its files are written, the whole result at the end."""

    def __init__(self, directory: Path, config: WallConfig, anchor: datetime, seed: int):
        self.arrivals: dict = {}
        self.outcome: Prepared | Exception | None = None
        self.changed = threading.Condition()
        arguments = (directory, config, anchor, seed)
        self.process = None
        if "fork" not in multiprocessing.get_all_start_methods():
            target, args = self._in_thread, arguments
        else:
            context = multiprocessing.get_context("fork")  # the config as it is, not pickled
            receive, send = context.Pipe(duplex=False)
            self.process = context.Process(target=_child, args=(send, *arguments), daemon=True)
            self.process.start()
            send.close()
            target, args = self._listen, (receive,)
        threading.Thread(target=target, args=args, daemon=True, name="demo-data").start()

    def source_ready(self, source_id: str):
        """Wait until the source's files are written; its arrivals (None: no history)."""
        with self.changed:
            self.changed.wait_for(lambda: source_id in self.arrivals or self.outcome is not None)
            if source_id in self.arrivals:
                return self.arrivals[source_id]
        self.result()  # raises the child's error
        raise KeyError(source_id)  # not reached: every source is ready at the end

    def result(self) -> Prepared:
        with self.changed:
            self.changed.wait_for(lambda: self.outcome is not None)
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome

    def _told(self, message: tuple) -> None:
        kind, value = message
        with self.changed:
            if kind == "ready":
                self.arrivals.update(value)
            elif kind == "ok":
                self.outcome = value
            else:
                said = value.strip().splitlines()[-1]
                self.outcome = RuntimeError(f"demo data not generated: {said}")
                self.outcome.add_note(f"in the child process:\n{value}")
            self.changed.notify_all()

    def _listen(self, receive) -> None:
        message = ("ready", {})
        while message[0] == "ready":
            try:
                message = receive.recv()
            except EOFError:  # the child died without a word (killed, out of memory)
                self.process.join()
                message = ("error", f"the child ended with exit code {self.process.exitcode}")
            if message[0] != "ready":
                self.process.join()  # the result once the child is gone
            self._told(message)

    def _in_thread(self, *arguments) -> None:
        try:
            prepared = prepare(*arguments, lambda found: self._told(("ready", found)))
        except Exception:
            self._told(("error", traceback.format_exc()))
        else:
            self._told(("ok", prepared))


def _child(send, directory: Path, config: WallConfig, anchor: datetime, seed: int) -> None:
    try:
        tell = lambda found: send.send(("ready", found))  # noqa: E731
        send.send(("ok", prepare(directory, config, anchor, seed, tell)))
    except BaseException:  # the parent says it; the child has no one to tell
        send.send(("error", traceback.format_exc()))
    finally:
        send.close()
