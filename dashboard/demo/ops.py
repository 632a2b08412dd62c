"""Generated IT-operations measurements for the demo's Operations page: 25 series, one row per
series and 5-minute bucket (`ts,series,value`), written like the other demo data.

The story: database cluster db-eu-2 has been writing slowly for the last 90 minutes (truly out
of its band); the /reports API runs its weekly batch at this time every week, so it is far above
earlier today but normal against a week ago.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from socwall.dashboard.demo.history import written

BUCKET = timedelta(minutes=5)
HISTORY = timedelta(days=36)
SLOW_CLUSTER, SLOW_FOR = "db_latency_eu_2", timedelta(minutes=90)
BATCH_API, BATCH_FOR = "api_reports", timedelta(hours=2)


@dataclass(frozen=True)
class Series:
    name: str
    kind: str  # "gauge" (a level: mean of a window) or "count" (adds up)
    base: float  # the night-time value
    office: float  # how much higher during office hours (x)
    noise: float  # relative noise


SERIES = [
    *(Series(f"db_latency_{c}", "gauge", b, 1.8, 0.08)
      for c, b in [("eu_1", 6), ("eu_2", 7), ("eu_3", 5), ("us_1", 8), ("us_2", 9), ("ap_1", 11)]),
    *(Series(f"api_{e}", "count", b, 6, 0.1)
      for e, b in [("orders", 90), ("payments", 60), ("search", 400), ("login", 120),
                   ("reports", 8), ("export", 5), ("cart", 150), ("inventory", 70),
                   ("users", 40), ("shipping", 30)]),
    Series("active_users", "gauge", 150, 9, 0.04),
    Series("failed_transactions", "count", 2, 4, 0.35),
    Series("error_rate_pct", "gauge", 0.4, 1.2, 0.15),
    Series("login_p95_ms", "gauge", 180, 1.5, 0.07),
    Series("queue_depth", "gauge", 12, 3, 0.2),
    Series("cache_hit_pct", "gauge", 96, 0.99, 0.005),
    Series("http_5xx", "count", 3, 3, 0.4),
    Series("payment_declines", "count", 4, 4, 0.3),
    Series("batch_lag_s", "gauge", 20, 1.2, 0.15),
]  # fmt: skip


def office_factor(local_hours: np.ndarray, weekday: np.ndarray) -> np.ndarray:
    """0 at night and on weekends, 1 in the middle of a working day, smooth in between."""
    day = np.clip(np.sin((local_hours - 7) / 12 * np.pi), 0, None)
    return np.where(weekday < 5, day, 0.15 * day)


def pseudo_noise(index: np.ndarray, salt: int) -> np.ndarray:
    """Deterministic noise in [-1, 1] per bucket: appending later gives the same values."""
    return np.modf(np.abs(np.sin(index * 12.9898 + salt * 78.233)) * 43758.5453)[0] * 2 - 1


def series_values(series: Series, starts: np.ndarray, tz: ZoneInfo, anchor: datetime, seed: int):
    """Values of one series at these UTC bucket starts (datetime64[s])."""
    local = pd_local(starts, tz)
    level = series.base * (1 + (series.office - 1) * office_factor(local[0], local[1]))
    index = starts.astype("int64") // int(BUCKET.total_seconds())
    salt = seed * 1000 + SERIES.index(series)
    values = level * (1 + series.noise * pseudo_noise(index, salt))
    since_anchor = (starts - np.datetime64(anchor.replace(tzinfo=None), "s")).astype("int64")
    if series.name == SLOW_CLUSTER:
        values = np.where(since_anchor >= -SLOW_FOR.total_seconds(), values * 3.5, values)
    if series.name == BATCH_API:  # the same local time every week (across DST): a rhythm
        weekly = (local_since_anchor(starts, anchor, tz) % (7 * 86400)) >= (
            7 * 86400 - BATCH_FOR.total_seconds())  # fmt: skip
        values = np.where(weekly, values * 12, values)
    return np.round(values if series.kind == "gauge" else np.round(values), 3)


def local_since_anchor(starts: np.ndarray, anchor: datetime, tz: ZoneInfo) -> np.ndarray:
    """Seconds from the anchor on the local wall clock: a week before 10:30 local is 10:30
    local, whether or not the clocks changed in between."""
    local = pd.DatetimeIndex(starts).tz_localize("UTC").tz_convert(tz).tz_localize(None)
    at = pd.Timestamp(anchor).tz_convert(tz).tz_localize(None)
    return ((local - at) // pd.Timedelta(seconds=1)).to_numpy()


def pd_local(starts: np.ndarray, tz: ZoneInfo) -> tuple[np.ndarray, np.ndarray]:
    """Local fractional hours and weekdays of UTC times."""
    local = pd.DatetimeIndex(starts).tz_localize("UTC").tz_convert(tz)
    return (local.hour + local.minute / 60).to_numpy(), local.day_of_week.to_numpy()


class DemoOps:
    """Writes 36 days of operations history once, then each new bucket as it starts."""

    def __init__(
        self, directory: Path, tz: ZoneInfo, seed: int = 7, anchor: datetime | None = None
    ):
        self.directory, self.tz, self.seed = Path(directory), tz, seed
        self.anchor = (anchor or datetime.now(UTC)).replace(second=0, microsecond=0)
        self.written_until = self.anchor - HISTORY

    def write_until(self, until: datetime) -> int:
        """Rows for every bucket that starts in [written_until, until); returns the row count."""
        step = int(BUCKET.total_seconds())
        first = -(-int(self.written_until.timestamp()) // step) * step
        starts = np.arange(first, int(until.timestamp()), step).astype("datetime64[s]")
        starts = starts[written(starts, self.anchor)]
        self.written_until = max(self.written_until, until)
        if len(starts) == 0:
            return 0
        columns = {"ts": [], "series": [], "value": []}
        for series in SERIES:
            columns["ts"].append(starts)
            columns["series"].append(np.full(len(starts), series.name))
            columns["value"].append(series_values(series, starts, self.tz, self.anchor, self.seed))
        table = pa.table({k: np.concatenate(v) for k, v in columns.items()})
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / "operations.csv"
        new = not path.exists()
        with open(path, "ab") as handle:
            pacsv.write_csv(table, handle, pacsv.WriteOptions(include_header=new))
        return table.num_rows
