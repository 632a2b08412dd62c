"""Generated demo flows in the VAST 2013 netflow CSV format, with a planted exfiltrating host."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from socwall.dashboard.demo.events import Kind, rate_profile

DAY = timedelta(days=1)
HISTORY = timedelta(days=2)  # top talkers compare the last window with the one before
VAST_HEADER = ["TimeSeconds", "parsedDate", "dateTimeStr", "ipLayerProtocol",
               "ipLayerProtocolCode", "firstSeenSrcIp", "firstSeenDestIp", "firstSeenSrcPort",
               "firstSeenDestPort", "moreFragments", "contFragments", "durationSeconds",
               "firstSeenSrcPayloadBytes", "firstSeenDestPayloadBytes", "firstSeenSrcTotalBytes",
               "firstSeenDestTotalBytes", "firstSeenSrcPacketCount", "firstSeenDestPacketCount",
               "recordForceOut"]  # fmt: skip


@dataclass(frozen=True)
class Talker:
    """An internal host: flows per minute at its busiest, bytes it sends and gets per flow."""

    ip: str
    name: str
    flows_per_min: float
    bytes_out: float
    bytes_in: float
    night_share: float = 0.3
    port: int = 443  # the service it talks to (outbound) or offers (inbound)
    inbound: bool = False  # external clients connect to it


TALKERS = [
    Talker("10.0.1.10", "proxy-01", 30, 9e3, 2.2e5, 0.1),
    Talker("10.0.1.11", "proxy-02", 22, 8e3, 2.0e5, 0.1),
    Talker("10.0.1.20", "web-01", 18, 1.2e5, 2e3, 0.5, inbound=True),
    Talker("10.0.1.21", "web-02", 9, 1.1e5, 2e3, 0.5, inbound=True),
    Talker("10.0.1.25", "mail-01", 6, 9e4, 3e4, 0.4, port=25),
    Talker("10.0.1.30", "backup-01", 1.5, 6e6, 1e3, 1.0, port=22),
    Talker("10.0.1.35", "dns-01", 40, 90, 160, 0.6, port=53),
    Talker("10.0.1.40", "vpn-gw", 8, 6e4, 4e4, 0.05, inbound=True),
    Talker("10.0.1.45", "git-01", 3, 5e4, 3e5, 0.2),
    Talker("10.0.1.50", "build-01", 4, 2e4, 1.5e6, 0.4),
    Talker("10.0.1.55", "crm-01", 2, 4e4, 1e4, 0.2),
    Talker("10.0.1.60", "ntp-01", 4, 90, 90, 1.0, port=123),
    *[Talker(f"10.0.20.{i}", f"ws-{i:03d}", 1.2, 6e3, 9e4, 0.02) for i in range(1, 19)],
]  # fmt: skip
EXFIL = Talker("10.0.1.66", "hr-files-02", 2.0, 1.2e7, 2e3, 1.0)
PEERS = 4000


HBI = {"hr-files-02": "HR file server", "crm-01": "CRM", "backup-01": "backup server"}
SERVERS = [("10.0.1.70", "db-01", "HBI", "PostgreSQL replica"),
           ("10.0.1.71", "db-02", "HBI", "PostgreSQL primary"),
           ("10.0.1.5", "fw-01", "high", "firewall")]  # fmt: skip


def inventory_rows() -> str:
    """The demo's inventory file (ip,name,criticality,role,owner) for every generated host."""
    rows = [(t.ip, t.name, "HBI" if t.name in HBI else "", HBI.get(t.name, "")) for t in
            [*TALKERS, EXFIL]] + SERVERS  # fmt: skip
    return "ip,name,criticality,role,owner\n" + "".join(
        f"{ip},{name},{level},{role},{'it-ops' if level else ''}\n"
        for ip, name, level, role in rows
    )


def external_peers(seed: int) -> np.ndarray:
    """A fixed pool of public-looking addresses (data only: nothing ever connects to them)."""
    rng = np.random.default_rng([seed, 99])
    octets = rng.integers(1, 255, size=(PEERS, 4))
    octets[:, 0] = rng.choice([23, 34, 45, 52, 64, 81, 93, 104, 142, 151, 185, 212], PEERS)
    return np.array([".".join(map(str, row)) for row in octets])


def day_flows(day: datetime, seed: int, tz: ZoneInfo, exfil_from: datetime) -> pd.DataFrame:
    """Every flow of one UTC day for all talkers, deterministic for the day and seed."""
    rng = np.random.default_rng([seed, day.toordinal(), 7])
    minutes = np.arange(np.datetime64(day.replace(tzinfo=None), "m"),
                        np.datetime64(day.replace(tzinfo=None) + DAY, "m"))  # fmt: skip
    peers = external_peers(seed)
    frames = [_talker_flows(t, minutes, rng, tz, peers) for t in TALKERS]
    exfil = _talker_flows(EXFIL, minutes, rng, tz, peers[:1])
    frames.append(exfil[exfil["ts"] >= exfil_from.timestamp()])
    day_frame = pd.concat(frames, ignore_index=True).sort_values("ts", kind="stable")
    n = len(day_frame)  # drawn per day, so appending in pieces writes what one batch would
    return day_frame.assign(backwards=rng.random(n) < 0.03, icmp=rng.random(n) < 0.01,
                            duration=rng.exponential(4, n).round(3))  # fmt: skip


