"""The `changes` source's config (no icalendar or pandas here: a config loads fast)."""

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from socwall.feeds.allow_hosts import AllowHosts
from socwall.types import ConfigPath, Duration


class ChangesConfig(AllowHosts):
    type: Literal["changes"]
    locations: list[ConfigPath] = Field(
        min_length=1, description="files or http(s) URLs: .ics calendars, .csv/.json ticket exports"
    )
    format: Literal["auto", "ics", "csv", "json"] = "auto"
    timezone: str = Field("UTC", description="zone of ticket times written without one")
    refresh: Duration = "5m"
    timeout: Duration = "30s"
    max_bytes: int = Field(5 << 20, gt=0, description="a larger file or answer is refused")
    past: Duration = Field("36d", description="changes that ended longer ago are dropped")
    ahead: Duration = Field("14d", description="recurrences are expanded this far ahead")
    open_end: Duration = Field("4h", description="length assumed for a ticket without an end")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f'unknown time zone "{value}"; use an IANA name') from None
        return value


Config = ChangesConfig
