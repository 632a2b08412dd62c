"""The `query` source: the aggregation runs where the data lives (DuckDB/Parquet, PostgreSQL,
Spark, Trino, Impala, ClickHouse, through ibis); only per-bucket results reach the store, in the
same layout the file sources write, so every widget and the week-ago comparison work unchanged.

Incremental by a time watermark: each refresh asks for the buckets from the last one it saw
(which may have been open then) minus `lag` for late rows, and replaces those buckets in the
store, so asking twice changes nothing. The first start backfills up to the retention, one
`backfill_step` per refresh, with its progress in the source status.
"""

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc

from socwall.errors import Waiting
from socwall.feeds import query_auth, query_checks, query_engines, query_events, query_flows
from socwall.feeds.fetch import MAX_BACKOFF
from socwall.feeds.flow_rules import Networks
from socwall.feeds.query_config import (
    Config,  # noqa: F401  (the registry reads query.Config)
    QueryConfig,
)
from socwall.feeds.query_engines import UNITS, QueryError

KINDS = {"flows": query_flows, "events": query_events, "auth": query_auth}
# engines where a shared intermediate result goes into a temporary table (ibis `cache`); on
# Spark 4.0 a cached relation read twice gave fewer pairs than the plain plan, so it re-plans
STAGED_ENGINES = ("duckdb", "postgres")
_PREPARED = threading.local()  # a DuckDB connection runs one query at a time: one per thread
MAX_PREPARED = 16  # configurations kept by a thread (a reloaded wall brings new ones)


