"""The `news` source's config: which feeds, how often (no feedparser here: a config loads fast)."""

from typing import Literal

from pydantic import Field

from socwall.feeds.allow_hosts import AllowHosts
from socwall.types import ConfigPath, Duration, Identifier, Strict


class FeedConfig(Strict):
    name: Identifier
    location: ConfigPath = Field(description="an http(s) URL or a local file")


class NewsConfig(AllowHosts):
    type: Literal["news"]
    feeds: list[FeedConfig] = Field(min_length=1)
    refresh: Duration = "15m"
    retention: Duration = Field("35d", description="entries kept; trends need a background window")
    timeout: Duration = "15s"
    max_bytes: int = Field(5 << 20, gt=0, description="a larger feed is refused")


Config = NewsConfig
