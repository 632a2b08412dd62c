"""Top talkers from 10M flows: socwall's path against naive pandas and one DuckDB query.

Run: .venv/bin/python bench/flows.py [--rows 10000000] [--dir bench/out]
Each path runs in a fresh child process (fork) so its peak memory is its own.
"""

import argparse
import glob
import multiprocessing
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from socwall.dashboard.demo.flows import VAST_HEADER  # noqa: E402
from socwall.feeds import files, flow_readers, flow_rules, flow_sums, flows, follow  # noqa: E402

START = 1364803200  # 2013-04-01T08:00Z, VAST's own year
SERVICES = np.array([22, 25, 53, 80, 123, 443, 3389])


def generate(rows: int, seed: int = 1) -> pa.Table:
    """Flows between 600 internal hosts and 50,000 external peers; 3 % recorded backwards."""
    rng = np.random.default_rng(seed)
    internal = np.array([f"10.{i // 250}.{i % 250}.{1 + i % 7}" for i in range(600)])
    external = np.array([f"{23 + i % 180}.{(i * 7) % 250}.{(i * 13) % 250}.{i % 249 + 1}"
                         for i in range(50_000)])  # fmt: skip
    host = internal[rng.zipf(1.3, rows) % len(internal)]
    peer = external[rng.integers(0, len(external), rows)]
    outbound = rng.random(rows) < 0.8
    service = SERVICES[rng.integers(0, len(SERVICES), rows)]
    ephemeral = rng.integers(32768, 61000, rows)
    backwards = rng.random(rows) < 0.03
    src = np.where(outbound ^ backwards, host, peer)
    dst = np.where(outbound ^ backwards, peer, host)
    sport, dport = np.where(backwards, service, ephemeral), np.where(backwards, ephemeral, service)
    sent = rng.lognormal(8, 2, rows).astype(np.int64)
    got = rng.lognormal(9, 2, rows).astype(np.int64)
    proto = np.where(rng.random(rows) < 0.01, "OTHER", "TCP")
    ts = START + np.sort(rng.uniform(0, 86_400, rows))
    return pa.table({
        "TimeSeconds": ts.round(3), "parsedDate": np.full(rows, "2013-04-01 08:00:00"),
        "dateTimeStr": np.full(rows, "20130401080000"),
        "ipLayerProtocol": np.where(proto == "TCP", 6, 1),
        "ipLayerProtocolCode": proto, "firstSeenSrcIp": src, "firstSeenDestIp": dst,
        "firstSeenSrcPort": np.where(proto == "TCP", sport, 0),
        "firstSeenDestPort": np.where(proto == "TCP", dport, 0),
        "moreFragments": np.zeros(rows, np.int8), "contFragments": np.zeros(rows, np.int8),
        "durationSeconds": np.round(rng.exponential(3, rows), 3),
        "firstSeenSrcPayloadBytes": sent, "firstSeenDestPayloadBytes": got,
        "firstSeenSrcTotalBytes": sent + 40, "firstSeenDestTotalBytes": got + 40,
        "firstSeenSrcPacketCount": sent // 1400 + 1, "firstSeenDestPacketCount": got // 1400 + 1,
        "recordForceOut": np.zeros(rows, np.int8),
    }).select(VAST_HEADER)  # fmt: skip


def read_new(path: str, states: dict, header) -> tuple:
    """The new bytes of one file and its new state, as the flows source reads them."""
    read = next(follow.follow(glob.escape(path), states, lambda p, h: header, time.time(), 1e9))
    return read.data, read.state


