"""The yardsticks of bench/flows.py: socwall's flow semantics written again, independently, once
with pandas and once as DuckDB SQL. Same rules as docs/sources.md (IPv4 only: the bench's data
has no IPv6):

- the protocol is compared in lower case; ports of flows neither TCP nor UDP are cleared;
- a flow from a service port to an ephemeral one (> 1024, not a service port) is swapped
  (addresses, ports, bytes, packets); for UDP only from a port that answers over UDP;
- an address: dotted quad, no leading zeros, octets <= 255, else the row is unreadable;
  multicast, broadcast, 0/8, link-local, loopback and reserved sides are ignored; 10/8 is ours;
- counts outside 0..2^53, ports outside 0..65535, negative durations, times outside
  1990..2100 make the row unreadable;
- per 5-minute bucket, internal host and external peer: bytes the host sent (bytes_out when it
  opened, bytes_in when it answered), connections, and of those what the host opened;
- top_talkers' ranking: each host/peer pair summed over the whole window first (not per
  bucket: docs/sources.md, "the answer does not depend on the bucket size"), a pair with
  nothing in the ranked value left out, then per host the sum, connections and distinct peers,
  ties by address.
- the bucket of a row is floor(seconds / 300) of its time in whole seconds (a time is never
  rounded into the next bucket).

Each returns {"both": top 10, "out": top 10}, top 10 = [(host, bytes, connections, peers)].
"""

import numpy as np

from socwall.feeds import flow_rules

SERVICES = sorted(flow_rules.SERVICE_PORTS)
UDP_SERVICES = sorted(set(SERVICES) & set(flow_rules.UDP_ANSWERING_PORTS))
INTERNAL_FIRST_OCTET = 10  # internal: ["10.0.0.0/8"], as the bench configures socwall
INVALID, INTERNAL, EXTERNAL, SPECIAL = "invalid", "internal", "external", "special"
MAX_COUNT, FIRST_S, LAST_S = 2**53, 631152000, 4102444800
VAST = {"ts": "TimeSeconds", "proto": "ipLayerProtocolCode", "src_ip": "firstSeenSrcIp",
        "dst_ip": "firstSeenDestIp", "src_port": "firstSeenSrcPort",
        "dst_port": "firstSeenDestPort", "bytes_out": "firstSeenSrcTotalBytes",
        "bytes_in": "firstSeenDestTotalBytes", "packets_out": "firstSeenSrcPacketCount",
        "packets_in": "firstSeenDestPacketCount", "duration": "durationSeconds"}  # fmt: skip


def address_kind(octets: np.ndarray) -> np.ndarray:
    """Kind of IPv4 addresses given as an (n, 4) array of octets (all <= 255)."""
    a, b, c, d = octets.T
    kind = np.where(a == INTERNAL_FIRST_OCTET, INTERNAL, EXTERNAL).astype(object)
    special = ((a >= 224) & (a <= 239)) | ((a == 255) & (b == 255) & (c == 255) & (d == 255))
    special |= (a == 0) | ((a == 169) & (b == 254)) | (a == 127) | (a >= 240)
    kind[special] = SPECIAL
    return kind


