"""The `queue_http` source: any JSON/HTTP queue (TheHive, DFIR-IRIS, Wazuh or an
Elasticsearch/OpenSearch alert index, OpenSearch Alerting) read through a field mapping.

`items` is the dotted path to the list in the answer, `fields` the dotted paths inside one
item. With `status` mapped, `waiting` lists the values that mean nobody took the item and
`closed` those that mean it is done; any other value means someone is on it. Without `status`,
an item with an `acknowledged` time is acknowledged and any other is waiting (Wazuh alerts
have no status: every alert the query returns is waiting)."""

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator

from socwall.feeds import queue_items
from socwall.feeds.http_guard import AllowHosts
from socwall.feeds.queue_fetch import auth_headers, request_json, with_backoff
from socwall.feeds.queue_items import Item, QueueSettings, parse_time, severity_of
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


class QueueHttpConfig(QueueSettings, AllowHosts):
    type: Literal["queue_http"]
    url: ConfigPath = Field(description="the request URL (a local JSON file for tests/demo)")
    method: Literal["GET", "POST"] = "GET"
    body: dict[str, Any] | list[Any] | None = Field(None, description="JSON body of a POST")
    headers: dict[str, SecretStr] = Field(
        default_factory=dict, description="e.g. {Authorization: 'Bearer ${THEHIVE_KEY}'}"
    )
    username: str | None = None
    password: SecretStr | None = Field(None, description="write ${QUEUE_PASSWORD}")
    bearer_token: SecretStr | None = Field(None, description="write ${QUEUE_TOKEN}")
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
        if self.password is not None and self.bearer_token is not None:
            raise ValueError("give either username/password or bearer_token, not both")
        return self


Config = QueueHttpConfig


def pick(data, path: str):
    """The value at a dotted path ('' is the data itself); None where a step is missing."""
    for step in path.split(".") if path else []:
        if not isinstance(data, dict):
            return None
        data = data.get(step)
    return data


def _same(value, wanted: list) -> bool:
    text = str(value).strip().lower()
    return any(str(w).strip().lower() == text for w in wanted)


def parse_items(answer, config: QueueHttpConfig, now: datetime) -> tuple[list[Item], int | None]:
    """Queue items of one answer through the field mapping, and the total it announces (pure)."""
    found = pick(answer, config.items)
    if not isinstance(found, list):
        where = f"`{config.items}`" if config.items else "the answer"
        raise ValueError(f"{where} is not a list of items ({type(found).__name__})")
    fields, items = config.fields, []
    for number, row in enumerate(found):
        ident = pick(row, fields.id)
        created = parse_time(pick(row, fields.created), config.time_unit)
        if ident is None or created is None:
            raise ValueError(f"item {number} has no `{fields.id}` or `{fields.created}`")
        acked = parse_time(pick(row, fields.acknowledged), config.time_unit) if (
            fields.acknowledged) else None  # fmt: skip
        if fields.status is not None:
            status = pick(row, fields.status)
            state = ("waiting" if _same(status, config.waiting)
                     else "closed" if _same(status, config.closed) else "acknowledged")
        else:
            state = "acknowledged" if acked is not None else "waiting"
        title = pick(row, fields.title)
        items.append(Item(str(ident), str(title) if title is not None else str(ident),
                          severity_of(pick(row, fields.severity), config.severities),
                          created, state, acked if state != "waiting" else None))  # fmt: skip
    total = pick(answer, config.total) if config.total else None
    if isinstance(total, dict):  # Elasticsearch/OpenSearch: {"value": 1234, "relation": "eq"}
        total = total.get("value")
    return items, int(total) if isinstance(total, int | float) else None


class Source:
    """Asks the queue once per refresh; writes the snapshot and new acknowledgements."""

    def __init__(self, config: QueueHttpConfig, source_id: str):
        self.config, self.source_id = config, source_id

    def ingest(self, store, now: datetime) -> dict:
        return with_backoff(store, self.source_id, self.config, now, lambda: self._read(store, now))

    def _read(self, store, now: datetime) -> dict:
        config = self.config
        answer = request_json(config.url, auth_headers(config), config.timeout.total_seconds(),
                              config.body, config.method, config.verify_tls,
                              config.allow_hosts)  # fmt: skip
        items, total = parse_items(answer, config, now)
        return queue_items.write(store, self.source_id, config, items, total, now)
