"""The `sensor_stats` source's config (no pyarrow or pandas here: a config loads fast)."""

from datetime import timedelta
from typing import Literal

from pydantic import Field, model_validator

from socwall.feeds.file_following import FileFollowing
from socwall.types import ConfigPath, Duration


class SensorStatsConfig(FileFollowing):
    type: Literal["sensor_stats"]
    path: ConfigPath = Field(description="glob of Zeek stats.log or Suricata eve.json files")
    format: Literal["auto", "zeek", "suricata"] = Field(
        "auto", description="auto: told apart by each file's first line"
    )
    sensor: str | None = Field(
        None, description="name for records that carry none (Zeek `peer`, Suricata `host`); "
        "default: the file's name under the glob's folder"
    )
    refresh: Duration = "1m"
    bucket: Duration = "5m"
    retention: Duration = Field("40d", description="packet and drop history kept in the store")

    @model_validator(mode="after")
    def _even_buckets(self) -> "SensorStatsConfig":
        if timedelta(days=1) % self.bucket:
            raise ValueError(f"bucket must divide a day evenly, got {self.bucket}")
        return self


Config = SensorStatsConfig
