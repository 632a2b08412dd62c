"""The `flows` source: flow records cleaned, classified internal/external, summed per host."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from socwall.feeds import files, flow_readers, tail
from socwall.feeds.fields import REQUIRED_FLOW_FIELDS
from socwall.feeds.flow_rules import Networks, backwards_flows, clear_portless, ports_to_clear
from socwall.feeds.flow_sums import boundary_sums, flow_blobs, merge_pairs
from socwall.feeds.flows_config import (
    Config,  # noqa: F401  (the registry reads flows.Config)
    FlowsConfig,
)
from socwall.file_commit import ttl


def content_format(head: bytes, configured: str) -> str:
    """The configured format, or what the content's first bytes say (never the file name):
    a Zeek `#separator` header, a JSON object (Zeek JSON logs, even when named .log), Parquet's
    PAR1 magic, else the VAST CSV."""
    if configured != "auto":
        return configured
    start = head.lstrip()
    if start.startswith(b"#separator"):
        return "zeek"
    if start.startswith(b"{"):
        return "zeek-json"
    if head.startswith(b"PAR1"):
        return "parquet"
    return "vast"


def file_format(path: str, configured: str) -> str:
    """The configured format, or what the name says: *.log(.gz) is Zeek, *.parquet Parquet."""
    if configured != "auto":
        return configured
    name = path.lower().removesuffix(".gz")
    for suffix, fmt in ((".log", "zeek"), (".json", "zeek-json"), (".jsonl", "zeek-json"),
                        (".parquet", "parquet"), (".csv", "vast")):  # fmt: skip
        if name.endswith(suffix):
            return fmt
    raise ValueError(f"{path}: cannot tell the format from the name; set `format`")


def header_reader(path: str, fmt: str) -> files.HeaderReader | None:
    """How to tail this file; None means read it whole, once (Parquet)."""
    if fmt == "parquet":
        return None
    return {"zeek": files.comment_lines, "zeek-json": files.no_header}.get(fmt, files.first_line)


def parse(data: bytes, path: str, fmt: str, config: FlowsConfig) -> tuple[Iterator, str | None]:
    """Normalized flows from a file's bytes, in batches, and a warning when the file was damaged."""
    warning = None  # compressed files arrive decompressed (feeds/follow.py)
    if fmt == "vast":
        return flow_readers.vast_csv_batches(data), warning
    if fmt == "zeek":
        return iter([flow_readers.read_zeek_tsv(data)]), warning
    if fmt == "zeek-json":
        return iter([flow_readers.read_zeek_json(data)]), warning
    missing = [f for f in REQUIRED_FLOW_FIELDS if f not in config.columns]
    if missing:
        raise ValueError(f"format {fmt} needs `columns` for {', '.join(missing)}")
    return flow_readers.mapped_batches(data, fmt, config.columns), warning


def pairs_from_bytes(
    data, path: str, fmt: str, config: FlowsConfig, networks
) -> tuple[pa.Table, dict]:
    """The whole ingest of one file's new bytes: parse, clean, repair, classify, sum per bucket."""
    stats = {"rows": 0, "bad_rows": 0, "repaired": 0, "ports_cleared": 0, "special": 0,
             "newest": None, "warnings": [], "cleaning": {}}  # fmt: skip
    batches, warning = parse(data, path, fmt, config)
    if warning:
        stats["warnings"].append(f"{Path(path).name}: {warning}")
        stats["bad_rows"] += 1
    bucket_s = int(config.bucket.total_seconds())
    parts = []
    for chunk in batches:
        cleared = ports_to_clear(chunk.table)
        flows = clear_portless(chunk.table)  # read swapped where backwards, not swapped here
        backwards = backwards_flows(flows, config.service_ports).to_numpy(zero_copy_only=False)
        pairs, invalid, special = boundary_sums(flows, networks, bucket_s, backwards)
        parts.append(pairs)
        stats["rows"] += flows.num_rows - invalid
        stats["bad_rows"] += chunk.bad_rows + invalid
        stats["repaired"] += int(backwards.sum())
        stats["ports_cleared"] += int(cleared.sum())
        stats["special"] += special  # classified once, with the pairs
        _count_per_bucket(stats["cleaning"], flows, bucket_s, repaired=backwards, cleared=cleared)
        if flows.num_rows:
            newest = pc.max(flows["ts"]).as_py().isoformat()
            stats["newest"] = max(filter(None, [stats["newest"], newest]))
    return merge_batches(parts, bucket_s), stats