class Source:
    """One refresh: from the watermark (minus lag) on, the engine's sums replace those buckets."""

    def __init__(self, config: QueryConfig, source_id: str):
        self.config, self.source_id = config, source_id
        self.kind = KINDS[config.kind]
        self.networks = Networks(config.internal, config.exclude, config.address_classes)

    def ingest(self, store, now: datetime) -> dict:
        state = store.fetch_state(self.source_id, "query")
        if state.get("next_attempt") and now < datetime.fromisoformat(state["next_attempt"]):
            retry = datetime.fromisoformat(state["next_attempt"])
            raise Waiting(f"{state.get('error')} (next try at {retry:%H:%M:%S} UTC)")
        try:
            stats = self._refresh(store, now)
        except QueryError as error:
            failures = int(state.get("failures") or 0)
            retry_at = now + min(self.config.refresh * 2**failures, MAX_BACKOFF)
            failed = {"failures": failures + 1, "error": str(error),
                      "next_attempt": retry_at.isoformat()}  # fmt: skip
            store.write_fetch_state(self.source_id, "query", failed)
            raise
        if state.get("failures"):
            store.write_fetch_state(self.source_id, "query", {"failures": 0, "next_attempt": ""})
        return stats

    def _refresh(self, store, now: datetime) -> dict:
        marks = store.document(self.source_id, "watermark") or {}
        previous = marks.get("bucket")
        start, end, backfilling = self.window(previous, now)
        cap = query_checks.future_cap(now, int(self.config.bucket.total_seconds()))
        answers = self.query(start, end)
        future = query_checks.future_rows(answers, cap)
        lo = int(start.timestamp())
        answers = [within(a, "bucket" if "bucket" in a.column_names else "epoch", lo, cap)
                   for a in answers]  # fmt: skip
        stats, newest = self.kind.write(answers, store, self, start, end, backfilling, now)
        if backfilling:
            mark = int(end.timestamp())  # every bucket before the step's end is complete
        else:  # never past the reading time: rows dated later wait for their time
            mark = min(max(filter(None, [newest, previous]), default=lo), cap)
        seen = bool(marks.get("rows_seen") or stats["rows"] or stats["bad_rows"])
        store.write_document(self.source_id, "watermark", {"bucket": mark, "rows_seen": seen})
        stats["backfill"] = None
        if backfilling:
            oldest = now - self.config.retention
            done = (end - oldest) / (now - oldest)
            stats["backfill"] = f"{end:%Y-%m-%d %H:%M} reached, {done:.0%} of the retention"
        if future and future["rows"]:
            stats["future"] = future
            stats["warnings"].append(query_checks.future_words(future))
        query_checks.scan(self, store, now, stats)
        query_checks.blindness(self, stats, seen, backfilling, now)
        return stats

    def window(self, watermark: int | None, now: datetime) -> tuple[datetime, datetime, bool]:
        """[start, end) to ask for now; backfilling while the end is a step, not open."""
        step = int(self.config.bucket.total_seconds())
        oldest = int((now - self.config.retention).timestamp())
        start = oldest if watermark is None else int(watermark) - self.config.lag.total_seconds()
        start = int(max(start, oldest)) // step * step
        end = start + int(self.config.backfill_step.total_seconds())
        backfilling = end < now.timestamp()
        if not backfilling:  # open: all that came, and a week ahead (counted as `future`)
            ahead = now + query_checks.FUTURE_SEEN + self.config.bucket
            return datetime.fromtimestamp(start, UTC), ahead, False
        return datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC), backfilling

    def query(self, start: datetime, end: datetime):
        """The engine's pair sums and per-bucket counts of [start, end), as Arrow tables whose
        `bucket` is a UTC epoch second."""
        prepared = self.prepared()
        if prepared is None:
            answers = self.answers(start, end)
        else:
            try:
                answers = prepared.run(self.bounds(prepared.time_type, start, end))
            except QueryError:  # opened again next time: a changed table, a broken connection
                _PREPARED.by_config.pop(self.config.model_dump_json(), None)
                raise
        if hasattr(self.kind, "split_answers"):  # flows: one grouping holds pairs and counts
            answers = self.kind.split_answers(answers)
        if self.local_zone is not None:
            answers = [local_buckets_to_utc(answer, self.local_zone) for answer in answers]
        lo, hi = int(start.timestamp()), int(end.timestamp())
        return [within(answer, "bucket" if "bucket" in answer.column_names else "epoch", lo, hi)
                for answer in answers]  # fmt: skip

    def answers(self, start: datetime, end: datetime) -> list[pa.Table]:
        """The engine's answers to the expressions built and compiled for this window."""
        config = self.config
        con, source = self.open()
        staged = []

        def stage(relation):  # computed once into a temporary table, read twice after
            if config.engine not in STAGED_ENGINES:
                return relation
            staged.append(query_engines.materialize(con, config.engine, relation, config.timeout))
            return staged[-1]

        try:
            return [query_engines.run(con, config.engine, expr, config.timeout, config.url)
                    for expr in self.expressions(source, start, end, stage)]  # fmt: skip
        finally:
            for table in staged:
                table.release()

    def prepared(self) -> "Prepared | None":
        """This thread's compiled queries for this configuration, made on its first refresh;
        None where they are not kept (see Prepared)."""
        kept = _PREPARED.__dict__.setdefault("by_config", {})
        key = self.config.model_dump_json()
        if key not in kept:
            if len(kept) >= MAX_PREPARED:
                kept.pop(next(iter(kept)))
            kept[key] = Prepared.make(self) if Prepared.suits(self.config) else None
        return kept[key]

    def open(self):
        """(connection, table) of the engine; connecting takes at most `timeout`."""
        config = self.config
        password = config.password.get_secret_value() if config.password else None
        con = query_engines.connect(config.engine, config.url, password, config.timeout)
        return con, query_engines.table(con, config.engine, config.table, config.parquet)

    def expressions(self, source, start: datetime | None, end: datetime | None,
                    stage=lambda rel: rel, bounds: dict | None = None):  # fmt: skip
        """The ibis expressions of one refresh over the `source` table (also compiled for
        engines socwall cannot run), as the source's kind builds them. `stage` may store an
        intermediate relation that more than one answer reads (the engine scans once).
        `bounds` (see `bounds`) replace start and end, e.g. by session variables."""
        self.check_columns(source)
        source = source.filter(self.time_filter(source, start, end, bounds))
        epoch = self.epoch_seconds(source)
        return self.kind.expressions(source, epoch, self, stage)

    def check_columns(self, source) -> None:
        """Every mapped column exists, with a type that can mean what it is mapped to."""
        schema = source.schema()
        config = self.config
        wanted = {**config.columns, **config.metric_columns(), "time": config.time_column}
        if config.partition is not None:
            wanted["partition"] = config.partition.column
        missing = sorted(f"{column} (for {name})" for name, column in wanted.items()
                         if column not in schema)  # fmt: skip
        if missing:
            known = ", ".join(schema.names)
            raise QueryError(f"no column {', '.join(missing)}; the table has: {known}")
        time_type = schema[config.time_column]
        if config.time_unit == "timestamp" and not time_type.is_timestamp():
            raise QueryError(f"time column {config.time_column} is {time_type}, not a timestamp: "
                             "set time_unit to s, ms, us or ns for epoch numbers")  # fmt: skip
        if config.time_unit != "timestamp" and not time_type.is_numeric():
            raise QueryError(f"time column {config.time_column} is {time_type}, not a number")

    @property
    def local_zone(self) -> ZoneInfo | None:
        """The zone of a timestamp column stored without one, unless it is UTC."""
        config = self.config
        if config.time_unit == "timestamp" and config.timezone not in ("UTC", "Etc/UTC"):
            return ZoneInfo(config.timezone)
        return None

    def time_filter(self, source, start, end, bounds: dict | None = None):
        """start <= time < end on the time column as stored, plus the partition column if any, so
        the engine can skip partitions and row groups instead of converting every row."""
        column = source[self.config.time_column]
        bounds = bounds or self.bounds(column.type(), start, end)
        condition = (column >= bounds["low"]) & (column < bounds["high"])
        if self.config.partition is not None:
            day = source[self.config.partition.column].cast("string")
            condition &= day.between(bounds["first"], bounds["last"])
        return condition

    def bounds(self, time_type, start: datetime, end: datetime) -> dict:
        """The window as the time filter compares it: `low` and `high` in the time column's
        own terms, `first` (the day before the start's) and `last` as the partition column's
        text."""
        if self.config.time_unit != "timestamp":
            scale = UNITS[self.config.time_unit]
            low, high = int(start.timestamp()) * scale, int(end.timestamp()) * scale
        elif time_type.timezone is None:  # wall-clock time: an hour either side for DST
            zone = self.local_zone or UTC
            low = (start - timedelta(hours=1)).astimezone(zone).replace(tzinfo=None)
            high = (end + timedelta(hours=1)).astimezone(zone).replace(tzinfo=None)
        else:
            low, high = start, end
        bounds = {"low": low, "high": high}
        if self.config.partition is not None:
            part = self.config.partition
            bounds["first"] = (start - timedelta(days=1)).strftime(part.format)
            bounds["last"] = end.strftime(part.format)
        return bounds

    def epoch_seconds(self, source):
        """The time column as integer epoch seconds, computed by the engine (for a column
        without a zone: of its wall-clock time, made UTC per bucket afterwards)."""
        column = source[self.config.time_column]
        unit = self.config.time_unit
        if unit == "timestamp":  # some engines give fractional seconds, and a cast rounds them
            return column.epoch_seconds().cast("float64").floor().cast("int64")
        if column.type().is_integer():
            return column // UNITS[unit]
        return (column.cast("float64") / UNITS[unit]).floor().cast("int64")