def pandas_top(path: str) -> dict:
    """The naive way: pd.read_csv of the whole file, the rules in pandas, groupby."""
    import pandas as pd

    df = pd.read_csv(path, usecols=list(VAST.values())).rename(
        columns={v: k for k, v in VAST.items()}
    )
    proto = df["proto"].str.lower()
    ported = proto.isin(["tcp", "udp"])
    for name in ("src_port", "dst_port"):
        df[name] = df[name].where(ported)
    udp = proto == "udp"
    answering = df["src_port"].isin(SERVICES) & (~udp | df["src_port"].isin(UDP_SERVICES))
    back = answering & (df["dst_port"] > 1024) & ~df["dst_port"].isin(SERVICES)
    for left, right in flow_rules.SWAPPED_PAIRS:
        df[left], df[right] = df[left].where(~back, df[right]), df[right].where(~back, df[left])
    ok = pd.Series(True, index=df.index)
    for name in ("bytes_out", "bytes_in", "packets_out", "packets_in"):
        ok &= df[name].fillna(0).between(0, MAX_COUNT)
    for name in ("src_port", "dst_port"):
        ok &= df[name].isna() | df[name].between(0, 65535)
    ok &= df["duration"].isna() | (df["duration"] >= 0)
    micros = (df["ts"] * 1e6).round()
    ok &= (micros / 1e6).between(FIRST_S, LAST_S)
    kinds = _pandas_kinds(pd.concat([df["src_ip"], df["dst_ip"]]).unique())
    src, dst = df["src_ip"].map(kinds), df["dst_ip"].map(kinds)
    ok &= (src != INVALID) & (dst != INVALID)
    outbound = ok & (src == INTERNAL) & (dst == EXTERNAL)
    crossing = outbound | (ok & (src == EXTERNAL) & (dst == INTERNAL))
    strip = lambda s: s.str.strip()  # noqa: E731  canonical form: spaces dropped
    flows = pd.DataFrame({
        "bucket": (micros // 1_000_000 // 300).astype("int64"),
        "host": strip(df["src_ip"].where(outbound, df["dst_ip"])),
        "peer": strip(df["dst_ip"].where(outbound, df["src_ip"])),
        "bytes": df["bytes_out"].where(outbound, df["bytes_in"]).fillna(0).astype("int64"),
        "opened": outbound.astype("int64"),
    })[crossing]  # fmt: skip
    flows["bytes_opened"] = flows["bytes"] * flows["opened"]
    flows["connections"] = 1
    pairs = flows.groupby(["bucket", "host", "peer"], as_index=False).sum()
    pairs = pairs.drop(columns="bucket").groupby(["host", "peer"], as_index=False).sum()
    both = pairs[pairs["bytes"] > 0]
    out = pairs[pairs["bytes_opened"] > 0]
    out = out.assign(bytes=out["bytes_opened"], connections=out["opened"])
    return {"both": _pandas_rank(both), "out": _pandas_rank(out)}


def _pandas_kinds(addresses) -> dict:
    import pandas as pd

    text = pd.Series(addresses, dtype=object).str.strip()
    dotted = text.str.fullmatch(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}") & ~text.str.contains(
        r"(?:^|\.)0\d"
    )
    kinds = np.full(len(text), INVALID, dtype=object)
    octets = text[dotted].str.split(".", expand=True).astype(int).to_numpy().reshape(-1, 4)
    valid = (octets <= 255).all(axis=1)
    kinds[np.flatnonzero(dotted.to_numpy())[valid]] = address_kind(octets[valid])
    return dict(zip(addresses, kinds, strict=True))


def _pandas_rank(pairs) -> list:
    hosts = pairs.groupby("host").agg(bytes=("bytes", "sum"), connections=("connections", "sum"),
                                      peers=("peer", "nunique")).reset_index()  # fmt: skip
    hosts = hosts.sort_values(["bytes", "host"], ascending=[False, True]).head(10)
    columns = (hosts["host"], hosts["bytes"], hosts["connections"], hosts["peers"])
    return [(h, int(b), int(c), int(p)) for h, b, c, p in zip(*columns, strict=True)]


KIND_SQL = """
CREATE MACRO octet(t, i) AS TRY_CAST(split_part(t, '.', i) AS INTEGER);
CREATE MACRO kind(ip) AS CASE
  WHEN NOT regexp_full_match(trim(ip), '\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}')
       OR regexp_matches(trim(ip), '(^|\\.)0\\d')
       OR greatest(octet(trim(ip), 1), octet(trim(ip), 2), octet(trim(ip), 3),
                   octet(trim(ip), 4)) > 255 THEN 'invalid'
  WHEN octet(trim(ip), 1) BETWEEN 224 AND 255 OR octet(trim(ip), 1) IN (0, 127)
       OR (octet(trim(ip), 1) = 169 AND octet(trim(ip), 2) = 254) THEN 'special'
  WHEN {internal} THEN 'internal'
  ELSE 'external' END;
"""  # 224/4 multicast, 240/4 reserved and 255.255.255.255 broadcast together: 224..255
TEN = "octet(trim(ip), 1) = 10"  # the bench's internal: ["10.0.0.0/8"]
RFC1918 = ("octet(trim(ip), 1) = 10 OR (octet(trim(ip), 1) = 172 AND octet(trim(ip), 2) "
           "BETWEEN 16 AND 31) OR (octet(trim(ip), 1) = 192 AND octet(trim(ip), 2) = 168)")

