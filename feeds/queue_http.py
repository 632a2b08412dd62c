"""The `queue_http` source: any JSON/HTTP queue (TheHive, DFIR-IRIS, Wazuh or an
Elasticsearch/OpenSearch alert index, OpenSearch Alerting) read through a field mapping.

`items` is the dotted path to the list in the answer, `fields` the dotted paths inside one
item. With `status` mapped, `waiting` lists the values that mean nobody took the item and
`closed` those that mean it is done; any other value means someone is on it. Without `status`,
an item with an `acknowledged` time is acknowledged and any other is waiting (Wazuh alerts
have no status: every alert the query returns is waiting)."""

from datetime import datetime

from socwall.feeds import queue_items
from socwall.feeds.queue_fetch import auth_headers, request_json, with_backoff
from socwall.feeds.queue_http_config import (  # noqa: F401  (the registry reads queue_http.Config)
    Config,
    FieldMap,
    QueueHttpConfig,
)
from socwall.feeds.queue_items import Item, parse_time, severity_of


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
