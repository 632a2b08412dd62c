"""The `probe` source's config: which targets, how often (no asyncio here: a config loads fast)."""

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator

from socwall.types import Duration, Strict


class Target(Strict):
    name: str = Field(min_length=1, description="the tile's label, e.g. 'db-02 postgres'")
    host: str | None = Field(None, description="inventory host name; default: name's first word")
    tcp: str | None = Field(None, description="host:port that must accept a connection")
    url: str | None = Field(None, description="http(s) URL that must answer below status 400")

    @model_validator(mode="after")
    def _one_check(self) -> "Target":
        if (self.tcp is None) == (self.url is None):
            raise ValueError("give exactly one of `tcp` (host:port) or `url`")
        if self.tcp is not None:
            host, _, port = self.tcp.rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"tcp must be host:port, got {self.tcp!r}")
        if self.url is not None and urlsplit(self.url).scheme not in ("http", "https"):
            raise ValueError(f"url must be http:// or https://, got {self.url!r}")
        return self


class ProbeConfig(Strict):
    type: Literal["probe"]
    targets: list[Target] = Field(min_length=1, max_length=500)
    refresh: Duration = "30s"
    timeout: Duration = Field("5s", description="a check without an answer by then is down")
    concurrency: int = Field(16, ge=1, le=256, description="checks running at the same time")
    history: Duration = Field("24h", description="up/down changes kept per target")
    verify_tls: bool = Field(True, description="https certificates must be valid")

    @model_validator(mode="after")
    def _unique_names(self) -> "ProbeConfig":
        names = [t.name for t in self.targets]
        if len(set(names)) != len(names):
            raise ValueError("target names must be unique")
        return self


Config = ProbeConfig
