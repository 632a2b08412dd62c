"""What each source read, per 5-minute bucket of arrival: the history sensor health compares.

The job runner calls `record` after every successful ingest. It adds the records the ingest
read (and, for a source with several files or feeds, what each one gave) to a per-bucket
history kept in the same per-day layout as every metric, under the source's own history id
(`<source>:arrivals`, which no configured source can be named: ids have no colon). Counting
by arrival, not by event time, is what answers "is it still sending?": a collector that
delivers an hour late has sent nothing for an hour.

Besides the counts, each bucket knows whether the source ran in it at all (`runs`), so a
bucket in which the worker was down is unknown, never a silent zero, and the lag of the
newest record at that moment (`lag`, seconds) is kept as a gauge for "how late is usual".
A document `last` holds the time of the last ingest and of the last records, per part too.
"""

import glob
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from socwall.feeds.events import rotated_base

BUCKET = timedelta(minutes=5)
RETENTION = timedelta(days=36)  # the band needs the same window in each of 4 past weeks
MAX_PARTS = 30  # a glob over hundreds of files keeps its 30 busiest parts apart
ROWS, RUNS, LAG = "rows", "runs", "lag"
PART_GONE = timedelta(days=36)  # a part that sent nothing for this long is forgotten
# dates and times in file names: daily or hourly files of one stream are one part, not many
STAMP = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T_ -]\d{2}[:.-]?\d{2}(?:[:.-]?\d{2})?)?"
                   r"|(?<!\d)\d{8}(?:\d{2}|\d{4}|\d{6})?(?!\d)|\d{2}:\d{2}:\d{2}")


def history_id(source_id: str) -> str:
    """The id the arrivals history of a source is stored under."""
    return f"{source_id}:arrivals"


def part_metric(part: str) -> str:
    """The history metric of one file or feed of a source."""
    return f"{ROWS}:{part}"


def part_name(path: str, pattern: str) -> str:
    """A stream of files as a person names it: relative to the glob's fixed folder, without
    logrotate's suffixes (auth.log.1 and auth.log.2.gz are still auth.log), dates and times
    as `*` (events-2026-03-10.csv and events-2026-03-11.csv are both events-*.csv)."""
    folder = pattern if glob.has_magic(pattern) else os.path.dirname(pattern)
    while glob.has_magic(folder):
        folder = os.path.dirname(folder)
    relative = os.path.relpath(path, folder) if folder else path
    if relative.startswith(".."):
        relative = Path(path).name
    return STAMP.sub("*", rotated_base(relative))


def parts_read(stats: dict, pattern: str | None) -> tuple[dict[str, int], dict[str, str]]:
    """Records per part (file or feed) in one ingest's stats, and the parts that failed."""
    counts: dict[str, int] = {}
    for path, rows in (stats.get("file_rows") or {}).items():
        name = part_name(path, pattern) if pattern else Path(path).name
        counts[name] = counts.get(name, 0) + int(rows)
    failed = {}
    for name, added in (stats.get("feeds") or {}).items():
        if added == "failed":
            failed[name] = next((w.split(": ", 1)[1] for w in stats.get("warnings") or []
                                 if w.startswith(f"{name}: ")), "the feed could not be read")
        else:
            counts[name] = counts.get(name, 0) + int(added or 0)
    return counts, failed


def record(store, source_id: str, config, stats: dict, first: bool, newest: str | None,
           now: datetime) -> None:  # fmt: skip
    """Add one successful ingest to the source's arrivals history.

    The very first ingest of a source reads its whole backlog: that is history, not arrivals,
    so it only marks the start; every later one is counted in the bucket it ran in."""
    ident = history_id(source_id)
    last = store.document(ident, "last") or {}
    stamp = now.isoformat()
    last.setdefault("first_run_at", stamp)
    last["run_at"] = stamp
    if first:
        store.write_document(ident, "last", last)
        return
    start = int(now.timestamp()) // int(BUCKET.total_seconds()) * int(BUCKET.total_seconds())
    rows = int(stats.get("rows") or 0) + int(stats.get("bad_rows") or 0)
    parts, failed = parts_read(stats, getattr(config, "path", None))
    counts = {RUNS: {start: 1.0}, ROWS: {start: float(rows)}}
    known = last.setdefault("parts", {})
    for name, count in sorted(parts.items(), key=lambda item: -item[1]):
        if name in known or len(known) < MAX_PARTS:
            counts[part_metric(name)] = {start: float(count)}
            known.setdefault(name, {})
    for name in failed:  # a feed that fails from its first read is a row too, with its reason
        if name in known or len(known) < MAX_PARTS:
            known.setdefault(name, {})
    store.add_metric_buckets(ident, counts, now, RETENTION)
    if newest:
        lag = max(0.0, (now - datetime.fromisoformat(newest)).total_seconds())
        store.set_metric_values(ident, {LAG: {start: lag}}, now, RETENTION)
    if rows:
        last["gap_from"] = last.get("rows_at")  # the silence these rows end, if there was one
        last["rows_at"] = stamp
    _update_parts(known, parts, failed, stamp, now)
    store.write_document(ident, "last", last)


def _update_parts(known: dict, parts: dict, failed: dict, stamp: str, now: datetime) -> None:
    for name, state in list(known.items()):
        if parts.get(name):
            state["gap_from"] = state.get("rows_at")
            state["rows_at"] = stamp
        state.pop("error", None)
        if name in failed:
            state["error"] = failed[name]
        since = state.get("rows_at") or state.setdefault("seen_at", stamp)
        if now - datetime.fromisoformat(since) > PART_GONE:
            del known[name]


def record_history(store, source_id: str, rows: dict[int, float], now: datetime,
                   lag: float = 0.0, parts: dict[str, dict[int, float]] | None = None) -> None:
    """Arrivals of many past buckets at once (bucket start -> records; per part too), as if each
    bucket's records had arrived in it `lag` seconds after their time: for importing history
    (the demo, a migration), before the source runs (the values are set, not added). The
    `last` document says records last came in the last bucket that had any."""
    ident = history_id(source_id)
    starts = sorted(rows)
    if not starts:
        return
    counts = {RUNS: dict.fromkeys(starts, 1.0), ROWS: rows, LAG: dict.fromkeys(starts, lag)}
    counts |= {part_metric(name): values for name, values in (parts or {}).items()}
    store.set_metric_values(ident, counts, now, RETENTION)  # one write per metric and day
    last = store.document(ident, "last") or {}
    last.setdefault("first_run_at", datetime.fromtimestamp(starts[0], UTC).isoformat())
    last["run_at"] = datetime.fromtimestamp(starts[-1], UTC).isoformat()
    stamp = _last_rows_at(rows)
    if stamp:
        last["rows_at"] = stamp
    for name, values in (parts or {}).items():
        last.setdefault("parts", {})[name] = {"rows_at": _last_rows_at(values) or last["run_at"]}
    store.write_document(ident, "last", last)


def _last_rows_at(rows: dict[int, float]) -> str | None:
    with_rows = [start for start, count in rows.items() if count]
    if not with_rows:
        return None
    end = max(with_rows) + BUCKET.total_seconds() - 1  # the end of the last bucket with records
    return datetime.fromtimestamp(end, UTC).isoformat()
