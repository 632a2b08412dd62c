"""The demo's Sensors page: sensor statistics in Zeek's and Suricata's real formats, a firewall
collector that went silent 40 minutes ago, and the arrivals history of the demo's sources.

The story: collector `dmz_firewall` stopped sending 40 minutes before the demo started (its file
no longer grows), Zeek sensor `zeek-dmz` has been dropping 4-6 % of its packets for the last
hour; everything else sends as it does at this time every week. The arrivals history of the
sources is what the job runner would have recorded had the wall run for five weeks: each
bucket's records, as the demo's own files (or, for flows, the generator's rates) hold them.
"""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow.csv as pacsv

from socwall.dashboard.demo.events import Kind, rate_profile
from socwall.dashboard.demo.flows import EXFIL, TALKERS
from socwall.dashboard.demo.ops import pseudo_noise
from socwall.dashboard.demo.queue import seed_acknowledgements, write_demo_queue
from socwall.feeds import arrivals
from socwall.feeds.auth_readers import parse_syslog
from socwall.feeds.follow import matched_files
from socwall.feeds.sensor_stats_parse import detect, parse

BUCKET = arrivals.BUCKET
HISTORY = timedelta(days=36)
SILENT_FOR = timedelta(minutes=40)
DROPPING, DROPPING_FOR = "zeek-dmz", timedelta(hours=1)
ZEEK_FIELDS = ("ts peer mem pkts_proc bytes_recv pkts_dropped pkts_link pkt_lag pkts_filtered "
               "events_proc events_queued active_tcp_conns active_udp_conns active_icmp_conns "
               "tcp_conns udp_conns icmp_conns timers active_timers files active_files "
               "dns_requests active_dns_requests reassem_tcp_size reassem_file_size "
               "reassem_frag_size reassem_unknown_size").split()  # Zeek 6.2's stats.log
ZEEK_TYPES = ["time", "string", "count", "count", "count", "count", "count", "interval",
              *["count"] * 19]  # fmt: skip
SENSORS = {"zeek-core": (4.0e6, 0.0002, 1), "zeek-dmz": (1.6e6, 0.0005, 2)}  # peak pkts/5 min
COLLECTOR = Kind("dmz_firewall", 120.0, 0.5, 0.7)  # records per minute at the weekday peak


