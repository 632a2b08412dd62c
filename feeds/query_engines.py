"""Connecting to the engine that holds the data, and running one ibis expression with a timeout.

Every engine is an ibis backend; socwall builds one expression per refresh and sends it. DuckDB
and Spark may read Parquet files (a path or glob, hive-partitioned directories included) instead
of a table. Errors leave here as QueryError in words, with any password in the URL masked.
"""

import logging
import threading
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pyarrow as pa

UNITS = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}  # epoch numbers per second
LIVE_ENGINES = ("duckdb", "postgres", "pyspark")  # the ones socwall's CI runs for real


POSTGRES_TIMEOUT = "canceling statement due to statement timeout"


class QueryError(Exception):
    """The engine could not answer; the message says why and never holds a password."""


def masked(url: str | None) -> str:
    """The URL with its password replaced by ***, for messages and /healthz."""
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


CONNECT_TIMEOUT = {"postgres": "connect_timeout", "clickhouse": "connect_timeout"}  # seconds


def connect(engine: str, url: str | None, password: str | None = None,
            timeout: timedelta = timedelta(seconds=60)):  # fmt: skip
    """An ibis backend for `engine`: DuckDB in memory when no URL, else `ibis.connect(url)`.
    Connecting takes at most `timeout`, whatever the server does: the driver's own connect
    timeout where it has one, and a deadline around the call for every engine (a server that
    accepts and never answers would otherwise hold the caller for minutes)."""
    import ibis  # imported here: a wall without query sources does not pay for it

    if engine == "pyspark":
        return ibis.pyspark.connect(spark_session(url))
    if engine == "duckdb" and not url:
        return tuned_duckdb(ibis.duckdb.connect())
    if engine != "duckdb" and not url:
        raise QueryError(f"engine {engine} needs a `url`")
    if password and urlsplit(url).password is None:
        parts = urlsplit(url)
        url = url.replace(f"//{parts.username}@", f"//{parts.username}:{password}@", 1)
    seconds = max(1, int(timeout.total_seconds()))
    options = {CONNECT_TIMEOUT[engine]: seconds} if engine in CONNECT_TIMEOUT else {}
    try:
        con = _within(seconds + 2, lambda: ibis.connect(url, **options))
        return tuned_duckdb(con) if engine == "duckdb" else con
    except TimeoutError:
        raise QueryError(f"cannot connect to {masked(url)}: no answer within {seconds} s") from None
    except Exception as error:  # each driver raises its own kind; all mean "cannot connect"
        reason = _words(error, url, password)
        raise QueryError(f"cannot connect to {masked(url)}: {reason}") from None


# The flows query joins its rows to their distinct addresses' kinds (rows LEFT JOIN kinds):
# DuckDB's estimates made it build the hash table on the rows and probe it with the few
# addresses, 1.3 s of 2.6 s at 1.4 M rows; as written, it builds on the addresses.
DUCKDB_SETTINGS = {"disabled_optimizers": "build_side_probe_side"}


def tuned_duckdb(con):
    """A DuckDB connection with socwall's settings."""
    for name, value in DUCKDB_SETTINGS.items():
        con.con.execute(f"SET {name} = '{value}'")
    return con