class _Staged(Exception):
    """The kind stages an intermediate table: its queries are built per refresh."""


class Prepared:
    """A source's queries compiled once and kept with their connection, the window's bounds
    read from session variables: a worker refreshing every minute neither builds and compiles
    the ibis expressions (about 0.07 s) nor opens the Parquet view each time. Only for DuckDB
    in memory over Parquet: the connection is socwall's own, and the view expands its glob on
    every query, so files and day folders added later are read (a DuckDB database file would
    stay locked against its writers while a connection is kept)."""

    def __init__(self, con, expressions: list, time_type, timeout: timedelta):
        self.con, self.expressions, self.time_type = con, expressions, time_type
        self.timeout = timeout
        self.sql = [con.compile(expr) for expr in expressions]

    @staticmethod
    def suits(config: QueryConfig) -> bool:
        return config.engine == "duckdb" and not config.url and config.parquet is not None

    @classmethod
    def make(cls, source: Source) -> "Prepared | None":
        """The source's compiled queries, or None if its kind stages a table (auth)."""
        import ibis.expr.datatypes as dt

        config = source.config
        con, table = source.open()
        source.check_columns(table)
        time_type = table[config.time_column].type()
        bound_type = time_type if config.time_unit == "timestamp" else dt.int64
        variables = {"low": bound_type, "high": bound_type, "first": dt.string, "last": dt.string}
        bounds = {name: query_engines.session_variable(f"socwall_{name}", dtype)
                  for name, dtype in variables.items()}  # fmt: skip

        def stage(relation):
            raise _Staged

        try:
            expressions = source.expressions(table, None, None, stage, bounds)
        except _Staged:
            return None
        return cls(con, expressions, time_type, config.timeout)

    def run(self, bounds: dict) -> list[pa.Table]:
        """The answers for one window (`Source.bounds`)."""
        variables = {f"socwall_{name}": value for name, value in bounds.items()}
        return [query_engines.run_compiled(self.con, sql, expr, variables, self.timeout)
                for sql, expr in zip(self.sql, self.expressions, strict=True)]  # fmt: skip


def within(answer: pa.Table, column: str, lo: int, hi: int) -> pa.Table:
    """The answer's rows with lo <= column < hi (epoch seconds)."""
    bounds = pc.min_max(answer[column]).as_py()
    whole = bounds["min"] is not None and not answer[column].null_count
    if whole and lo <= bounds["min"] and bounds["max"] < hi:
        return answer  # all of them: no copy of a big answer
    return answer.filter(pc.and_(pc.greater_equal(answer[column], lo), pc.less(answer[column], hi)))


def local_buckets_to_utc(answer: pa.Table, zone: ZoneInfo) -> pa.Table:
    """Buckets counted in a zone's wall-clock time as UTC epoch seconds (DST per bucket)."""
    def utc(column: pa.ChunkedArray) -> pa.Array:
        seconds = []
        for local in column.to_pylist():
            moment = datetime.fromtimestamp(local, UTC).replace(tzinfo=zone)
            seconds.append(int(moment.timestamp()))
        return pa.array(seconds, pa.int64())

    for name in ("bucket", "last", "epoch"):
        if name in answer.column_names:
            answer = answer.set_column(answer.schema.get_field_index(name), name, utc(answer[name]))
    return answer
