"""A top-talkers refresh through the `query` source over a big day-partitioned Parquet flow table:
its cost follows the window asked for, not the size of the table (partition pruning).

    python bench/lake_scale.py generate --rows 100000000 --days 14   # once: ~3 GB, kept out of git
    python bench/lake_scale.py measure [--engine duckdb|pyspark] [--repeat 3] [--warm]
    python bench/lake_scale.py panel [--window 7d]   # top_talkers from the store: rollups or not
    SOCWALL_LAKE_DATA=bench/.data/lake_10m python bench/lake_scale.py generate --rows 10000000
    SOCWALL_LAKE_DATA=bench/.data/lake_10m python bench/lake_scale.py measure --engine pyspark

`measure` runs, for windows of 1 h, 24 h and 7 d, (a) the query source's refresh up to the
stored layout (its queries, then its host/peer pairs) and (b) a hand-written DuckDB SQL query
of the same aggregation, with the same cleaning and classification (bench/flow_baselines.py's
rules), on the same files, each in a fresh subprocess. It stops unless both give the same set
of (bucket, host, peer, bytes, connections, bytes_opened, opened), after every run; then it
prints seconds, the ratio socwall/plain, the CPU seconds of those runs and each side's peak
RSS (with --repeat N: the best time and the highest peak of N runs each, in turn).

`measure --warm` (DuckDB) is what a long-lived worker pays: each side in one process per window
refreshes once untimed, then N times timed (the best counts); its memory is the highest peak of
a timed refresh above the RSS the refresh started from, beside the whole process's peak; the
pairs of every timed refresh are compared with the hand query's of the same turn.
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# bench/.data is in .gitignore; SOCWALL_LAKE_DATA picks another table (e.g. a smaller one)
DATA = Path(os.environ.get("SOCWALL_LAKE_DATA", ROOT / "bench" / ".data" / "lake_flows"))
FIRST_DAY = datetime(2024, 3, 1, tzinfo=UTC)
COLUMNS = {"src_ip": "srcaddr", "dst_ip": "dstaddr", "src_port": "srcport", "dst_port": "dstport",
           "proto": "protocol", "bytes_out": "srcbytes", "bytes_in": "dstbytes"}  # fmt: skip
WINDOWS = {"1h": timedelta(hours=1), "24h": timedelta(days=1), "7d": timedelta(days=7)}


def generate(rows: int, days: int, out: Path) -> None:
    """Flows spread evenly over `days`: 300 internal hosts with 17 external peers each (5,100
    pairs, all active in every 5-minute bucket), one folder per day."""
    import duckdb

    out.mkdir(parents=True, exist_ok=True)
    step = days * 86400 / rows
    started = time.perf_counter()
    duckdb.sql(f"""
        COPY (
          SELECT TIMESTAMPTZ '{FIRST_DAY:%Y-%m-%d} 00:00:00+00' + to_microseconds(CAST(i * {step} * 1e6 AS BIGINT)) AS ts,
                 CAST(CAST(TIMESTAMPTZ '{FIRST_DAY:%Y-%m-%d} 00:00:00+00' + to_microseconds(CAST(i * {step} * 1e6 AS BIGINT)) AS DATE) AS VARCHAR) AS day,
                 '172.16.' || (i % 300 // 100) || '.' || (i % 100) AS srcaddr,
                 '198.18.' || ((i % 300 * 17 + (i * 2654435761) % 17) // 256) || '.' || ((i % 300 * 17 + (i * 2654435761) % 17) % 256) AS dstaddr,
                 CAST(40000 + i % 20000 AS INTEGER) AS srcport, CAST(443 AS INTEGER) AS dstport, 'TCP' AS protocol,
                 CAST(100 + (i * 2654435761) % 50000 AS BIGINT) AS srcbytes, CAST(60 + i % 9000 AS BIGINT) AS dstbytes
          FROM range({rows}) t(i)
        ) TO '{out}' (FORMAT PARQUET, PARTITION_BY (day), OVERWRITE_OR_IGNORE)
    """)  # fmt: skip
    size = sum(p.stat().st_size for p in out.rglob("*.parquet"))
    print(f"wrote {rows:,} rows over {days} days to {out}: {size / 2**30:.1f} GiB "
          f"in {time.perf_counter() - started:.0f} s")  # fmt: skip


def socwall_refresh(engine: str, window: str) -> dict:
    """One refresh of a query source whose retention is the window, up to the host/peer pairs it
    stores (child process). A worker has imported ibis and its backend before: so has this."""
    from socwall.feeds import query_engines

    start_s = spark_start() if engine == "pyspark" else 0.0
    if engine == "duckdb":
        query_engines.connect(engine, None)
    refresh = socwall_refresher(engine, window)
    started, cpu = time.perf_counter(), time.process_time()
    pairs, rows = refresh()
    seconds, cpu_s = time.perf_counter() - started, time.process_time() - cpu
    warm_s = 0.0
    if engine == "pyspark":  # a worker keeps its session: the next refresh finds the JVM warm
        started = time.perf_counter()
        refresh()
        warm_s = time.perf_counter() - started
    return {"seconds": seconds, "cpu_s": cpu_s, "pairs": pairs, "start_s": start_s,
            "warm_s": warm_s, "rows": rows}  # fmt: skip


def socwall_refresher(engine: str, window: str):
    """A function doing what a worker does at each refresh of the source: (pairs, rows read)."""
    sys.path.insert(0, str(ROOT))
    from socwall.feeds import query, query_flows

    now = last_time()
    config = query.QueryConfig(
        type="query", engine=engine, kind="flows", parquet=parquet_location(engine),
        time_column="ts", partition={"column": "day"}, columns=COLUMNS,
        retention=WINDOWS[window], backfill_step="30d", timeout="30m",
    )  # fmt: skip

    def refresh():
        source = query.Source(config, "bench")
        sums, per_bucket = source.query(now - WINDOWS[window], now + timedelta(minutes=5))
        pairs, _ = query_flows.stored_pairs(sums, source.networks, 300)
        return pairs, sum(per_bucket["rows"].to_pylist())

    return refresh


def spark_start() -> float:
    """Seconds to start the local SparkSession socwall uses (the query reuses it)."""
    from socwall.feeds.query_engines import spark_session

    started = time.perf_counter()
    spark_session(None)
    return time.perf_counter() - started


def parquet_location(engine: str) -> str:
    """DuckDB takes a glob (hive_partitioning finds day=); Spark discovers partitions only
    when given the table's top folder."""
    return str(DATA) if engine == "pyspark" else str(DATA / "**" / "*.parquet")


PLAIN_SQL = """
WITH raw AS (
  SELECT ts, lower(protocol) AS proto, srcaddr AS src_ip, dstaddr AS dst_ip,
         CASE WHEN lower(protocol) IN ('tcp', 'udp') THEN srcport END AS sp,
         CASE WHEN lower(protocol) IN ('tcp', 'udp') THEN dstport END AS dp,
         coalesce(srcbytes, 0) AS bo, coalesce(dstbytes, 0) AS bi
  FROM read_parquet($files, hive_partitioning = true)
  WHERE day BETWEEN $first_day AND $last_day AND ts >= $start AND ts < $end),
marked AS (
  SELECT *, coalesce(list_contains(CASE WHEN proto = 'udp' THEN $udp ELSE $services END, sp)
                     AND dp > 1024 AND NOT list_contains($services, dp), false) AS back
  FROM raw),
clean AS (
  SELECT CAST(floor(epoch(ts) / 300) AS BIGINT) * 300 AS bucket,
         CASE WHEN back THEN dst_ip ELSE src_ip END AS s,
         CASE WHEN back THEN src_ip ELSE dst_ip END AS d,
         CASE WHEN back THEN bi ELSE bo END AS b_out, CASE WHEN back THEN bo ELSE bi END AS b_in
  FROM marked
  WHERE bo BETWEEN 0 AND $max AND bi BETWEEN 0 AND $max
    AND coalesce(sp BETWEEN 0 AND 65535, true) AND coalesce(dp BETWEEN 0 AND 65535, true)),
kinds AS (
  SELECT ip, kind(ip) AS k FROM (SELECT src_ip AS ip FROM raw UNION SELECT dst_ip FROM raw))
SELECT bucket, trim(CASE WHEN sk.k = 'internal' THEN s ELSE d END) AS host,
       trim(CASE WHEN sk.k = 'internal' THEN d ELSE s END) AS peer,
       sum(CASE WHEN sk.k = 'internal' THEN b_out ELSE b_in END) AS bytes, count(*) AS connections,
       sum(b_out) FILTER (WHERE sk.k = 'internal') AS bytes_opened,
       count(*) FILTER (WHERE sk.k = 'internal') AS opened
FROM clean JOIN kinds AS sk ON sk.ip = clean.s JOIN kinds AS dk ON dk.ip = clean.d
WHERE (sk.k = 'internal' AND dk.k = 'external') OR (sk.k = 'external' AND dk.k = 'internal')
GROUP BY ALL
"""


def plain_duckdb(window: str) -> dict:
    """The same sums by hand, with socwall's cleaning and classification written in SQL
    (bench/flow_baselines.py's address rules; internal = RFC 1918, the source's default)."""
    started, cpu = time.perf_counter(), time.process_time()
    answer = plain_refresher(window)()
    return {"seconds": time.perf_counter() - started, "cpu_s": time.process_time() - cpu,
            "pairs": answer}


def plain_refresher(window: str):
    """The hand query on a connection made once (the macro of the address rules in it): a
    function that answers it again."""
    import duckdb
    import flow_baselines as rules

    now = last_time()
    start = now - WINDOWS[window]
    connection = duckdb.connect()
    connection.execute(rules.KIND_SQL.replace("{internal}", rules.RFC1918))
    params = {
        "files": f"{DATA}/**/*.parquet", "first_day": f"{start - timedelta(days=1):%Y-%m-%d}",
        "last_day": f"{now:%Y-%m-%d}", "start": start, "end": now + timedelta(minutes=5),
        "services": rules.SERVICES, "udp": rules.UDP_SERVICES, "max": rules.MAX_COUNT,
    }  # fmt: skip
    return lambda: connection.sql(PLAIN_SQL, params=params).to_arrow_table()


def plain_spark(window: str) -> dict:
    """The baseline's SQL in Spark SQL, in the same local session socwall starts."""
    start_s = spark_start()
    from pyspark.sql import SparkSession

    spark = SparkSession.getActiveSession()
    now = last_time()
    start = now - WINDOWS[window]
    started = time.perf_counter()
    spark.read.parquet(str(DATA)).createOrReplaceTempView("flows")
    answer = spark.sql(f"""
        SELECT CAST(unix_timestamp(ts) AS BIGINT) DIV 300 * 300 AS bucket, srcaddr, dstaddr, sum(srcbytes), count(*)
        FROM flows
        WHERE day BETWEEN DATE '{start - timedelta(days=1):%Y-%m-%d}' AND DATE '{now:%Y-%m-%d}'
          AND ts >= TIMESTAMP '{start:%Y-%m-%d %H:%M:%S}' AND ts < TIMESTAMP '{now + timedelta(minutes=5):%Y-%m-%d %H:%M:%S}'
          AND srcaddr LIKE '172.16.%' AND dstaddr NOT LIKE '172.16.%'
        GROUP BY 1, 2, 3
    """).toPandas()  # fmt: skip; collected as ibis collects (toArrow ran out of a 1 GB heap at 7 d)
    return {"seconds": time.perf_counter() - started, "pairs": len(answer), "start_s": start_s}


def jvm_peak_mib() -> float:
    """Peak RSS (VmHWM) of this process's Java children, read before they exit: Spark's JVM
    is not waited for, so RUSAGE_CHILDREN does not see it."""
    import psutil

    peak = 0
    for child in psutil.Process().children(recursive=True):
        status = Path(f"/proc/{child.pid}/status").read_text()
        peak += next((int(line.split()[1]) for line in status.splitlines()
                      if line.startswith("VmHWM:")), 0)  # fmt: skip
    return peak / 1024


def last_time() -> datetime:
    days = sorted(p.name.split("=", 1)[1] for p in DATA.glob("day=*"))
    return datetime.fromisoformat(days[-1]).replace(tzinfo=UTC) + timedelta(hours=23)


def in_child(kind: str, engine: str, window: str, pairs: Path | None = None, warm: int = 0) -> dict:
    """Run one measurement in a fresh interpreter: its peak RSS is that query's alone. With
    `pairs`, the child writes its host/peer pairs there (after measuring); with `warm`, the
    child refreshes once untimed, then `warm` times (see warm_runs)."""
    command = [sys.executable, __file__, "child", kind, engine, window, str(pairs or ""),
               "--warm", str(warm)]  # fmt: skip
    result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    return result


def warm_runs(kind: str, window: str, repeat: int, out: str) -> dict:
    """What a long-lived worker pays: one refresh untimed (imports, connection, compiled
    queries), then `repeat` timed ones, each writing its pairs to `out` with its number (after
    its memory is read). Memory: before each timed refresh the process's peak is reset to its
    RSS (/proc/self/clear_refs), and the refresh's peak above that RSS is what it costs."""
    import pyarrow.parquet as pq

    refresh = socwall_refresher("duckdb", window) if kind == "socwall" else plain_refresher(window)
    refresh()
    runs, whole_peak = [], 0.0
    for number in range(repeat):
        whole_peak = max(whole_peak, status_mib("VmHWM"))
        Path("/proc/self/clear_refs").write_text("5")  # the peak starts again from the RSS
        before = status_mib("VmRSS")
        started, cpu = time.perf_counter(), time.process_time()
        answer = refresh()
        seconds, cpu_s = time.perf_counter() - started, time.process_time() - cpu
        peak = status_mib("VmHWM")
        whole_peak = max(whole_peak, peak)
        pairs, rows = answer if kind == "socwall" else (answer, 0)
        pq.write_table(pairs.select(PAIR_COLUMNS.split(", ")), f"{out}.{number}")
        runs.append({"seconds": seconds, "cpu_s": cpu_s, "peak_mib": peak - before,
                     "rows": rows, "pairs": pairs.num_rows})  # fmt: skip
        del answer, pairs
    best = min(runs, key=lambda run: run["seconds"])
    return {**best, "peak_mib": max(run["peak_mib"] for run in runs), "whole_mib": whole_peak,
            "runs": len(runs)}  # fmt: skip


def status_mib(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS, VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


PAIR_COLUMNS = "bucket, host, peer, bytes, connections, bytes_opened, opened"


def same_pairs(ours: Path, plain: Path) -> int:
    """The number of pairs, after checking that both files hold the same multiset of pairs."""
    import duckdb

    read = f"SELECT {PAIR_COLUMNS} FROM read_parquet('{{}}')"
    counts = duckdb.sql(f"SELECT (SELECT count(*) FROM read_parquet('{ours}')), "
                        f"(SELECT count(*) FROM read_parquet('{plain}'))").fetchall()[0]  # fmt: skip
    differ = duckdb.sql(f"SELECT count(*) FROM (({read.format(ours)} EXCEPT ALL {read.format(plain)}) "
                        f"UNION ALL ({read.format(plain)} EXCEPT ALL {read.format(ours)}))").fetchall()[0]  # fmt: skip
    if counts[0] != counts[1] or differ[0]:
        sys.exit(f"the pairs differ: {counts[0]:,} vs {counts[1]:,} rows, {differ[0]:,} not in both")
    return counts[0]


def measure(engine: str, repeat: int, warm: bool = False) -> None:
    """Each window `repeat` times, socwall and the hand SQL in turn, each run a fresh process:
    the best time of each side (CPU seconds of that run beside it, all threads: less bent by
    other work on a shared machine) and the highest peak memory of each side's runs. With
    `warm`: each side in one process refreshing `repeat` times after an untimed one."""
    print(f"engine {engine}, table {DATA} ({sum(1 for _ in DATA.rglob('*.parquet'))} files), "
          f"{'warm' if warm else 'cold'}, best of {repeat}, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")  # fmt: skip
    if engine == "pyspark":
        return measure_spark()
    if warm:
        return measure_warm(repeat)
    print(f"{'window':>6} {'socwall s':>10} {'plain s':>8} {'ratio':>6} {'cpu s':>11} "
          f"{'cpu ratio':>9} {'pairs':>9} {'rows read':>12} {'socwall MiB':>12} "
          f"{'plain MiB':>10} {'MiB ratio':>9}")  # fmt: skip
    folder = Path(tempfile.mkdtemp(prefix="lake_pairs_"))
    for window in WINDOWS:
        runs: dict[str, list[dict]] = {"socwall": [], "plain": []}
        for _ in range(repeat):
            runs["socwall"].append(in_child("socwall", engine, window, folder / "ours.parquet"))
            runs["plain"].append(in_child("plain", "duckdb", window, folder / "plain.parquet"))
            pairs = same_pairs(folder / "ours.parquet", folder / "plain.parquet")
        ours, plain = (min(runs[side], key=lambda run: run["seconds"]) for side in runs)
        peak = {side: max(run["peak_mib"] for run in runs[side]) for side in runs}
        print(f"{window:>6} {ours['seconds']:10.2f} {plain['seconds']:8.2f} "
              f"{ours['seconds'] / plain['seconds']:6.2f} "
              f"{ours['cpu_s']:5.2f}/{plain['cpu_s']:5.2f} {ours['cpu_s'] / plain['cpu_s']:9.2f} "
              f"{pairs:9,} {ours['rows']:12,} {peak['socwall']:12.0f} {peak['plain']:10.0f} "
              f"{peak['socwall'] / peak['plain']:9.2f}")  # fmt: skip
    shutil.rmtree(folder)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


def measure_warm(repeat: int) -> None:
    """Each side in one process per window (socwall's, then the hand query's): the best of
    `repeat` timed refreshes after an untimed one; memory is the highest peak of a timed
    refresh above the RSS it started from, and the whole process's peak."""
    print(f"{'window':>6} {'socwall s':>10} {'plain s':>8} {'ratio':>6} {'cpu s':>11} "
          f"{'cpu ratio':>9} {'pairs':>9} {'MiB above':>11} {'ratio':>6} {'process MiB':>13}")
    folder = Path(tempfile.mkdtemp(prefix="lake_pairs_"))
    for window in WINDOWS:
        ours = in_child("socwall", "duckdb", window, folder / "ours.parquet", warm=repeat)
        plain = in_child("plain", "duckdb", window, folder / "plain.parquet", warm=repeat)
        for number in range(repeat):  # every timed refresh of each side, one by one
            pairs = same_pairs(folder / f"ours.parquet.{number}", folder / f"plain.parquet.{number}")
        print(f"{window:>6} {ours['seconds']:10.3f} {plain['seconds']:8.3f} "
              f"{ours['seconds'] / plain['seconds']:6.2f} "
              f"{ours['cpu_s']:5.2f}/{plain['cpu_s']:5.2f} {ours['cpu_s'] / plain['cpu_s']:9.2f} "
              f"{pairs:9,} {ours['peak_mib']:5.0f}/{plain['peak_mib']:5.0f} "
              f"{ours['peak_mib'] / max(plain['peak_mib'], 1):6.2f} "
              f"{ours['whole_mib']:6.0f}/{plain['whole_mib']:6.0f}")  # fmt: skip
    shutil.rmtree(folder)  # 10 M pairs a refresh at 7 d: 0.6 GB of files a run
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


def measure_spark() -> None:
    """Spark: socwall's refresh beside the same plain query in Spark SQL and in DuckDB; the
    session start is reported apart (a worker starts it once and keeps it)."""
    print(f"{'window':>6} {'start s':>8} {'socwall s':>10} {'again s':>8} {'Spark SQL s':>12} "
          f"{'ratio':>6} {'DuckDB s':>9} {'pairs':>9} {'rows read':>11} {'Python MiB':>11} "
          f"{'JVM MiB':>8}")  # fmt: skip
    for window in WINDOWS:
        ours = in_child("socwall", "pyspark", window)
        plain = in_child("plain", "pyspark", window)
        duck = in_child("plain", "duckdb", window)
        print(f"{window:>6} {ours['start_s']:8.1f} {ours['seconds']:10.2f} "
              f"{ours['warm_s']:8.2f} {plain['seconds']:12.2f} {ours['seconds'] / plain['seconds']:6.1f} "
              f"{duck['seconds']:9.2f} {ours['pairs']:9,} {ours['rows']:11,} "
              f"{ours['peak_mib']:11.0f} {ours['jvm_mib']:8.0f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate")
    gen.add_argument("--rows", type=int, default=100_000_000)
    gen.add_argument("--days", type=int, default=14)
    run = sub.add_parser("measure")
    run.add_argument("--engine", default="duckdb", choices=["duckdb", "pyspark"])
    run.add_argument("--repeat", type=int, default=1, help="runs of each side; the best counts")
    run.add_argument("--warm", action="store_true",
                     help="each side refreshes in one process, as a worker: once untimed, then timed")
    child = sub.add_parser("child")
    child.add_argument("kind")
    child.add_argument("engine")
    child.add_argument("window")
    child.add_argument("out", nargs="?", default="")
    child.add_argument("--warm", type=int, default=0)
    panel = sub.add_parser("panel")
    panel.add_argument("--window", default="7d")
    panel_child = sub.add_parser("panel-child")
    for name in ("url", "window", "rollups"):
        panel_child.add_argument(name)
    args = parser.parse_args()
    if args.command == "generate":
        generate(args.rows, args.days, DATA)
    elif args.command.startswith("panel"):
        panel_main(args)
    elif args.command == "measure":
        measure(args.engine, args.repeat, args.warm)
    else:
        child_main(args.kind, args.engine, args.window, args.out, args.warm)


def panel_main(args) -> None:
    """The top_talkers refresh from the store, with and without hourly rollups (lake_panel.py)."""
    sys.path.insert(0, str(ROOT))
    import lake_panel

    from socwall.feeds import query

    if args.command == "panel-child":
        print(json.dumps(lake_panel.refresh(args.url, last_time(), args.window, args.rollups == "1")))
        return
    config = query.QueryConfig(
        type="query", engine="duckdb", kind="flows", parquet=parquet_location("duckdb"),
        time_column="ts", partition={"column": "day"}, columns=COLUMNS, retention="8d",
        backfill_step="30d", timeout="30m",
    )  # fmt: skip
    print(f"table {DATA} ({sum(1 for _ in DATA.rglob('*.parquet'))} files)")
    lake_panel.measure(__file__, config, last_time(), args.window)


def child_main(kind: str, engine: str, window: str, out: str, warm: int) -> None:
    if warm:
        print(json.dumps(warm_runs(kind, window, warm, out)))
        return
    if kind == "socwall":
        result = socwall_refresh(engine, window)
    else:
        result = plain_spark(window) if engine == "pyspark" else plain_duckdb(window)
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["jvm_mib"] = jvm_peak_mib() if engine == "pyspark" else 0.0
    pairs = result.pop("pairs")
    if out:
        import pyarrow.parquet as pq

        pq.write_table(pairs.select(PAIR_COLUMNS.split(", ")), out)
    result["pairs"] = pairs if isinstance(pairs, int) else pairs.num_rows
    print(json.dumps(result))


if __name__ == "__main__":
    main()
