"""The `events` source's config: which files, which metrics (no pandas or pyarrow here)."""

from datetime import timedelta
from typing import Literal

from pydantic import Field, model_validator

from socwall.feeds.file_following import FileFollowing
from socwall.types import ConfigPath, Duration, Identifier, Strict, TimeZoneName

FilterValue = str | int | float | bool | list[str | int | float | bool]


class MetricSpec(Strict):
    """One metric of an events table: rows that match `filter`, counted or with `sum` added up."""

    filter: dict[str, FilterValue] = Field(default_factory=dict, description="column: value(s)")
    sum: str | None = Field(None, description="add up this numeric column instead of counting")
    kind: Literal["count", "gauge"] = Field(
        "count", description="gauge: one sample per bucket of a level (latency); windows average"
    )


class EventsConfig(FileFollowing):
    type: Literal["events"]
    path: ConfigPath = Field(description="glob of CSV, JSON-lines or Parquet files")
    format: Literal["auto", "csv", "jsonl", "parquet"] = "auto"
    timestamp: str = Field("ts", description="the column with the event time")
    timestamp_unit: Literal["s", "ms", "us", "ns"] = Field("s", description="for numeric times")
    timestamp_timezone: TimeZoneName = Field(
        "UTC", description="zone of timestamps written without one"
    )
    refresh: Duration = "1m"
    bucket: Duration = "5m"
    retention: Duration = Field("40d", description="metric history kept in the store")
    metrics: dict[Identifier, MetricSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _history_covers_band(self) -> "EventsConfig":
        if self.retention < timedelta(days=36):
            raise ValueError("retention must be at least 36d: the band needs 5 weeks of history")
        if timedelta(days=1) % self.bucket:
            raise ValueError(f"bucket must divide a day evenly, got {self.bucket}")
        return self

    def metric_kind(self, metric: str) -> str:
        """'count' or 'gauge', as the metric declares."""
        return self.metrics[metric].kind


Config = EventsConfig