def merge_batches(parts: list[pa.Table], bucket_s: int) -> pa.Table:
    """The batches' pair sums as one table, each (bucket, host, peer) once. Batches of one read
    are consecutive rows: in a file written in time order only the buckets at their edges are
    in more than one batch, and only those are summed again (re-summing all of them took 3 s
    of 11 for a 10 M-flow Parquet file); any other row already is its pair's only one."""
    if len(parts) < 2:
        return merge_pairs(parts, bucket_s)
    found = np.concatenate([pc.unique(part["bucket"]).to_numpy() for part in parts])
    buckets, batches = np.unique(found, return_counts=True)
    shared = pa.array(buckets[batches > 1])
    if not len(shared):
        return pa.concat_tables(parts).unify_dictionaries()
    in_shared = [pc.is_in(part["bucket"], shared) for part in parts]
    merged = merge_pairs([p.filter(m) for p, m in zip(parts, in_shared, strict=True)], bucket_s)
    alone = [p.filter(pc.invert(m)) for p, m in zip(parts, in_shared, strict=True)]
    return pa.concat_tables([merged.select(parts[0].column_names), *alone]).unify_dictionaries()


def _count_per_bucket(counts: dict, flows: pa.Table, bucket_s: int, **masks) -> None:
    """Add per-bucket counts of each mask's rows: cleaning shown per window on the panel."""
    seconds = flows["ts"].cast(pa.int64()).to_numpy(zero_copy_only=False) // 1_000_000
    starts = seconds // bucket_s * bucket_s
    for name, mask in masks.items():
        found = np.unique(starts[np.asarray(mask, dtype=bool)], return_counts=True)
        per_bucket = counts.setdefault(name, {})
        for start, count in zip(*found, strict=True):
            per_bucket[int(start)] = per_bucket.get(int(start), 0) + int(count)


class Source:
    """Reads new flow records and adds per-bucket host/peer sums to the store."""

    def __init__(self, config: FlowsConfig, source_id: str):
        self.config, self.source_id = config, source_id
        self.networks = Networks(config.internal, config.exclude, config.address_classes)

    def ingest(self, store, now: datetime) -> dict:
        """Read new flows of every file; each file's host/peer sums commit with its new state."""
        stats = {**tail.new_stats(), "repaired": 0, "ports_cleared": 0, "special": 0}
        touched: set[int] = set()  # buckets written: their hours' rollups are rebuilt after

        def header_for(path: str, head: bytes):
            return header_reader(path, content_format(head, self.config.format))

        def stage(read, batch, stats) -> int:
            fmt = content_format(read.head, self.config.format)
            pairs, found = pairs_from_bytes(read.data, read.path, fmt, self.config, self.networks)
            for key in ("rows", "repaired", "ports_cleared", "special", "warnings"):
                stats[key] += found[key]
            stats["newest"] = max(filter(None, [stats["newest"], found["newest"]]), default=None)
            self._stage(pairs, batch, store.keys, now)
            touched.update(pairs["bucket"].to_pylist() if pairs is not None else [])
            batch.metric(store.keys, self.source_id, found["cleaning"], now, self.config.retention)
            return found["bad_rows"]

        stats = tail.read_files(store, self.source_id, self.config, header_for, stage, stats)
        bucket_s, retention = int(self.config.bucket.total_seconds()), self.config.retention
        store.rollup_flow_hours(self.source_id, touched, bucket_s, now, retention)
        return stats

    def _stage(self, pairs: pa.Table, batch, keys, now: datetime) -> None:
        cutoff = (now - self.config.retention).timestamp()
        if pairs is None or not pairs.num_rows:
            return
        for start, blob in flow_blobs(pairs).items():
            if start >= cutoff:
                expires = ttl(datetime.fromtimestamp(start, UTC) + self.config.retention, now)
                batch.push(keys.flow_bucket(self.source_id, start), [blob], expires)
