"""What a query source says about rows it cannot count: rows from the future, rows without a
time or with a time out of range, a table with no rows, rows none of which could be read.

- The watermark never passes the reading time plus FUTURE_TOLERANCE: rows dated later (a sensor
  with a wrong clock) are counted as `future` in the status (each refresh sees up to
  FUTURE_SEEN ahead) and read when their time comes, so they cannot hide the rows written
  after them.
- Rows without a time, dated before 1990 or after 2100, or more than FUTURE_SEEN ahead, are in
  no window: a check that scans the table (with `partition`, the partitions from the retention's
  start to FUTURE_SEEN ahead) counts them at most once per CHECK_EVERY, the first two kinds as
  `bad_rows_total`, each with a warning in words.
- A table with no rows at all is blind: "table netflow has no rows".
"""

from datetime import UTC, datetime, timedelta

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from socwall.feeds import query_engines
from socwall.feeds.query_engines import QueryError

FUTURE_TOLERANCE = timedelta(minutes=5)  # clocks of sensors and of the wall differ this much
CHECK_EVERY = timedelta(hours=24)  # the scan for rows that no window ever reads
EARLIEST, LATEST = 631152000, 4102444800  # 1990-01-01 and 2100-01-01, as the flow cleaning
FUTURE_SEEN = timedelta(days=7)  # an open window asks this far past now: those rows are `future`


def future_cap(now: datetime, bucket_s: int) -> int:
    """The first bucket start past the reading time plus the tolerance: rows from there on are
    not counted yet."""
    return (int((now + FUTURE_TOLERANCE).timestamp()) // bucket_s + 1) * bucket_s


def future_rows(answers: list[pa.Table], cap: int) -> dict | None:
    """Rows the per-bucket answer holds at or past `cap`: those before 2100 are `future`
    (with the latest time), those after are out of range; None when there are none."""
    per_bucket = next((a for a in answers if "rows" in a.column_names), None)
    if per_bucket is None or not per_bucket.num_rows:
        return None
    late = per_bucket.filter(pc.greater_equal(per_bucket["bucket"], cap))
    if not late.num_rows:
        return None
    in_range = late.filter(pc.less(late["bucket"], LATEST))
    last = max((v or 0 for v in in_range["last"].to_pylist()), default=0)
    return {"rows": sum(v or 0 for v in in_range["rows"].to_pylist()),
            "until": datetime.fromtimestamp(last, UTC).isoformat() if last else None,
            "out_of_range": sum(v or 0 for v in late["rows"].to_pylist())
            - sum(v or 0 for v in in_range["rows"].to_pylist())}  # fmt: skip


def future_words(future: dict) -> str:
    until = (future["until"] or "")[:16].replace("T", " ")
    return (f"{future['rows']:,} rows are dated after the reading time (up to {until} UTC): "
            "not counted until that time comes; is a sensor's clock wrong?")  # fmt: skip


def due(previous: dict | None, now: datetime) -> bool:
    """Is the scan for rows no window reads due?"""
    if not previous or not previous.get("at"):
        return True
    return now - datetime.fromisoformat(previous["at"]) >= CHECK_EVERY


def unreadable_times(source, query_source, now: datetime):
    """The expression that counts rows with no time, with a time out of range, rows more than
    FUTURE_SEEN ahead, and all rows."""
    config = query_source.config
    if config.partition is not None:  # only the partitions a window may reach: bounded cost
        part = config.partition
        first = (now - config.retention - timedelta(days=1)).strftime(part.format)
        last = (now + FUTURE_SEEN + timedelta(days=1)).strftime(part.format)
        source = source.filter(source[part.column].cast("string").between(first, last))
    column = source[config.time_column]
    epoch = query_source.epoch_seconds(source)
    ahead = int((now + FUTURE_SEEN).timestamp())
    outside = column.notnull() & ((epoch < EARLIEST) | (epoch >= LATEST))
    later = column.notnull() & (epoch >= ahead) & (epoch < LATEST)
    count = lambda condition: condition.fill_null(False).ifelse(1, 0).sum()  # noqa: E731
    return source.aggregate(rows=source.count(), no_time=count(column.isnull()),
                            out_of_range=count(outside), far_ahead=count(later))  # fmt: skip


def check_words(found: dict) -> list[str]:
    """Warnings for what the scan found."""
    said = [found["failed"]] if found.get("failed") else []
    if found.get("no_time"):
        said.append(f"{found['no_time']:,} rows have no time: never counted")
    if found.get("out_of_range"):
        said.append(f"{found['out_of_range']:,} rows are dated before 1990 or after 2100: "
                    "never counted")  # fmt: skip
    if found.get("far_ahead"):
        said.append(f"{found['far_ahead']:,} rows are dated more than a week after the "
                    "reading time: not counted until that time comes; is a sensor's clock "
                    "wrong?")  # fmt: skip
    return said


def is_empty(source) -> ibis.Expr:
    """An expression that is 0 when the table has no row (reads at most one)."""
    return source.limit(1).count()


def where(config) -> str:
    return f"table {config.table}" if config.table else f"Parquet {config.parquet}"


def _run(query_source, con, expr):
    config = query_source.config
    return query_engines.run(con, config.engine, expr, config.timeout, config.url)


def scan(query_source, store, now: datetime, stats: dict) -> None:
    """Rows no window reads (no time, out of range): counted by a scan at most once a day."""
    found = store.document(query_source.source_id, "checks")
    if due(found, now):
        con, source = query_source.open()
        expr = unreadable_times(source, query_source, now)
        try:
            row = _run(query_source, con, expr).to_pylist()[0]
            found = {"at": now.isoformat(), **{k: int(v or 0) for k, v in row.items()}}
        except QueryError as error:  # the refresh itself worked: only the check is missing
            found = {"at": now.isoformat(), "failed": f"the daily check for rows without "
                     f"a time could not run: {error}"}  # fmt: skip
        store.write_document(query_source.source_id, "checks", found)
    stats["bad_rows_total"] = found.get("no_time", 0) + found.get("out_of_range", 0)
    stats["warnings"] += check_words(found)


def blindness(query_source, stats: dict, seen: bool, backfilling: bool, now: datetime) -> None:
    """Blind: a table with no rows, none since the retention began, or none readable."""
    place = where(query_source.config)
    if not seen:
        con, source = query_source.open()
        expr = is_empty(source)
        empty = not _run(query_source, con, expr).as_py()
        if empty:
            stats["blind"] = f"{place} has no rows"
        elif not backfilling:
            oldest = now - query_source.config.retention
            stats["blind"] = f"{place} has no rows dated since {oldest:%Y-%m-%d %H:%M} UTC"
    elif not stats["rows"] and stats["bad_rows"]:
        stats["blind"] = (f"none of the {stats['bad_rows']:,} rows read could be read "
                          "(their addresses, times or values are not readable)")  # fmt: skip
        stats["blind_sticky"] = True
