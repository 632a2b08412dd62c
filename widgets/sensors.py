"""sensors: is every source still sending? Per source (and per file or feed inside it, and per
sensor of a `sensor_stats` source) the records of the last `quiet` against the same time in past
weeks; silence, a drop far below the band, lateness and packet drops as alarms in words."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from socwall.feeds.arrivals import LAG, ROWS, RUNS, history_id, part_metric
from socwall.widgets.context import PanelContext, View
from socwall.widgets.sensor_health import BUCKET, RECENT, Rules
from socwall.widgets.sensor_rows import drop_rows, source_rows
from socwall.widgets.sensors_options import (  # noqa: F401  (the widget's parts)
    Options,
    SensorsOptions,
    check,
    check_sources,
    needs_source,
    source_types,
)
from socwall.widgets.sensors_view import render_rows
from socwall.widgets.week_ago import WEEK, MetricInputs

NOT_SENSORS = ("probe", "kev", "changes", "alertmanager", "queue_http")  # not a stream of records
STATS_KINDS = ("packets", "dropped", "reported")


@dataclass(frozen=True)
class SourceHistory:
    """What one source's rows are computed from."""

    source_id: str
    kind: str  # the source type
    refresh: timedelta
    status: dict
    last: dict  # the arrivals document: run_at, rows_at, parts
    rows: MetricInputs
    runs: MetricInputs
    lag: MetricInputs
    parts: dict[str, MetricInputs] = field(default_factory=dict)
    sensors: dict[str, dict[str, MetricInputs]] = field(default_factory=dict)
    sensor_seen: dict[str, str] = field(default_factory=dict)  # sensor: its newest stats record


@dataclass(frozen=True)
class SensorsInputs:
    sources: list[SourceHistory]


def shown_sources(options: SensorsOptions, sources: dict) -> list[str]:
    """The listed sources, or every source that reads a stream of records."""
    if options.sources:
        return list(options.sources)
    return [sid for sid, source in sources.items() if source.type not in NOT_SENSORS]


def load(reader, panel, context: PanelContext) -> SensorsInputs:
    """Each source's arrivals history for the window now and in past weeks, its status and,
    for a sensor_stats source, each sensor's packets and drops."""
    options: SensorsOptions = panel.options
    sources = reader.config.sources
    return SensorsInputs([_history(reader, sid, sources[sid], options, context)
                          for sid in shown_sources(options, sources)])  # fmt: skip


def _ranges(now: datetime, options: SensorsOptions, refresh: timedelta) -> list[tuple]:
    span = max(options.quiet, 2 * refresh) + RECENT + BUCKET
    slack = timedelta(hours=2)  # a DST change moves the same local time by an hour
    return [(now - span - k * WEEK - slack, now - k * WEEK + slack)
            for k in range(options.weeks + 1)]  # fmt: skip


def _history(reader, source_id: str, source, options, context) -> SourceHistory:
    ident = history_id(source_id)
    ranges = _ranges(context.now, options, source.refresh)
    covered = reader.source_covered_since(ident)

    def series(metric: str, kind: str = "count", extra: tuple = ()) -> MetricInputs:
        found = reader.metric_series(ident, metric, ranges + list(extra))
        return MetricInputs(found, BUCKET, covered, kind)

    last = reader.document(ident, "last") or {}
    parts = {}
    if options.parts and len(last.get("parts") or {}) >= 2:
        parts = {name: series(part_metric(name)) for name in last["parts"]}
    sensors, seen = {}, {}
    if source.type == "sensor_stats":
        own = reader.source_covered_since(source_id)
        known = reader.document(source_id, "sensors") or {}
        seen = {name: state.get("last_at") for name, state in known.items()}
        for name in sorted(known):
            sensors[name] = {kind: MetricInputs(reader.metric_series(
                source_id, f"{kind}@{name}", ranges), source.bucket, own)
                for kind in STATS_KINDS}  # fmt: skip
    day = [(context.now - timedelta(days=1), context.now)]  # the usual lag of a new source
    return SourceHistory(source_id, source.type, source.refresh, reader.source_status(source_id),
                         last, series(ROWS), series(RUNS), series(LAG, "gauge", day), parts,
                         sensors, seen)  # fmt: skip


def compute(inputs: SensorsInputs, options: SensorsOptions, context: PanelContext) -> dict:
    """Rows, the ones that need someone first; an alarm fact for each of those."""
    rows = []
    for history in inputs.sources:
        rules = Rules(max(options.quiet, 2 * history.refresh), options.weeks, options.band,
                      options.silent_min, options.drop, options.late_after,
                      options.noise_sigma)  # fmt: skip
        label = options.labels.get(history.source_id, history.source_id)
        rows += source_rows(history, label, rules, context)
        rows += drop_rows(history, label, rules, options.drop_alarm, context)
    order = {"alarm": 0, "notice": 1, "calm": 2}
    rows.sort(key=lambda r: order[r["level"]])  # stable: sources keep their order
    facts = [{"kind": r["state"], "severity": "alarm", "text": r["words"], "row": r["id"],
              "services": [r["source"]], "at": context.now.isoformat()}
             for r in rows if r["level"] == "alarm"]  # fmt: skip
    alarms = len(facts)
    streams = sum(r["kind"] == "source" for r in rows)
    return {
        "rows": rows[: options.max_rows],
        "more": max(0, len(rows) - options.max_rows),
        "more_alarms": sum(r["level"] == "alarm" for r in rows[options.max_rows:]),
        "summary": f"{alarms} need attention · {streams} sources" if alarms
        else f"all {streams} sources sending as usual",
        "quiet": int(options.quiet.total_seconds() // 60),
        "facts": facts,
        "highlight": bool(facts),
    }


def render(payload: dict, options: SensorsOptions, view: View):
    """One line per source, part and sensor: name, the window's count against its band, words."""
    return render_rows(payload, view)

