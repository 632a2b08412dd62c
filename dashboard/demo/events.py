"""Generated demo data: 5 weeks of security events, daily and weekly rhythm, planted anomalies.

Every UTC day is drawn from its own seeded generator, so appending live minutes later yields the
same rows a batch run would have written.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from socwall.dashboard.demo.history import writes_day, written

DAY = timedelta(days=1)
HISTORY = timedelta(days=36)


@dataclass(frozen=True)
class Kind:
    """How often one kind of event happens: per minute at the weekday peak, and at quiet times."""

    name: str
    peak_per_min: float
    night_share: float  # rate at night as a share of the peak
    weekend_share: float
    bytes_per_event: float = 0.0  # > 0: a traffic summary row every minute, not random events
    steadiness: float = 20.0  # gamma shape of the per-minute rate noise: higher is steadier


KINDS = [
    Kind("failed_login", 5.0, 0.35, 0.5),
    Kind("fw_block", 10.0, 0.7, 0.85),
    Kind("ids_alert", 1.2, 0.4, 0.6),
    Kind("vpn_login", 3.0, 0.04, 0.12),
    Kind("mfa_denied", 0.35, 0.08, 0.2),
    Kind("egress", 1.0, 0.25, 0.35, bytes_per_event=1.6e9, steadiness=400.0),
]


@dataclass(frozen=True)
class Anomaly:
    """Multiply a kind's rate by `factor` between start and end (UTC)."""

    kind: str
    start: datetime
    end: datetime
    factor: float


def planted_anomalies(anchor: datetime) -> list[Anomaly]:
    """What a demo viewer should spot: a brute force now, a VPN outage now, older incidents."""
    minutes = lambda m: timedelta(minutes=m)  # noqa: E731
    return [
        Anomaly("failed_login", anchor - minutes(80), anchor + minutes(60), 4.0),
        Anomaly("vpn_login", anchor - minutes(70), anchor + minutes(40), 0.15),
        # app servers retrying against db-02 during its maintenance (CHG-1042, demo/context.py)
        Anomaly("fw_block", anchor - minutes(47), anchor + minutes(40), 2.4),
        Anomaly(
            "ids_alert", anchor - 14 * DAY - minutes(120), anchor - 14 * DAY + minutes(60), 5.0
        ),
        Anomaly("fw_block", anchor - 9 * DAY, anchor - 9 * DAY + minutes(150), 0.0),
    ]


def rate_profile(minutes_utc: np.ndarray, kind: Kind, tz: ZoneInfo) -> np.ndarray:
    """Expected events per minute at each minute: office-hours bump, quieter nights and weekends."""
    local = pd.DatetimeIndex(minutes_utc).tz_localize("UTC").tz_convert(tz)
    hour = np.asarray(local.hour + local.minute / 60)
    weekend = np.asarray(local.day_of_week >= 5)
    bump = np.clip(np.sin((hour - 7) / 12 * np.pi), 0, None) ** 1.5  # 07:00-19:00
    level = kind.night_share + (1 - kind.night_share) * bump
    return kind.peak_per_min * level * np.where(weekend, kind.weekend_share, 1.0)


def day_events(day: datetime, seed: int, tz: ZoneInfo, anomalies: list[Anomaly]) -> pa.Table:
    """All events of one UTC day, sorted by time; the same day and seed give the same rows."""
    rng = np.random.default_rng([seed, day.toordinal()])
    first = np.datetime64(day.replace(tzinfo=None), "m")
    minutes = np.arange(first, first + np.timedelta64(1, "D"))
    parts = [kind_events(kind, minutes, rng, tz, anomalies) for kind in KINDS]
    table = pa.table({name: np.concatenate([part[name] for part in parts]) for name in parts[0]})
    return table.cast(table.schema.set(0, pa.field("ts", pa.timestamp("ms", tz="UTC")))).sort_by(
        "ts"
    )


def kind_events(
    kind: Kind, minutes: np.ndarray, rng, tz: ZoneInfo, anomalies: list[Anomaly]
) -> dict:
    """Columns of one kind's events over the given minutes (Poisson counts, or one a minute)."""
    rate = rate_profile(minutes, kind, tz) * rng.gamma(
        kind.steadiness, 1 / kind.steadiness, len(minutes)
    )
    for anomaly in (a for a in anomalies if a.kind == kind.name):
        start, end = (
            np.datetime64(t.replace(tzinfo=None), "m") for t in (anomaly.start, anomaly.end)
        )
        rate = np.where((minutes >= start) & (minutes < end), rate * anomaly.factor, rate)
    summaries = kind.bytes_per_event > 0
    counts = np.ones(len(minutes), int) if summaries else rng.poisson(rate)
    starts = np.repeat(minutes.astype("datetime64[ms]"), counts)
    size = len(starts)
    volume = np.repeat(rate / kind.peak_per_min, counts) * kind.bytes_per_event
    return {
        "ts": starts + rng.integers(0, 60_000, size).astype("timedelta64[ms]"),
        "kind": np.full(size, kind.name),
        "severity": rng.integers(1, 6, size) if kind.name == "ids_alert" else np.zeros(size, int),
        "bytes": np.round(volume * rng.gamma(30, 1 / 30, size)).astype(np.int64),
    }


class DemoData:
    """Writes the history once, then appends what happened since, one CSV file per UTC day."""

    def __init__(
        self, directory: Path, tz: ZoneInfo, seed: int = 7, anchor: datetime | None = None
    ):
        self.directory, self.tz, self.seed = Path(directory), tz, seed
        self.anchor = (anchor or datetime.now(UTC)).replace(second=0, microsecond=0)
        self.anomalies = planted_anomalies(self.anchor)
        self.written_until = self.anchor - HISTORY

    def write_until(self, until: datetime) -> int:
        """Append every event in [written_until, until); returns how many rows were written."""
        self.directory.mkdir(parents=True, exist_ok=True)
        count = 0
        day = self.written_until.replace(hour=0, minute=0, second=0, microsecond=0)
        while day < until:
            if writes_day(day, self.anchor):
                count += self._append(day, self._rows(day, until))
            day += DAY
        self.written_until = max(self.written_until, until)
        return count

    def _rows(self, day: datetime, until: datetime) -> pa.Table:
        """The day's events in [written_until, until) that the demo writes (demo/history.py)."""
        table = day_events(day, self.seed, self.tz, self.anomalies)
        ts = table.column("ts").to_numpy()
        lo, hi = (np.datetime64(t.replace(tzinfo=None)) for t in (self.written_until, until))
        return table.filter(pa.array((ts >= lo) & (ts < hi) & written(ts, self.anchor)))

    def _append(self, day: datetime, rows: pa.Table) -> int:
        if rows.num_rows == 0:
            return 0
        path = self.directory / f"events-{day:%Y-%m-%d}.csv"
        new = not path.exists()
        with open(path, "ab") as handle:
            pacsv.write_csv(rows, handle, pacsv.WriteOptions(include_header=new))
        return rows.num_rows