def _talker_flows(talker: Talker, minutes, rng, tz, peers) -> pd.DataFrame:
    kind = Kind(talker.name, talker.flows_per_min, talker.night_share, 0.5)
    counts = rng.poisson(rate_profile(minutes, kind, tz))
    n = int(counts.sum())
    ts = np.repeat(minutes.astype("datetime64[s]").astype(np.int64), counts) + rng.uniform(0, 60, n)
    peer = peers[rng.zipf(1.6, n) % len(peers)]
    ephemeral = rng.integers(32768, 61000, n)
    sent = np.round(rng.lognormal(np.log(talker.bytes_out), 0.6, n)).astype(np.int64)
    received = np.round(rng.lognormal(np.log(talker.bytes_in), 0.6, n)).astype(np.int64)
    frame = pd.DataFrame({"ts": ts, "proto": "UDP" if talker.port in (53, 123) else "TCP",
                          "src": talker.ip, "dst": peer, "sport": ephemeral, "dport": talker.port,
                          "out": sent, "in": received})  # fmt: skip
    if talker.inbound:  # the client is outside: it sends the small part, gets the big one
        frame = frame.assign(src=peer, dst=talker.ip, out=received, **{"in": sent})
    return frame


def as_vast(frame: pd.DataFrame) -> pa.Table:
    """The VAST CSV columns, some flows recorded backwards and some ICMP (OTHER, port 0)."""
    backwards, icmp = frame["backwards"].to_numpy(), frame["icmp"].to_numpy()
    swap = lambda a, b: np.where(backwards, frame[b], frame[a])  # noqa: E731
    stamps = pd.to_datetime(frame["ts"], unit="s")
    proto = np.where(icmp, "OTHER", frame["proto"])
    columns = pd.DataFrame({
        "TimeSeconds": frame["ts"].round(3), "parsedDate": stamps.dt.strftime("%Y-%m-%d %H:%M:%S"),
        "dateTimeStr": stamps.dt.strftime("%Y%m%d%H%M%S"),
        "ipLayerProtocol": np.select([icmp, proto == "UDP"], [1, 17], 6),
        "ipLayerProtocolCode": proto,
        "firstSeenSrcIp": swap("src", "dst"), "firstSeenDestIp": swap("dst", "src"),
        "firstSeenSrcPort": np.where(icmp, 0, swap("sport", "dport")),
        "firstSeenDestPort": np.where(icmp, 0, swap("dport", "sport")),
        "moreFragments": 0, "contFragments": 0, "durationSeconds": frame["duration"],
        "firstSeenSrcPayloadBytes": 0, "firstSeenDestPayloadBytes": 0,
        "firstSeenSrcTotalBytes": swap("out", "in"), "firstSeenDestTotalBytes": swap("in", "out"),
        "firstSeenSrcPacketCount": np.maximum(1, swap("out", "in") // 1200),
        "firstSeenDestPacketCount": np.maximum(1, swap("in", "out") // 1200), "recordForceOut": 0,
    }, index=frame.index)  # fmt: skip
    return pa.Table.from_pandas(columns[VAST_HEADER], preserve_index=False)


class DemoFlows:
    """Writes two days of flows, then appends what happened since, one CSV file per UTC day."""

    def __init__(self, directory: Path, tz: ZoneInfo, seed: int, anchor: datetime):
        self.directory, self.tz, self.seed, self.anchor = Path(directory), tz, seed, anchor
        self.exfil_from = anchor - timedelta(minutes=40)
        self.written_until = anchor - HISTORY

    def write_until(self, until: datetime) -> int:
        """Append every flow in [written_until, until); returns how many were written."""
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory.parent / "hosts.csv").write_text(inventory_rows())
        written, day = 0, self.written_until.replace(hour=0, minute=0, second=0, microsecond=0)
        while day < until:
            flows = day_flows(day, self.seed, self.tz, self.exfil_from)
            lo, hi = self.written_until.timestamp(), until.timestamp()
            rows = flows[(flows["ts"] >= lo) & (flows["ts"] < hi)]
            written += self._append(day, as_vast(rows)) if len(rows) else 0
            day += DAY
        self.written_until = max(self.written_until, until)
        return written

    def _append(self, day: datetime, table: pa.Table) -> int:
        path = self.directory / f"flows-{day:%Y-%m-%d}.csv"
        new = not path.exists()
        with open(path, "ab") as handle:
            pacsv.write_csv(table, handle, pacsv.WriteOptions(include_header=new))
        return table.num_rows
