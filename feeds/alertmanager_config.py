"""The `alertmanager` source's config (no HTTP client here: a config loads fast)."""

from typing import Literal

from pydantic import Field

from socwall.feeds.http_login import HttpLogin
from socwall.feeds.queue_items import QueueSettings
from socwall.types import ServerUrl


class AlertmanagerConfig(QueueSettings, HttpLogin):
    type: Literal["alertmanager"]
    url: ServerUrl = Field(description="the Alertmanager, e.g. http://alertmanager:9093")
    filter: list[str] = Field(
        default_factory=list, description='matchers, e.g. [team="soc"]: only these alerts'
    )
    severity_label: str = Field("severity", description="the label that holds the severity")
    verify_tls: bool = Field(True, description="https certificates must be valid")


Config = AlertmanagerConfig
