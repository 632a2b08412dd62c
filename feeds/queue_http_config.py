"""The `queue_http` source's config: where the queue is, which fields (no HTTP client here)."""

from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator

from socwall.feeds.allow_hosts import AllowHosts
from socwall.feeds.http_login import HttpLogin
from socwall.feeds.queue_items import QueueSettings
from socwall.types import ConfigPath, Strict

Value = str | int | float | bool


class FieldMap(Strict):
    id: str = Field(description="dotted path of the item's id, e.g. _id")
    title: str = Field(description="...of its title, e.g. _source.rule.description")
    severity: str = Field(description="...of its severity, e.g. severity.severity_name")
    created: str = Field(description="...of when it was raised (ISO 8601 or epoch s/ms)")
    status: str | None = Field(None, description="...of its status, e.g. stage")
    acknowledged: str | None = Field(
        None, description="...of when someone took it, e.g. acknowledged_time"
    )


class QueueHttpConfig(QueueSettings, AllowHosts, HttpLogin):
    type: Literal["queue_http"]
    url: ConfigPath = Field(description="the request URL (a local JSON file for tests/demo)")
    method: Literal["GET", "POST"] = "GET"
    body: dict[str, Any] | list[Any] | None = Field(None, description="JSON body of a POST")
    headers: dict[str, SecretStr] = Field(
        default_factory=dict, description="e.g. {Authorization: 'Bearer ${THEHIVE_KEY}'}"
    )
    verify_tls: bool = Field(True, description="https certificates must be valid")
    items: str = Field("", description="dotted path to the list of items; empty: the answer")
    total: str | None = Field(None, description="dotted path to the total count, if any")
    fields: FieldMap
    waiting: list[Value] = Field(default_factory=list, description="status values: untaken")
    closed: list[Value] = Field(default_factory=list, description="status values: done")
    time_unit: Literal["auto", "s", "ms"] = Field("auto", description="of numeric times")

    @model_validator(mode="after")
    def _status_values(self) -> "QueueHttpConfig":
        if self.fields.status is not None and not self.waiting:
            raise ValueError("with fields.status, list the `waiting` values (e.g. [New])")
        if self.fields.status is None and (self.waiting or self.closed):
            raise ValueError("`waiting` and `closed` need fields.status")
        return self


Config = QueueHttpConfig
