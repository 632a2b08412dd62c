"""The two kinds of job: ingest a source, compute a panel. Both stamp what they did in the store."""

import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from socwall.dashboard.clock import Clock, source_now, utc_now
from socwall.dashboard.config import PanelBase, WallConfig
from socwall.dashboard.counting import count_panel_run, count_source_run
from socwall.dashboard.store import Store, StoreUnavailable, payload_version
from socwall.dashboard.verdicts import panel_verdict
from socwall.errors import Waiting, in_words
from socwall.feeds import SOURCES
from socwall.feeds.arrivals import record as record_arrivals
from socwall.file_commit import LostLeadership, StaleRead
from socwall.widgets import WIDGETS
from socwall.widgets.context import PanelContext

log = logging.getLogger(__name__)
MAX_PAYLOAD_BYTES = 2 << 20  # a panel payload larger than this is an error, not a download
MAX_CATCH_UP = 1000  # backfill steps run-once takes at most per source (40 days of 1 h steps)


class PanelReader:
    """What a widget's `load` may read: history and facts about its source, nothing else."""

    def __init__(self, config: WallConfig, store: Store):
        self.config, self.store = config, store

    def metric_series(self, source_id: str, metric: str, ranges: list[tuple[datetime, datetime]]):
        return self.store.metric_series(source_id, metric, ranges)

    def flow_pairs(self, source_id: str, buckets: list[int]):
        return self.store.flow_pairs(source_id, buckets)

    def flow_host_sums(self, source_id: str, windows: list[list[int]], bucket_s: int):
        return self.store.flow_host_sums(source_id, windows, bucket_s)

    def flow_host_pairs(self, source_id: str, window: list[int], bucket_s: int, hosts: list):
        return self.store.flow_host_pairs(source_id, window, bucket_s, hosts)

    def flow_consistently(self, source_id: str, windows: list[list[int]], bucket_s: int, read):
        """`read(self)` as of one state of these windows' flow buckets (retried on a write)."""
        return self.store.flow_consistently(source_id, windows, bucket_s, lambda: read(self))

    def entries_since(self, source_id: str, since: datetime) -> list[dict]:
        return self.store.entries_since(source_id, since)

    def auth_events(self, source_id: str, start: datetime, end: datetime) -> list[dict]:
        return self.store.auth_events(source_id, start, end)

    def auth_hour_summaries(self, source_id: str, hours: list[int], summarize, made_as: str):
        """Hourly summaries of the auth attempts, made from them once and kept beside them."""
        return self.store.auth_hour_summaries(source_id, hours, summarize, made_as)

    def records(self, source_id: str, kind: str, start: datetime, end: datetime) -> list[dict]:
        """Records a source stored with Store.add_records, start <= ts < end."""
        return self.store.records(source_id, kind, start, end)

    def document(self, source_id: str, name: str):
        return self.store.document(source_id, name)

    def source_status(self, source_id: str) -> dict:
        return self.store.source_status(source_id) or {}

    def source_bucket(self, source_id: str):
        return self.config.sources[source_id].bucket

    def source_covered_since(self, source_id: str) -> datetime | None:
        return self.store.covered_since(source_id)

    def distinct_metric(self, source_id: str, metric: str) -> bool:
        """Is the metric a distinct count (its windows are unions of per-bucket sets)?"""
        return metric in getattr(self.config.sources[source_id], "distinct_metrics", ())

    def metric_distinct(self, source_id: str, metric: str,
                        windows: list[tuple[int, int]]) -> list[int]:  # fmt: skip
        """The exact distinct count of each (start, end) window, epoch seconds."""
        bucket_s = int(self.config.sources[source_id].bucket.total_seconds())
        return self.store.distinct_counts(source_id, metric, windows, bucket_s)

    def metric_kind(self, source_id: str, metric: str) -> str:
        """'count' (adds up over time) unless the source declares the metric a 'gauge'."""
        source = self.config.sources[source_id]
        return source.metric_kind(metric) if hasattr(source, "metric_kind") else "count"


def run_source(
    config: WallConfig, source_id: str, store: Store, clock: Clock, worker: str = ""
) -> dict:
    """Ingest what is new for one source; record ok, blind (it ran and recognised nothing) or
    the error in words, keeping what was read before."""
    source_config = config.sources[source_id]
    previous = store.source_status(source_id) or {}
    started, timer = utc_now(), time.perf_counter()
    status = {**previous, "attempted_at": started.isoformat(), "worker": worker}
    stats: dict = {}
    try:
        source = SOURCES[source_config.type].Source(source_config, source_id)
        now = source_now(clock, source_config, previous, reading=True)
        status["now"] = now.isoformat()  # the source's clock: its lag is measured on it
        if hasattr(source, "wall_now"):  # a year-less syslog line may take its year from it
            source.wall_now = clock.now()
        stats = dict(source.ingest(store, now))
        if getattr(clock, "replaying", False):  # its own clock: lag is measured against it
            newest = max(filter(None, [previous.get("newest"), stats.get("newest")]), default=None)
            stats["clock"] = source_now(clock, source_config, {"newest": newest}).isoformat()
        status.update(_outcome(stats, previous, started))
        record_arrivals(store, source_id, source_config, stats, not previous.get("last_success"),
                        status.get("newest"), clock.now())  # fmt: skip
    except StoreUnavailable:
        raise
    except (LostLeadership, StaleRead) as error:  # another worker read the same: ours is void
        log.warning("source %s: work discarded: %s", source_id, error)
        return previous
    except Waiting as error:  # skipped on purpose after a failure: said once, when it failed
        log.debug("source %s waits: %s", source_id, error)
        status.update(status="error", error=in_words(error), failed_at=started.isoformat(),
                      blind_sticky=False)  # fmt: skip
    except Exception as error:  # any bad input: recorded and shown, never kills the scheduler
        words = in_words(error)
        first = previous.get("status") != "error" or previous.get("error") != words
        extra = {"job": f"source:{source_id}", "source": source_id}
        if first:  # one warning with its traceback per failure streak, not one per refresh
            log.warning("source failed: %s: %s", source_id, words, exc_info=True, extra=extra)
        else:
            log.info("source still failing: %s: %s", source_id, words, extra=extra)
        status.update(status="error", error=words, failed_at=started.isoformat(),
                      blind_sticky=False)  # fmt: skip
    status["duration_ms"] = round((time.perf_counter() - timer) * 1000)
    store.write_source_status(source_id, status)
    count_source_run(store, source_id, status["status"], stats)
    return status