def socwall_top(path: str, states: dict | None = None) -> list:
    """socwall's own ingest path (read new bytes, parse in batches, normalize, repair, classify,
    sum per 5 min bucket), then the ranking top_talkers does."""
    mapping = {} if path.endswith(".csv") else flow_readers.VAST_COLUMNS  # Parquet: say which
    config = flows.FlowsConfig(type="flows", path=path, internal=["10.0.0.0/8"], columns=mapping)
    fmt = flows.file_format(path, "vast" if path.endswith(".csv") else "auto")
    data, _ = read_new(path, states or {}, flows.header_reader(path, fmt))
    networks = flow_rules.Networks(config.internal, config.exclude)
    pairs, _ = flows.pairs_from_bytes(data, path, fmt, config, networks)
    return top10(flow_sums.rank_hosts(pairs, "bytes").slice(0, 10).to_pandas())


def pandas_top(path: str) -> list:
    """The naive way: read the whole CSV with pandas, repair and group with pandas."""
    import pandas as pd

    df = pd.read_csv(path)
    svc = df["firstSeenSrcPort"].isin(flow_rules.SERVICE_PORTS)
    eph = (df["firstSeenDestPort"] > 1024) & ~df["firstSeenDestPort"].isin(flow_rules.SERVICE_PORTS)
    back = svc & eph & (df["ipLayerProtocolCode"] != "OTHER")
    src = df["firstSeenSrcIp"].where(~back, df["firstSeenDestIp"])
    dst = df["firstSeenDestIp"].where(~back, df["firstSeenSrcIp"])
    out = df["firstSeenSrcTotalBytes"].where(~back, df["firstSeenDestTotalBytes"])
    inn = df["firstSeenDestTotalBytes"].where(~back, df["firstSeenSrcTotalBytes"])
    src_in, dst_in = src.str.startswith("10."), dst.str.startswith("10.")
    cross = src_in ^ dst_in
    talk = pd.DataFrame({"host": src.where(src_in, dst), "peer": dst.where(src_in, src),
                         "bytes": out.where(src_in, inn)})[cross]  # fmt: skip
    hosts = talk.groupby("host").agg(bytes=("bytes", "sum"), connections=("bytes", "size"),
                                     peers=("peer", "nunique")).reset_index()  # fmt: skip
    hosts = hosts.sort_values(["bytes", "host"], ascending=[False, True])
    hosts["rank"] = range(1, len(hosts) + 1)
    return top10(hosts)


DUCKDB_SQL = """
WITH raw AS (SELECT * FROM {source}),
f AS (
  SELECT (ipLayerProtocolCode <> 'OTHER' AND firstSeenSrcPort IN {ports}
          AND firstSeenDestPort > 1024 AND firstSeenDestPort NOT IN {ports}) AS back, *
  FROM raw),
g AS (
  SELECT CASE WHEN back THEN firstSeenDestIp ELSE firstSeenSrcIp END AS src,
         CASE WHEN back THEN firstSeenSrcIp ELSE firstSeenDestIp END AS dst,
         CASE WHEN back THEN firstSeenDestTotalBytes ELSE firstSeenSrcTotalBytes END AS b_out,
         CASE WHEN back THEN firstSeenSrcTotalBytes ELSE firstSeenDestTotalBytes END AS b_in
  FROM f),
t AS (
  SELECT CASE WHEN src LIKE '10.%' THEN src ELSE dst END AS host,
         CASE WHEN src LIKE '10.%' THEN dst ELSE src END AS peer,
         CASE WHEN src LIKE '10.%' THEN b_out ELSE b_in END AS bytes
  FROM g WHERE (src LIKE '10.%') <> (dst LIKE '10.%'))
SELECT host, sum(bytes) AS bytes, count(*) AS connections, count(DISTINCT peer) AS peers
FROM t GROUP BY host ORDER BY bytes DESC, host LIMIT 10
"""


def duckdb_top(path: str) -> list:
    """One DuckDB SQL query over the same file (parallel CSV / Parquet scan)."""
    import duckdb

    source = (
        f"read_parquet('{path}')"
        if path.endswith(".parquet")
        else f"read_csv('{path}', header=true)"
    )
    ports = "(" + ", ".join(map(str, flow_rules.SERVICE_PORTS)) + ")"
    rows = duckdb.sql(DUCKDB_SQL.format(source=source, ports=ports)).fetchall()
    return [(host, int(b), int(c), int(p)) for host, b, c, p in rows]


