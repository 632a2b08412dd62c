"""The `kev` source's config (no HTTP client here: a config loads fast)."""

from typing import Literal

from pydantic import Field

from socwall.feeds.allow_hosts import AllowHosts
from socwall.types import ConfigPath, Duration


class KevConfig(AllowHosts):
    type: Literal["kev"]
    location: ConfigPath = Field(description="a local file or an http(s) URL")
    refresh: Duration = "1d"
    timeout: Duration = "30s"
    max_bytes: int = Field(20 << 20, gt=0, description="a larger answer is refused")


Config = KevConfig
