"""The demo's files, written by a child process while `socwall demo` builds its web app.

Generating five weeks of data and counting their arrivals is numpy, pandas and Python loops:
about half of the demo's start, all under one GIL with the imports and the app. A forked child
does it on the second core and hands back what the parent needs: the generators (they append
the live part) and the arrivals history to put in the store. The files are the same bytes
either way; only the process that writes them differs.
"""

import logging
import multiprocessing
import shutil
import traceback
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
    arrivals history (source id -> counts per bucket, per part) for the Sensors page."""

    generators: list
    arrivals: dict


def prepare(directory: Path, config: WallConfig, anchor: datetime, seed: int) -> Prepared:
    """Write every demo file up to `anchor` and count the arrivals they hold; no store."""
    generators = write_demo_data(directory, config, anchor, seed)
    sensors = write_demo_sensor_files(directory, config.tz, seed, anchor)
    return Prepared(generators + sensors, arrival_rows(config, anchor, sensors[1]))


def write_demo_data(directory: Path, config: WallConfig, anchor: datetime, seed: int) -> list:
    """Fresh events, flows, auth log and operations ending at `anchor`, news and changes."""
    shutil.rmtree(directory, ignore_errors=True)
    data = [DemoData(directory / "events", config.tz, seed=seed, anchor=anchor),
            DemoFlows(directory / "flows", config.tz, seed=seed, anchor=anchor),
            DemoAuth(directory / "auth", config.tz, seed=seed, anchor=anchor),
            DemoOps(directory / "operations", config.tz, seed=seed, anchor=anchor)]  # fmt: skip
    for generated in data:
        rows = generated.write_until(anchor)
        log.info("demo data: %s rows written to %s", f"{rows:,}", generated.directory)
    write_demo_news(directory / "feeds", anchor, seed)
    write_demo_changes(directory / "changes", anchor, config.tz)
    return data


class Preparing:
    """`prepare` running in a forked child; `result()` waits for it (in this process where
    fork is not available)."""

    def __init__(self, directory: Path, config: WallConfig, anchor: datetime, seed: int):
        self.arguments = (directory, config, anchor, seed)
        self.process = None
        if "fork" not in multiprocessing.get_all_start_methods():
            return
        context = multiprocessing.get_context("fork")  # the config and clock, as they are
        self.receive, send = context.Pipe(duplex=False)
        self.process = context.Process(target=_child, args=(send, *self.arguments), daemon=True)
        self.process.start()
        send.close()

    def result(self) -> Prepared:
        if self.process is None:
            return prepare(*self.arguments)
        try:
            outcome, value = self.receive.recv()
        except EOFError:  # the child died without a word (killed, out of memory)
            outcome, value = "error", f"exit code {self.process.exitcode}"
        self.process.join()
        if outcome == "error":
            error = RuntimeError(f"demo data not generated: {value.strip().splitlines()[-1]}")
            error.add_note(f"in the child process:\n{value}")
            raise error
        return value


def _child(send, directory: Path, config: WallConfig, anchor: datetime, seed: int) -> None:
    try:
        send.send(("ok", prepare(directory, config, anchor, seed)))
    except BaseException:  # the parent says it; the child has no one to tell
        send.send(("error", traceback.format_exc()))
    finally:
        send.close()
