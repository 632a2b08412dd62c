"""APScheduler jobs, one per source and one per panel, each at its own interval."""

import logging
import threading
from collections.abc import Callable
from datetime import UTC, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from socwall.dashboard.clock import Clock, utc_now
from socwall.dashboard.config import WallConfig
from socwall.dashboard.jobs import run_all_once, run_panel, run_source
from socwall.dashboard.leader import Leader
from socwall.dashboard.live import LiveSources
from socwall.dashboard.outage import StoreOutage
from socwall.dashboard.store import Store, StoreUnavailable
from socwall.file_commit import Fence

log = logging.getLogger(__name__)
PANEL_THREADS = 8  # panels compute from the store: quick, and never wait on the outside world


def create_scheduler(
    config: WallConfig,
    store: Store,
    clock: Clock,
    worker: str,
    may_run: Callable[[], bool],
    fence: Callable[[], Fence | None] = lambda: None,
    outage: StoreOutage | None = None,
) -> BackgroundScheduler:
    """Jobs that run only while `may_run()` (this worker leads); a slow job blocks no other.
    A source job commits only while `fence()` (taken when it starts) still holds the lead.

    Sources run on a pool with a thread for each (a source job runs one at a time), panels on
    a pool of their own: sources that hang until their timeout (a database that accepts and
    never answers) hold no thread a healthy source or any panel needs."""
    scheduler = BackgroundScheduler(
        timezone=UTC,
        executors={"default": ThreadPoolExecutor(max_workers=PANEL_THREADS),
                   "sources": ThreadPoolExecutor(max_workers=max(1, len(config.sources)))},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )  # fmt: skip
    for source_id, source in config.sources.items():
        scheduler.add_job(
            _guarded,
            "interval",
            seconds=source.refresh.total_seconds(),
            id=f"source:{source_id}",
            executor="sources",
            args=[may_run, _fenced_source, config, source_id, store, clock, worker, fence],
            kwargs={"outage": outage},
        )
    for panel in config.panels():
        scheduler.add_job(
            _guarded,
            "interval",
            seconds=panel.refresh.total_seconds(),
            id=f"panel:{panel.id}",
            args=[may_run, run_panel, config, panel, store, clock, worker],
            kwargs={"outage": outage},
        )
    return scheduler


def _fenced_source(config, source_id, store: Store, clock, worker, fence) -> None:
    run_source(config, source_id, store.fenced(fence()), clock, worker)


def _guarded(may_run: Callable[[], bool], job: Callable, *args,
             outage: StoreOutage | None = None) -> None:  # fmt: skip
    """Run `job` while this worker leads; with `outage`, a store that is away is logged once
    per streak (not per job and refresh), and its return once."""
    if not may_run():
        return
    try:
        job(*args)
    except StoreUnavailable as error:
        name = _job_id(job, args)  # also the key under which its repeats are held back
        if outage is not None:
            outage.failed(f"job {name} skipped", error)
            return
        log.warning("store unreachable, job %s skipped: %s", name, error, extra={"job": name})
    else:
        if outage is not None:
            outage.answered()


def _job_id(job: Callable, args: tuple) -> str:
    """'source:ssh' or 'panel:threats', as the scheduler names the job; else the function."""
    if job is _fenced_source:
        return f"source:{args[1]}"
    if job is run_panel:
        return f"panel:{args[1].id}"
    return job.__name__


def run_worker(
    config: WallConfig, store: Store, clock: Clock, leader: Leader, stop: threading.Event
) -> None:
    """Lead or stand by until `stop` is set; a new leader catches up on every job at once."""
    scheduler = create_scheduler(
        config, store, clock, leader.worker_id, lambda: leader.is_leader, lambda: leader.fence,
        leader.outage,
    )
    scheduler.start()
    live = LiveSources(config, store, clock)  # IRC, websockets: threads of the leader only
    # the leader extends every ttl/3; a standby looks every 0.25 s, so it takes over at most
    # 0.25 s after the dead leader's lock expires, i.e. within lock_ttl + 0.25 s of the death
    extend = max(leader.ttl / 3, timedelta(milliseconds=200)).total_seconds()
    standby = min(extend, 0.25)
    try:
        while not stop.is_set():
            was_leader = leader.is_leader
            if leader.tick() and not was_leader:
                scheduler.add_job(
                    _guarded,
                    next_run_time=utc_now(),
                    id="catch-up",
                    replace_existing=True,
                    args=[
                        lambda: leader.is_leader,
                        run_all_once,
                        config,
                        store.fenced(leader.fence),
                        clock,
                        leader.worker_id,
                    ],
                )
            live.follow(leader.is_leader, leader.fence)
            stop.wait(extend if leader.is_leader else standby)
    finally:
        live.stop()
        scheduler.shutdown(wait=False)
        leader.release()
