"""The `events` source: rows in CSV / JSON-lines / Parquet files turned into metric buckets."""

import re
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from socwall.feeds import files, tail
from socwall.feeds.events_config import (
    Config,  # noqa: F401  (the registry reads events.Config)
    EventsConfig,
    MetricSpec,
)

EPOCH = pd.Timestamp(0, tz="UTC")
HEADERS = {"csv": files.first_line, "jsonl": files.no_header, "parquet": None}


def file_format(path: str, configured: str) -> str:
    """The configured format, or the one the file name says."""
    if configured != "auto":
        return configured
    for suffix, fmt in (
        (".csv", "csv"),
        (".jsonl", "jsonl"),
        (".json", "jsonl"),
        (".parquet", "parquet"),
    ):
        if rotated_base(path).lower().endswith(suffix):
            return fmt
    raise ValueError(f"{path}: cannot tell the format from the name; set `format`")


_ROTATION_SUFFIX = re.compile(r"(\.(gz|bz2|zst|xz)|\.\d+|-\d{8}(\d{2})?)+$", re.IGNORECASE)


def rotated_base(path: str) -> str:
    """The name without logrotate's suffixes: a.csv.2.gz and a.csv-20261123 are CSV too."""
    return _ROTATION_SUFFIX.sub("", path)


def parse(data: bytes, fmt: str) -> files.Chunk:
    """Rows of an events file in its format (pure: bytes in, table out)."""
    if fmt == "parquet":
        return files.Chunk(pq.read_table(pa.BufferReader(data)), 0)
    return files.parse_csv(data) if fmt == "csv" else files.parse_json_lines(data)


def bucket_counts(frame: pd.DataFrame, spec: MetricSpec, bucket: timedelta) -> dict[int, float]:
    """Per bucket start (epoch seconds) the count of matching rows, or the sum of `spec.sum`."""
    mask = pd.Series(True, index=frame.index)
    for column, wanted in spec.filter.items():
        values = wanted if isinstance(wanted, list) else [wanted]
        mask &= frame[column].isin(values)
    rows = frame[mask]
    starts = rows["ts"].dt.floor(bucket)
    if spec.sum is None:
        grouped = rows.groupby(starts).size()
    else:
        grouped = pd.to_numeric(rows[spec.sum], errors="coerce").fillna(0).groupby(starts).sum()
    # whole columns, not a Timestamp per bucket: operations' 25 metrics are 120,000 buckets
    seconds = np.asarray((grouped.index - EPOCH) // pd.Timedelta(seconds=1))
    values = grouped.to_numpy(dtype=float)
    kept = values != 0
    return dict(zip(seconds[kept].tolist(), values[kept].tolist(), strict=True))


def normalize_times(table: pa.Table, config: EventsConfig) -> tuple[pd.DataFrame, int]:
    """The table as a frame with a UTC `ts` column; rows whose time cannot be read are dropped."""
    if config.timestamp not in table.column_names:
        raise ValueError(f"column '{config.timestamp}' (the `timestamp` setting) is missing")
    used = {config.timestamp, *(c for spec in config.metrics.values()
                                for c in [*spec.filter, *([spec.sum] if spec.sum else [])])}
    # only the columns a metric uses: a wide file's other text is never made Python strings
    frame = table.select([c for c in table.column_names if c in used]).to_pandas()
    raw = frame.pop(config.timestamp)
    if pd.api.types.is_numeric_dtype(raw):
        ts = pd.to_datetime(raw, unit=config.timestamp_unit, utc=True, errors="coerce")
    else:
        ts = pd.to_datetime(raw, utc=False, errors="coerce", format="mixed")
        if getattr(ts.dt, "tz", None) is None:
            ts = ts.dt.tz_localize(config.timestamp_timezone, nonexistent="NaT", ambiguous="NaT")
        ts = ts.dt.tz_convert("UTC")
    frame["ts"] = ts
    good = frame["ts"].notna()
    return frame[good], int((~good).sum())


class Source:
    """Reads what is new in the files and adds it to the per-bucket metric history."""

    def __init__(self, config: EventsConfig, source_id: str):
        self.config, self.source_id = config, source_id

    def ingest(self, store, now: datetime) -> dict:
        """Read new rows of every file; each file's buckets and new state commit together."""
        stats = {**tail.new_stats(), "oldest": None}

        def stage(read, batch, stats) -> int:
            fmt = file_format(read.path, self.config.format)
            buckets, oldest, bad = self._buckets(parse(read.data, fmt), stats)
            batch.metric(store.keys, self.source_id, buckets, now, self.config.retention)
            if oldest is not None:
                batch.cover(store.keys, self.source_id, {"rows": {oldest: 1}},
                            (now - self.config.retention).timestamp())  # fmt: skip
            return bad

        def header_for(path: str, head: bytes):
            return HEADERS[file_format(path, self.config.format)]

        return tail.read_files(store, self.source_id, self.config, header_for, stage, stats)

    def _buckets(self, chunk: files.Chunk, stats: dict) -> tuple[dict, int | None, int]:
        """Per metric the bucket values, the oldest row's bucket, and the unreadable rows."""
        frame, bad_times = normalize_times(chunk.table, self.config)
        for name, spec in self.config.metrics.items():
            for column in [*spec.filter, *([spec.sum] if spec.sum else [])]:
                if column not in frame.columns:
                    raise ValueError(f"metrics.{name}: column '{column}' is not in the data")
        stats["rows"] += len(frame)
        oldest = None
        if len(frame):
            newest, first = frame["ts"].max(), frame["ts"].min()
            stats["newest"] = max(filter(None, [stats["newest"], newest.isoformat()]))
            stats["oldest"] = min(filter(None, [stats["oldest"], first.isoformat()]))
            oldest = int(first.floor(self.config.bucket).timestamp())
        buckets = {
            name: bucket_counts(frame, spec, self.config.bucket)
            for name, spec in self.config.metrics.items()
        }
        return buckets, oldest, chunk.bad_rows + bad_times