DUCKDB_SQL = """
WITH raw AS (
  SELECT round(TimeSeconds * 1e6) AS micros, lower(ipLayerProtocolCode) AS proto,
         firstSeenSrcIp AS src_ip, firstSeenDestIp AS dst_ip,
         CASE WHEN lower(ipLayerProtocolCode) IN ('tcp', 'udp') THEN firstSeenSrcPort END AS sp,
         CASE WHEN lower(ipLayerProtocolCode) IN ('tcp', 'udp') THEN firstSeenDestPort END AS dp,
         coalesce(firstSeenSrcTotalBytes, 0) AS bo, coalesce(firstSeenDestTotalBytes, 0) AS bi,
         coalesce(firstSeenSrcPacketCount, 0) AS po, coalesce(firstSeenDestPacketCount, 0) AS pk_in,
         durationSeconds AS duration
  FROM {source}),
marked AS (
  SELECT *, coalesce(list_contains(CASE WHEN proto = 'udp' THEN $udp ELSE $services END, sp)
                     AND dp > 1024 AND NOT list_contains($services, dp), false) AS back
  FROM raw),
kinds AS (  -- each distinct address classified once, as socwall does
  SELECT ip, kind(ip) AS k FROM (SELECT src_ip AS ip FROM raw UNION SELECT dst_ip FROM raw)),
clean AS (
  SELECT micros,
         CASE WHEN back THEN dst_ip ELSE src_ip END AS s,
         CASE WHEN back THEN src_ip ELSE dst_ip END AS d,
         CASE WHEN back THEN bi ELSE bo END AS b_out, CASE WHEN back THEN bo ELSE bi END AS b_in
  FROM marked
  WHERE bo BETWEEN 0 AND $max AND bi BETWEEN 0 AND $max AND po BETWEEN 0 AND $max
    AND pk_in BETWEEN 0 AND $max AND coalesce(sp BETWEEN 0 AND 65535, true)
    AND coalesce(dp BETWEEN 0 AND 65535, true) AND coalesce(duration >= 0, true)
    AND micros / 1e6 BETWEEN $first AND $last),
classified AS (
  SELECT clean.*, sk.k AS sk, dk.k AS dk
  FROM clean JOIN kinds AS sk ON sk.ip = clean.s JOIN kinds AS dk ON dk.ip = clean.d),
flows AS (
  SELECT CAST(micros AS BIGINT) // 1000000 // 300 AS bucket, sk = 'internal' AS opened,
         trim(CASE WHEN sk = 'internal' THEN s ELSE d END) AS host,
         trim(CASE WHEN sk = 'internal' THEN d ELSE s END) AS peer,
         CASE WHEN sk = 'internal' THEN b_out ELSE b_in END AS bytes
  FROM classified
  WHERE (sk = 'internal' AND dk = 'external') OR (sk = 'external' AND dk = 'internal')),
pairs AS (
  SELECT bucket, host, peer, sum(bytes) AS bytes, count(*) AS connections,
         sum(bytes) FILTER (WHERE opened) AS bytes_opened, count(*) FILTER (WHERE opened) AS opened
  FROM flows GROUP BY ALL),
window_pairs AS (  -- each pair summed over the window before the filter, as top_talkers ranks
  SELECT host, peer, sum(bytes) AS bytes, sum(connections) AS connections,
         coalesce(sum(bytes_opened), 0) AS bytes_opened, sum(opened) AS opened
  FROM pairs GROUP BY host, peer),
ranked AS (
  SELECT 'both' AS direction, host, sum(bytes) AS bytes, sum(connections) AS connections,
         count(*) AS peers FROM window_pairs WHERE bytes > 0 GROUP BY host
  UNION ALL
  SELECT 'out', host, sum(bytes_opened), sum(opened), count(*)
  FROM window_pairs WHERE bytes_opened > 0 GROUP BY host)
SELECT * FROM ranked
QUALIFY row_number() OVER (PARTITION BY direction ORDER BY bytes DESC, host) <= 10
ORDER BY direction, bytes DESC, host
"""


def duckdb_top(path: str) -> dict:
    """One DuckDB SQL query over the same file (parallel CSV / Parquet scan)."""
    import duckdb

    connection = duckdb.connect()
    connection.execute(KIND_SQL.replace("{internal}", TEN))
    source = "read_parquet($path)" if path.endswith(".parquet") else "read_csv($path, header=true)"
    rows = connection.execute(DUCKDB_SQL.format(source=source), {
        "path": path, "services": SERVICES, "udp": UDP_SERVICES, "max": MAX_COUNT,
        "first": FIRST_S, "last": LAST_S,
    }).fetchall()  # fmt: skip
    tops: dict = {"both": [], "out": []}
    for direction, host, b, c, p in rows:
        tops[direction].append((host, int(b), int(c), int(p)))
    return tops