def _within(seconds: float, call):
    """call() in a thread of its own, given up after `seconds` (TimeoutError): the thread is left
    to finish by itself, the caller goes on."""
    result: dict = {}

    def run():
        try:
            result["value"] = call()
        except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
            result["error"] = error

    worker = threading.Thread(target=run, name="socwall-connect", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TimeoutError
    if "error" in result:
        raise result["error"]
    return result["value"]


def spark_session(master: str | None):
    """The process's SparkSession (Spark allows one), in local mode unless a master URL is given."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("socwall").master(master or "local[2]")
    for key, value in SPARK_SETTINGS.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")  # its warnings print whole query plans
    logging.getLogger("py4j").setLevel(logging.WARNING)  # INFO: every gateway connection
    return session


SPARK_SETTINGS = {
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.memory": "1g",
    "spark.ui.showConsoleProgress": "false",
}


def table(con, engine: str, name: str | None, parquet: str | None):
    """The source table: a named table, or Parquet files read by DuckDB or Spark."""
    try:
        if parquet is not None:
            if engine == "duckdb":
                return con.read_parquet(parquet, hive_partitioning=True)
            return con.read_parquet(parquet)
        return con.table(name)
    except Exception as error:
        where = parquet if parquet is not None else f"table {name}"
        raise QueryError(f"cannot read {where}: {_words(error)}") from None


def run(con, engine: str, expr, timeout: timedelta, url: str | None = None) -> pa.Table:
    """The expression's result as Arrow; QueryError when it fails or runs past `timeout`."""
    seconds = timeout.total_seconds()
    try:
        with _deadline(con, engine, seconds) as timer:
            result = con.to_pyarrow(expr)
    except Exception as error:
        if timer.fired:
            raise QueryError(f"the query ran past its timeout ({seconds:g} s); cancelled") from None
        raise QueryError(f"the query failed: {_words(error, url)}") from None
    return result


def session_variable(name: str, dtype):
    """An ibis value read from a DuckDB session variable when the query runs (`getvariable`,
    folded to a constant before planning: filters on it still prune files and row groups),
    so a query compiled once serves every window."""
    import ibis

    def getvariable(variable: str) -> dtype: ...  # not `name`: ibis values have a .name

    return ibis.udf.scalar.builtin(getvariable)(name)


def run_compiled(con, sql: str, expr, variables: dict, timeout: timedelta) -> pa.Table:
    """`sql` (the compiled `expr`) on a DuckDB connection with its session `variables` set,
    as Arrow typed as ibis would return it; QueryError when it fails or runs past `timeout`."""
    from ibis.backends.duckdb.converter import DuckDBPyArrowData

    seconds, timer = timeout.total_seconds(), _Timer()
    try:
        for name, value in variables.items():
            con.con.execute(f"SET VARIABLE {name} = ?", [value])
        with _deadline(con, "duckdb", seconds) as timer:
            table = con.con.sql(sql).to_arrow_table()
    except Exception as error:
        if timer.fired:
            raise QueryError(f"the query ran past its timeout ({seconds:g} s); cancelled") from None
        raise QueryError(f"the query failed: {_words(error)}") from None
    return expr.__pyarrow_result__(table, data_mapper=DuckDBPyArrowData)


def materialize(con, engine: str, expr, timeout: timedelta):
    """The relation computed into a temporary table of the engine (ibis `cache`), under the
    same timeout; `.release()` drops it."""
    seconds = timeout.total_seconds()
    try:
        with _deadline(con, engine, seconds) as timer:
            return expr.cache()
    except Exception as error:
        if timer.fired:
            raise QueryError(f"the query ran past its timeout ({seconds:g} s); cancelled") from None
        raise QueryError(f"the query failed: {_words(error)}") from None


class _Timer:
    fired = False


@contextmanager
def _deadline(con, engine: str, seconds: float):
    """Cancel the running query when `seconds` pass: each engine has its own way."""
    state = _Timer()
    if engine == "postgres":
        con.raw_sql(f"SET statement_timeout = {int(seconds * 1000)}").close()
    returned = threading.Event()
    with _cancel_hook(con, engine) as cancel:
        def fire():
            state.fired = True
            cancel()
            # Spark cancels only the jobs running at the call: a query still being planned
            # starts its jobs later, so they are cancelled again until the call returns
            while engine == "pyspark" and not returned.wait(1.0):
                cancel()

        timer = threading.Timer(seconds, fire) if cancel else None
        if timer:
            timer.daemon = True
            timer.start()
        try:
            yield state
        finally:
            returned.set()
            if timer:
                timer.cancel()


@contextmanager
def _cancel_hook(con, engine: str):
    """A function that cancels what this thread runs on the engine next (None: the engine
    cancels by itself, as PostgreSQL's statement_timeout does)."""
    if engine == "duckdb":
        yield con.con.interrupt
    elif engine == "pyspark":
        # Spark's job tags are per thread: only this refresh's jobs are cancelled, not those
        # another source runs in the same session at the same time
        context = con._session.sparkContext
        tag = f"socwall-{uuid.uuid4().hex}"
        context.addJobTag(tag)
        context.setInterruptOnCancel(True)  # stop the tasks' threads, not only the scheduling
        try:
            yield lambda: context.cancelJobsWithTag(tag)
        finally:
            context.removeJobTag(tag)
    else:
        yield None


def _words(error: Exception, url: str | None = None, password: str | None = None) -> str:
    """An engine error in one line: the first line of its message, secrets removed."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if url:
        text = text.replace(url, masked(url))
    secret = password or (urlsplit(url).password if url else None)
    if secret:
        text = text.replace(secret, "***")
    text = text.replace(POSTGRES_TIMEOUT, "the query ran past its timeout and was cancelled")
    return text[:300]


def newest_time(per_bucket: pa.Table) -> str | None:
    """ISO time of the latest row in an answer's `last` column (epoch seconds), if any."""
    last = max((v or 0 for v in per_bucket["last"].to_pylist()), default=0)
    return datetime.fromtimestamp(last, UTC).isoformat() if last else None
