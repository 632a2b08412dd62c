"""Sensors' own statistics, parsed (pure: bytes in, samples out): Zeek's stats.log (TSV or
JSON) and the `stats` events of Suricata's eve.json.

Zeek writes one record per worker every `Stats::report_interval` (5 min) whose `pkts_link`
and `pkts_dropped` count the packets of that interval; when Zeek reads a capture file they are
unset (`-`): no drops reported, which is not zero drops. Suricata's `capture.kernel_packets`
and `kernel_drops` count since the engine started (or, with `stats.deltas`, carry a `_delta`
twin per interval); cumulative counters become intervals in `intervals()`.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Sample:
    """One stats record: packets and drops of an interval, or counters since start."""

    ts: datetime
    sensor: str | None  # Zeek `peer`, Suricata `host` (the sensor-name), when written
    packets: float | None  # packets the sensor saw (on the link)
    dropped: float | None  # of which dropped; None: the record does not report drops
    cumulative: bool = False  # counters since start (Suricata without deltas)
    uptime: float | None = None


@dataclass(frozen=True)
class Parsed:
    samples: list[Sample]
    bad: int  # lines that could not be read at all
    lines: int  # non-empty, non-comment lines


def detect(head: bytes) -> str | None:
    """'zeek' or 'suricata' from the first bytes of a file; None when neither."""
    text = head.lstrip()
    if text.startswith(b"#separator") or text.startswith(b"#fields"):
        return "zeek"
    first = text.split(b"\n", 1)[0]
    if b'"event_type"' in first:
        return "suricata"
    if b'"pkts_proc"' in first or b'"_path":"stats"' in first.replace(b" ", b""):
        return "zeek"
    return None


def parse(data: bytes, fmt: str) -> Parsed:
    """Samples of a Zeek stats log (TSV or JSON lines) or of Suricata eve.json lines."""
    if fmt == "zeek" and data.lstrip().startswith(b"#"):
        return _zeek_tsv(data)
    return _json_lines(data, _zeek_record if fmt == "zeek" else _suricata_record)


def _number(value) -> float | None:
    if value in (None, "-", "(empty)", ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _time(value) -> datetime:
    if isinstance(value, int | float) or (isinstance(value, str) and _number(value) is not None):
        return datetime.fromtimestamp(float(value), UTC)
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _zeek_record(row: dict) -> Sample | None:
    if "pkts_proc" not in row and "pkts_link" not in row:
        return None
    proc, link, dropped = (_number(row.get(k)) for k in ("pkts_proc", "pkts_link", "pkts_dropped"))
    packets = link if link is not None else proc
    if link is None and proc is not None and dropped is not None:
        packets = proc + dropped  # what reached the sensor: processed plus dropped
    peer = row.get("peer")
    return Sample(_time(row["ts"]), str(peer) if peer not in (None, "-") else None, packets,
                  dropped)  # fmt: skip


def _zeek_tsv(data: bytes) -> Parsed:
    separator, unset, fields = "\t", "-", None
    samples, bad, lines = [], 0, 0
    for raw in data.decode("utf-8", "replace").splitlines():
        if raw.startswith("#"):
            key, _, value = raw[1:].partition(" " if raw.startswith("#separator") else "\t")
            if key == "separator":
                separator = value.strip().encode().decode("unicode_escape")
            elif key == "fields":
                fields = value.split(separator)
            elif key == "unset_field":
                unset = value
            continue
        if not raw.strip():
            continue
        lines += 1
        values = raw.split(separator)
        if fields is None or len(values) != len(fields):
            bad += 1
            continue
        row = {k: (None if v == unset else v) for k, v in zip(fields, values, strict=True)}
        try:
            sample = _zeek_record(row)
        except (KeyError, ValueError):
            bad += 1
            continue
        if sample is not None:
            samples.append(sample)
    return Parsed(samples, bad, lines)


def _suricata_record(row: dict) -> Sample | None:
    if row.get("event_type") != "stats":
        return None
    stats = row.get("stats") or {}
    capture = stats.get("capture") or {}
    host = row.get("host")
    ts = _time(row["timestamp"])
    uptime = _number(stats.get("uptime"))
    if "kernel_packets_delta" in capture:
        return Sample(ts, host, _number(capture.get("kernel_packets_delta")),
                      _number(capture.get("kernel_drops_delta")), uptime=uptime)  # fmt: skip
    if "kernel_packets" not in capture:  # no capture counters (e.g. pcap mode): packets unknown
        return Sample(ts, host, None, None, uptime=uptime)
    return Sample(ts, host, _number(capture.get("kernel_packets")),
                  _number(capture.get("kernel_drops")), cumulative=True, uptime=uptime)


def _json_lines(data: bytes, reader) -> Parsed:
    samples, bad, lines = [], 0, 0
    for raw in data.splitlines():
        if not raw.strip():
            continue
        lines += 1
        try:
            row = json.loads(raw)
            sample = reader(row) if isinstance(row, dict) else None
        except (ValueError, KeyError, TypeError):
            bad += 1
            continue
        if not isinstance(row, dict):
            bad += 1
        elif sample is not None:
            samples.append(sample)
    return Parsed(samples, bad, lines)


def intervals(samples: list[Sample], previous: dict[str, dict], name_of) -> tuple[list, dict]:
    """Interval samples (sensor, ts, packets, dropped) from any samples: cumulative counters
    become the difference to the sensor's previous record (`previous` carries the last one
    across reads; after a restart the counters start again from 0). Returns the intervals and
    the new last record per sensor. A record not newer than the last one is not counted again."""
    last = dict(previous)
    out = []
    for sample in sorted(samples, key=lambda s: s.ts):
        sensor = name_of(sample)
        if not sample.cumulative:
            out.append((sensor, sample.ts, sample.packets, sample.dropped))
            continue
        before = last.get(sensor)
        stamp = sample.ts.isoformat()
        if before is not None and before["ts"] >= stamp:
            continue  # read before (a re-read after a failed commit): never counted twice
        last[sensor] = {"ts": stamp, "packets": sample.packets, "dropped": sample.dropped,
                        "uptime": sample.uptime}  # fmt: skip
        if before is None:
            continue  # counters since an unknown start: the next record gives an interval
        out.append((sensor, sample.ts, *_difference(before, sample)))
    return out, last


def _difference(before: dict, sample: Sample) -> tuple[float | None, float | None]:
    restarted = sample.uptime is not None and before.get("uptime") is not None and (
        sample.uptime < before["uptime"])
    values = []
    for now, then in ((sample.packets, before.get("packets")),
                      (sample.dropped, before.get("dropped"))):  # fmt: skip
        if now is None or (then is None and not restarted):
            values.append(None)
        elif restarted or now < then:  # counters began again at 0
            values.append(now)
        else:
            values.append(now - then)
    return values[0], values[1]