def top10(hosts) -> list:
    head = hosts.head(10)
    columns = (head["host"], head["bytes"], head["connections"], head["peers"])
    return [(h, int(b), int(c), int(p)) for h, b, c, p in zip(*columns, strict=True)]


def _child(job, args, pipe) -> None:
    started = time.perf_counter()
    result = job(*args)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pipe.send((seconds, peak_mb, result))


def measure(job, *args) -> tuple[float, float, list]:
    """(seconds, peak RSS in MB, result) of job(*args) run in a fresh forked process."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(job, args, send))
    process.start()
    result = receive.recv()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--dir", default=str(Path(__file__).resolve().parent / "out"))
    args = parser.parse_args()
    out = Path(args.dir)
    out.mkdir(parents=True, exist_ok=True)
    csv_path, parquet_path = out / f"vast-{args.rows}.csv", out / f"vast-{args.rows}.parquet"
    if not csv_path.exists():
        started = time.perf_counter()
        table = generate(args.rows)
        pacsv.write_csv(table, csv_path)
        pq.write_table(table, parquet_path)
        print(f"generated {args.rows:,} flows in {time.perf_counter() - started:.1f} s")
    size_mb = csv_path.stat().st_size / 1e6
    parquet_mb = parquet_path.stat().st_size / 1e6
    print(f"{args.rows:,} flows; CSV {size_mb:,.0f} MB, Parquet {parquet_mb:,.0f} MB\n")
    runs = {
        "socwall, CSV": measure(socwall_top, str(csv_path)),
        "naive pandas, CSV": measure(pandas_top, str(csv_path)),
        "DuckDB SQL, CSV": measure(duckdb_top, str(csv_path)),
        "socwall, Parquet": measure(socwall_top, str(parquet_path)),
        "DuckDB SQL, Parquet": measure(duckdb_top, str(parquet_path)),
    }
    print(f"{'path':<22}{'seconds':>9}{'flows/s':>14}{'peak MB':>10}  top 10 = socwall CSV's")
    reference = runs["socwall, CSV"][2]
    for name, (seconds, peak, result) in runs.items():
        rate = args.rows / seconds
        print(f"{name:<22}{seconds:>9.2f}{rate:>14,.0f}{peak:>10,.0f}  {result == reference}")
    sw, pdn, ddb = (runs[k][0] for k in ("socwall, CSV", "naive pandas, CSV", "DuckDB SQL, CSV"))
    print(f"\nCSV: socwall/pandas {sw / pdn:.2f}, socwall/DuckDB {sw / ddb:.2f}")
    swp, ddbp = runs["socwall, Parquet"][0], runs["DuckDB SQL, Parquet"][0]
    print(f"Parquet: socwall/DuckDB {swp / ddbp:.2f}")
    incremental(csv_path, args.rows, sw)


def incremental(csv_path: Path, rows: int, full_seconds: float) -> None:
    """Append 1 % new flows and read only them, as a refresh does."""
    grown = csv_path.with_suffix(".grown.csv")
    grown.write_bytes(csv_path.read_bytes())
    first = read_new(str(grown), {}, files.first_line)[1]
    seen = {first.id: first}
    extra = generate(rows // 100, seed=2)
    with open(grown, "ab") as handle:
        pacsv.write_csv(extra, handle, pacsv.WriteOptions(include_header=False))
    seconds, peak, _ = measure(socwall_top, str(grown), seen)
    share = seconds / full_seconds * 100
    print(f"incremental refresh, +1 % ({rows // 100:,} flows): {seconds:.3f} s, "
          f"peak {peak:,.0f} MB; {share:.1f} % of the full read")  # fmt: skip
    grown.unlink()


if __name__ == "__main__":
    main()
