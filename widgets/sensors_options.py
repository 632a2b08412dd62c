"""sensors' options and their checks (no pandas here: a config loads fast)."""

from datetime import timedelta
from typing import Literal

from pydantic import Field, field_validator

from socwall.types import Duration, Strict

needs_source = False
source_types = ()
BUCKET = timedelta(minutes=5)  # feeds.arrivals.BUCKET: the arrivals history's bucket


class SensorsOptions(Strict):
    sources: list[str] = Field(
        default_factory=list, description="source ids, in this order; none: every source that "
        "reads records (not probe, kev, changes or queues)"
    )
    labels: dict[str, str] = Field(default_factory=dict, description="source id: name shown")
    quiet: Duration = Field("15m", description="nothing for this long is silence, when records "
                            "usually arrive; also the window compared")
    weeks: int = Field(4, ge=2, le=5, description="past weeks that make the band")
    band: Literal["p10-p90", "p25-p75", "minmax"] = "p10-p90"
    silent_min: float = Field(
        5, ge=1, description="silence is an alarm only when at least this many records were due"
    )
    drop: float = Field(0.5, gt=0, lt=1, description="'far below': under this share of the band")
    noise_sigma: float = Field(2.0, ge=0, description="...and beyond this many sqrt(count)")
    late_after: Duration = Field("15m", description="newest record older than usual by this much")
    drop_alarm: float = Field(1.0, gt=0, le=100, description="packet drops (%) that are an alarm")
    parts: bool = Field(True, description="a row per file or feed of sources with several")
    max_rows: int = Field(18, ge=1, le=60, description="rows shown; the rest are counted")

    @field_validator("quiet")
    @classmethod
    def _whole_buckets(cls, quiet: timedelta) -> timedelta:
        if quiet < BUCKET or quiet % BUCKET:
            raise ValueError("must be a multiple of 5m, the bucket arrivals are counted in")
        return quiet


Options = SensorsOptions


def check_sources(options: SensorsOptions, sources: dict) -> list[tuple[str, str]]:
    """Every listed source must exist."""
    known = ", ".join(sorted(sources)) or "none are defined"
    return [(f"sources[{n}]", f"unknown source '{sid}' (sources: {known})")
            for n, sid in enumerate(options.sources) if sid not in sources]  # fmt: skip


def check(options: SensorsOptions, source) -> list[tuple[str, str]]:
    return []