def _outcome(stats: dict, previous: dict, started) -> dict:
    """The status fields of a run that returned `stats`: ok or blind, counts, what is wrong now."""
    seen = [previous.get("newest"), stats.pop("newest", None)]
    newest = max(filter(None, seen), default=None)
    blind, sticky = stats.pop("blind", None), stats.pop("blind_sticky", False)
    read_something = bool(stats.get("rows") or stats.get("bad_rows"))
    if not blind and not read_something and previous.get("blind_sticky"):
        blind, sticky = previous.get("error"), True  # nothing new: still nothing recognised
    done = {"status": "blind" if blind else "ok", "error": blind, "blind_sticky": sticky,
            "last_success": started.isoformat(), "newest": newest}  # fmt: skip
    if read_something:
        done.update(stats)  # the counts describe the last read that found something
    done["files"] = stats.get("files", 0)
    done["warnings"] = stats.get("warnings") or []  # what is wrong now, not last time
    for kept in ("bad_rows_total", "per_file", "backfill", "future", "clock"):  # as of now
        if kept in stats:
            done[kept] = stats[kept]
    return done


def run_panel(
    config: WallConfig, panel: PanelBase, store: Store, clock: Clock, worker: str = ""
) -> dict:
    """Compute one panel and write its payload; on failure keep the last good payload, show why."""
    widget = WIDGETS[panel.widget]
    previous = store.panel_meta(panel.id) or {}
    source = config.sources.get(panel.source) if panel.source else None
    now = source_now(clock, source, store.source_status(panel.source)) if source else clock.now()
    started, timer = utc_now(), time.perf_counter()
    meta = {
        **previous,
        "widget": panel.widget,
        "refresh_s": panel.refresh.total_seconds(),
        "attempted_at": started.isoformat(),
        "worker": worker,
        "source": _source_summary(store, panel.source),
    }
    data = None
    try:
        context = PanelContext(now=now, tz=config.tz, source_id=panel.source)
        inputs = widget.load(PanelReader(config, store), panel, context)
        computed = widget.compute(inputs, panel.options, context)
        if not isinstance(computed, dict):
            raise TypeError(f"compute returned {type(computed).__name__}, not a dict payload")
        size = len(json.dumps(computed, separators=(",", ":")))
        if size > MAX_PAYLOAD_BYTES:  # every screen downloads it: refuse, say so, keep the last
            raise ValueError(f"payload of {size:,} bytes is over the {MAX_PAYLOAD_BYTES:,} limit")
        verdict = panel_verdict(config, store, panel, computed, now)  # socwall/verdict.py
        computed = {**computed, "verdict": verdict}
        version = payload_version(computed)
        data = None if version == previous.get("version") else computed  # unchanged: keep
        meta.update(
            status="ok",
            error=None,
            computed_at=started.isoformat(),
            version=version,
            data_until=now.isoformat(),
            highlight=verdict["state"] == "alarm",
            state=verdict["state"],
            reasons=verdict["reasons"],
        )
    except StoreUnavailable:
        raise
    except Exception as error:  # shown in the panel and /healthz; the last good data stays
        log.warning("panel failed: %s: %s", panel.id, error, exc_info=True,
                    extra={"job": f"panel:{panel.id}", "panel": panel.id})
        data = None
        meta.update(status="error", error=in_words(error), failed_at=started.isoformat())
    meta["duration_ms"] = round((time.perf_counter() - timer) * 1000)
    store.write_panel(panel.id, meta, data)
    count_panel_run(store, panel.id, meta["status"])
    return meta


def run_all_once(config: WallConfig, store: Store, clock: Clock, worker: str = "",
                 catch_up: bool = False, before=lambda source_id: None) -> None:  # fmt: skip
    """Every source, then every panel, once: for run-once, start-up and a new leader. Sources
    run side by side, so a slow one (a feed at its deadline) holds back no other. With
    `catch_up` (run-once), a source that backfills history step by step runs until it is done.
    `before(source_id)` runs in the source's thread first (the demo waits there for its files)."""

    def ingest(source_id: str) -> None:
        before(source_id)
        for _ in range(MAX_CATCH_UP if catch_up else 1):
            status = run_source(config, source_id, store, clock, worker)
            if not status.get("backfill") or status.get("status") != "ok":
                return

    with ThreadPoolExecutor(max_workers=max(1, min(32, len(config.sources)))) as pool:
        list(pool.map(ingest, config.sources))  # a thread each: a hanging one holds no other
    for panel in config.panels():
        run_panel(config, panel, store, clock, worker)


def _source_summary(store: Store, source_id: str | None) -> dict | None:
    if source_id is None:
        return None
    status = store.source_status(source_id) or {}
    keys = ("status", "error", "last_success", "newest", "bad_rows", "bad_rows_total", "repaired",
            "warnings", "backfill", "future")  # fmt: skip
    return {key: status.get(key) for key in keys}


