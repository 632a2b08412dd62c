"""The `sensor_stats` source: the sensors' own packet counts and drops, read from Zeek's stats.log
and Suricata's eve.json `stats` events, followed like every log file (rotation, compression,
exactly once). Per sensor and bucket it keeps `packets`, `dropped` and `reported` (the packets
of the intervals whose record reported drops at all), so a drop share is only ever computed
over intervals that reported drops: Zeek reading a capture file reports none, and that is
"not reported", never "0 % dropped"."""

from datetime import datetime
from pathlib import Path

from socwall.feeds import files, tail
from socwall.feeds.arrivals import part_name
from socwall.feeds.sensor_stats_config import (
    Config,  # noqa: F401  (the registry reads sensor_stats.Config)
    SensorStatsConfig,
)
from socwall.feeds.sensor_stats_parse import detect, intervals, parse

PACKETS, DROPPED, REPORTED = "packets", "dropped", "reported"
GENERIC_PEERS = ("zeek", "-")  # a standalone Zeek calls itself "zeek": the file names it better


def metric_name(kind: str, sensor: str) -> str:
    """The stored metric of one sensor: `dropped@zeek-dmz`."""
    return f"{kind}@{sensor}"


def file_format(head: bytes, configured: str) -> str:
    """The configured format, or the one the file's first line shows."""
    if configured != "auto":
        return configured
    found = detect(head)
    if found is None:
        raise ValueError("neither a Zeek stats log nor Suricata eve.json; set `format`")
    return found


class Source:
    """Reads new stats records of every file; each file's buckets commit with its new state."""

    def __init__(self, config: SensorStatsConfig, source_id: str):
        self.config, self.source_id = config, source_id

    def ingest(self, store, now: datetime) -> dict:
        stats = tail.new_stats()

        def header_for(path: str, head: bytes):
            zeek_tsv = file_format(head, self.config.format) == "zeek" and head.startswith(b"#")
            return files.comment_lines if zeek_tsv else files.no_header

        def stage(read, batch, stats) -> int:
            fmt = file_format(read.head, self.config.format)
            parsed = parse(bytes(read.data), fmt)
            default = self.config.sensor or part_name(read.path, self.config.path)

            def name_of(sample) -> str:
                known = sample.sensor and sample.sensor not in GENERIC_PEERS
                return sample.sensor if known else default

            counters = store.document(self.source_id, "counters") or {}
            found, last = intervals(parsed.samples, counters, name_of)
            # before the commit: a failed commit loses these intervals, it never counts twice
            store.write_document(self.source_id, "counters", {**counters, **last})
            batch.metric(store.keys, self.source_id, self._buckets(found), now,
                         self.config.retention)  # fmt: skip
            self._note(store, stats, read.path, parsed, found)
            return parsed.bad

        return tail.read_files(store, self.source_id, self.config, header_for, stage, stats)

    def _buckets(self, found: list) -> dict[str, dict[int, float]]:
        size = int(self.config.bucket.total_seconds())
        buckets: dict[str, dict[int, float]] = {}
        for sensor, ts, packets, dropped in found:
            start = int(ts.timestamp()) // size * size
            values = {PACKETS: packets, DROPPED: dropped,
                      REPORTED: packets if dropped is not None else None}  # fmt: skip
            for kind, value in values.items():
                if value is not None:
                    metric = buckets.setdefault(metric_name(kind, sensor), {})
                    metric[start] = metric.get(start, 0.0) + value
        return buckets

    def _note(self, store, stats: dict, path: str, parsed, found: list) -> None:
        """Counts, the newest record, the sensors seen, and a warning for a file of no stats."""
        stats["rows"] += len(parsed.samples)
        if parsed.samples:
            newest = max(s.ts for s in parsed.samples).isoformat()
            stats["newest"] = max(filter(None, [stats["newest"], newest]))
        elif parsed.lines:
            stats["warnings"].append(
                f"{Path(path).name}: {parsed.lines:,} lines, no stats record among them "
                "(is `stats` enabled in Suricata's eve-log types?)")
        if found:
            sensors = store.document(self.source_id, "sensors") or {}
            for sensor, ts, _packets, dropped in found:
                seen = sensors.setdefault(sensor, {"drops_reported": False})
                seen["last_at"] = max(seen.get("last_at") or "", ts.isoformat())
                seen["drops_reported"] = seen["drops_reported"] or dropped is not None
            store.write_document(self.source_id, "sensors", sensors)