def starts_between(first: datetime, last: datetime) -> np.ndarray:
    """UTC bucket starts (epoch s) in [first, last)."""
    step = int(BUCKET.total_seconds())
    lo = -(-int(first.timestamp()) // step) * step
    return np.arange(lo, int(last.timestamp()), step)


def kept(starts: np.ndarray, anchor: datetime) -> np.ndarray:
    """The history the demo writes: the last 8 days, and 12 hours either side of this time two,
    three and four weeks ago: what the week-ago comparison reads during a demo of half a day
    (a week ago stays whole for a week). 36 continuous days would only slow the first read."""
    keep = starts >= (anchor - timedelta(days=8)).timestamp()
    for weeks in range(2, 5):
        keep |= np.abs(starts - (anchor - timedelta(days=7 * weeks)).timestamp()) <= 12 * 3600
    return starts[keep]


def busy(starts: np.ndarray, tz: ZoneInfo, peak: float) -> np.ndarray:
    """A weekday office-hours level at these bucket starts (as the other demo data has)."""
    minutes = starts.astype("datetime64[s]").astype("datetime64[m]")
    return rate_profile(minutes, Kind("x", peak, 0.45, 0.6), tz)


class DemoSensorStats:
    """Appends Zeek stats.log records (two sensors) and Suricata eve.json stats events every
    five minutes, history first; zeek-dmz drops packets for the last hour and on."""

    def __init__(self, directory: Path, tz: ZoneInfo, seed: int, anchor: datetime):
        self.directory, self.tz, self.seed, self.anchor = Path(directory), tz, seed, anchor
        self.written_until = anchor - HISTORY

    def write_until(self, until: datetime) -> int:
        starts = kept(starts_between(self.written_until, until), self.anchor)
        self.written_until = max(self.written_until, until)
        if not len(starts):
            return 0
        (self.directory / "zeek").mkdir(parents=True, exist_ok=True)
        (self.directory / "suricata").mkdir(parents=True, exist_ok=True)
        zeek, eve = self.directory / "zeek" / "stats.log", self.directory / "suricata" / "eve.json"
        lines = [] if zeek.exists() else [_zeek_header(starts[0])]
        for name, (peak, share, salt) in SENSORS.items():
            lines += self._zeek_lines(name, starts, peak, share, salt)
        with open(zeek, "a") as handle:
            handle.writelines(sorted(lines, key=lambda line: (not line.startswith("#"), line)))
        with open(eve, "a") as handle:
            handle.writelines(self._eve_lines(starts))
        return len(starts) * (len(SENSORS) + 1)

    def _zeek_lines(self, name: str, starts, peak: float, share: float, salt: int) -> list[str]:
        noise = pseudo_noise(starts // 300, self.seed * 10 + salt)
        packets = np.round(busy(starts, self.tz, peak) * (1 + 0.08 * noise)).astype(int)
        drop = np.full(len(starts), share) * (1 + 0.5 * noise)
        if name == DROPPING:
            planted = starts >= (self.anchor - DROPPING_FOR).timestamp()
            drop = np.where(planted, 0.05 + 0.01 * noise, drop)
        dropped = np.round(packets * drop).astype(int)
        lines = []
        for start, link, lost in zip(starts, packets, dropped, strict=True):
            values = [f"{start + 20}.000000", name, "512", str(link - lost), str(link * 900),
                      str(lost), str(link), "0.002", "0", str(link // 2), str(link // 2),
                      *["0"] * 16]  # fmt: skip
            lines.append("\t".join(values) + "\n")
        return lines

    def _eve_lines(self, starts) -> list[str]:
        since = starts_between(self.anchor - HISTORY, datetime.fromtimestamp(starts[-1] + 1, UTC))
        counted = np.cumsum(np.maximum(busy(since, self.tz, 2.5e6), 1).astype(int))
        total = counted[np.searchsorted(since, starts)]  # since the engine started, 36 days ago
        lines = []
        for start, packets in zip(starts, total, strict=True):
            at = pd.Timestamp(int(start) + 40, unit="s", tz="UTC")
            uptime = int(start + 40 - (self.anchor - HISTORY).timestamp())
            lines.append(json.dumps({
                "timestamp": at.strftime("%Y-%m-%dT%H:%M:%S.%f+0000"), "event_type": "stats",
                "host": "suricata-edge", "stats": {"uptime": uptime, "capture": {
                    "kernel_packets": int(packets), "kernel_drops": int(packets) // 20000,
                    "errors": 0}, "decoder": {"pkts": int(packets)}}}) + "\n")  # fmt: skip
        return lines


def _zeek_header(first: int) -> str:
    opened = pd.Timestamp(int(first), unit="s").strftime("%Y-%m-%d-%H-%M-%S")
    return ("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
            f"#path\tstats\n#open\t{opened}\n#fields\t" + "\t".join(ZEEK_FIELDS) + "\n"
            "#types\t" + "\t".join(ZEEK_TYPES) + "\n")  # fmt: skip


class DemoCollector:
    """The DMZ firewall's collector: a CSV of block/allow records that stopped growing
    SILENT_FOR before the demo started (two hours of it are written; its past comes from the
    same rates)."""

    def __init__(self, directory: Path, tz: ZoneInfo, seed: int, anchor: datetime):
        self.directory, self.tz, self.seed, self.anchor = Path(directory), tz, seed, anchor
        self.stopped = anchor - SILENT_FOR

    def counts(self, starts: np.ndarray) -> np.ndarray:
        """Records per bucket at these starts (0 once the collector stopped)."""
        minutes = starts.astype("datetime64[s]").astype("datetime64[m]")
        expected = rate_profile(minutes, COLLECTOR, self.tz) * BUCKET.total_seconds() / 60
        drawn = np.round(expected * (1 + 0.1 * pseudo_noise(starts // 300, self.seed + 5)))
        return np.where(starts < self.stopped.timestamp(), drawn, 0)

    def write_until(self, until: datetime) -> int:
        if (self.directory / "dmz-fw.csv").exists():
            return 0  # silent: nothing more, ever, in this demo
        self.directory.mkdir(parents=True, exist_ok=True)
        starts = starts_between(self.anchor - timedelta(hours=2), self.stopped)
        counts = self.counts(starts).astype(int)
        stamps = np.concatenate([start + np.arange(n) * 300 / max(n, 1)
                                 for start, n in zip(starts, counts, strict=True)])  # fmt: skip
        table = pd.DataFrame({"ts": pd.to_datetime(stamps, unit="s", utc=True),
                              "action": "block"})  # fmt: skip
        table.to_csv(self.directory / "dmz-fw.csv", index=False, date_format="%Y-%m-%dT%H:%M:%SZ")
        return len(table)


def per_bucket(seconds: np.ndarray, until: datetime) -> dict[int, float]:
    """Records per 5-minute bucket before `until`, from their times (epoch s)."""
    seconds = seconds[seconds < until.timestamp()]
    starts, counts = np.unique(seconds.astype(np.int64) // 300 * 300, return_counts=True)
    return {int(s): float(c) for s, c in zip(starts, counts, strict=True)}


def csv_times(pattern: str, column: str) -> np.ndarray:
    """The time column of every matching CSV file, as epoch seconds."""
    parts = []
    for path in matched_files(pattern):
        table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(include_columns=[column]))
        values = table.column(column).to_pandas()
        if not pd.api.types.is_numeric_dtype(values):  # a time: epoch seconds
            epoch = pd.Timestamp(0, tz="UTC")
            values = (pd.to_datetime(values, utc=True) - epoch).dt.total_seconds()
        parts.append(values.to_numpy(dtype=float))
    return np.concatenate(parts) if parts else np.array([])


def flow_counts(starts: np.ndarray, tz: ZoneInfo) -> dict[int, float]:
    """Flows per bucket as the flow generator draws them (its files hold two days only)."""
    minutes = starts.astype("datetime64[s]").astype("datetime64[m]")
    expected = sum(rate_profile(minutes, Kind(t.name, t.flows_per_min, t.night_share, 0.5), tz)
                   for t in (*TALKERS, EXFIL)) * 5  # fmt: skip
    drawn = np.random.default_rng(len(starts)).poisson(expected)
    return {int(s): float(n) for s, n in zip(starts, drawn, strict=True)}


def arrival_rows(config, anchor: datetime, collector: DemoCollector | None,
                 wanted: set[str] | None = None) -> dict:  # fmt: skip
    """Five weeks of arrivals for the demo's record sources (`wanted`, else all), up to the
    bucket the demo starts in, from their files: source id -> (records per bucket, per part)
    or None when it has no history. Reads no store, so the demo computes it in the process
    that wrote the files (demo/prepare.py); `collector` only for dmz_firewall."""
    until = pd.Timestamp(anchor).floor(BUCKET).to_pydatetime()
    starts = kept(starts_between(anchor - HISTORY, until), anchor)
    found = {}
    for source_id, source in config.sources.items():
        if wanted is not None and source_id not in wanted:
            continue
        rows = None
        if source_id == "dmz_firewall":
            rows = dict(zip(starts.tolist(), collector.counts(starts).tolist(), strict=True))
        elif source.type == "events":
            rows = per_bucket(csv_times(source.path, source.timestamp), until)
        elif source.type == "flows":
            rows = flow_counts(starts, config.tz)
        elif source.type == "auth":
            data = b"".join(Path(p).read_bytes() for p in matched_files(source.path))
            events, _ = parse_syslog(data, anchor, ZoneInfo(source.timezone))
            seconds = np.repeat([e.ts.timestamp() for e in events], [e.count for e in events])
            rows = per_bucket(seconds, until)
        elif source.type == "sensor_stats":
            found[source_id] = _stats_counts(source.path, until)  # written for the kept buckets
            continue
        found[source_id] = None
        if rows is not None:
            found[source_id] = ({start: rows.get(start, 0.0) for start in starts.tolist()},
                                None)  # all ran  # fmt: skip
    return found


def seed_source(store, config, source_id: str, anchor: datetime, seed: int, rows) -> None:
    """What the Sensors page reads of one source from the store, before the source first runs:
    its arrivals history (`rows` from arrival_rows), a queue's acknowledgements."""
    if rows is not None:
        counts, parts = rows
        lag = 45.0  # the demo's files grow every 20 s and are read every 30 s
        arrivals.record_history(store, source_id, counts, anchor, lag, parts)
    if config.sources[source_id].type == "queue_http":
        seed_acknowledgements(store, source_id, anchor, config.tz, seed)


def _stats_counts(pattern: str, until: datetime) -> tuple[dict, dict]:
    """Stats records per bucket of each file the sensor stats generator wrote."""
    total: dict[int, float] = {}
    parts = {}
    for path in matched_files(pattern):
        parsed = parse(Path(path).read_bytes(), detect(Path(path).read_bytes()[:1024]) or "zeek")
        counts = per_bucket(np.array([s.ts.timestamp() for s in parsed.samples]), until)
        parts[arrivals.part_name(path, pattern)] = counts
        for start, count in counts.items():
            total[start] = total.get(start, 0.0) + count
    return total, parts


def write_demo_sensor_files(directory: Path, tz: ZoneInfo, seed: int, anchor: datetime) -> list:
    """The Sensors page's files up to `anchor` (stats, the silent collector, the queue's answer);
    the generators that append the live part."""
    stats = DemoSensorStats(directory / "sensors" / "stats", tz, seed, anchor)
    collector = DemoCollector(directory / "sensors" / "dmz-firewall", tz, seed, anchor)
    for generated in (stats, collector):
        generated.write_until(anchor)
    write_demo_queue(directory / "queue", anchor)
    return [stats, collector]


def start_demo_sensors(store, directory: Path, config, clock, seed: int) -> list:
    """The Sensors page's data: files, arrivals history, the queue; the live generators."""
    anchor = clock.now().replace(second=0, microsecond=0)
    generators = write_demo_sensor_files(directory, config.tz, seed, anchor)
    seed_sensor_store(store, config, anchor, seed, arrival_rows(config, anchor, generators[1]))
    return generators


def seed_sensor_store(store, config, anchor: datetime, seed: int, rows: dict) -> None:
    """What the Sensors page reads from the store, for every source (`rows` from arrival_rows)."""
    for source_id in config.sources:
        seed_source(store, config, source_id, anchor, seed, rows.get(source_id))
