"""The `alertmanager` source: the alerts Prometheus Alertmanager holds (API v2), as a queue.

An active alert is waiting; a silenced one is acknowledged, at the start of the silence that
covers it (a silence made before the alert fired is a maintenance, not an acknowledgement: no
time to acknowledge is counted for it); an alert only inhibited by another is suppressed and
not in the queue; a resolved one is closed.
"""

import urllib.parse
from datetime import datetime

from socwall.feeds import queue_items
from socwall.feeds.alertmanager_config import (  # noqa: F401  (the registry reads alertmanager.Config)
    AlertmanagerConfig,
    Config,
)
from socwall.feeds.queue_fetch import QueueError, auth_headers, request_json, with_backoff
from socwall.feeds.queue_items import Item, parse_time, severity_of


def parse_alerts(alerts: list, silences: list, config: AlertmanagerConfig,
                 now: datetime) -> list[Item]:  # fmt: skip
    """Queue items of a /api/v2/alerts answer, with the /api/v2/silences answer (pure)."""
    if not isinstance(alerts, list) or not isinstance(silences, list):
        raise ValueError("expected lists of alerts and silences from the API v2")
    silence_start = {s["id"]: parse_time(s.get("startsAt")) for s in silences if "id" in s}
    items = []
    for alert in alerts:
        labels, status = alert.get("labels") or {}, alert.get("status") or {}
        created = parse_time(alert.get("startsAt")) or now
        ends = parse_time(alert.get("endsAt"))
        silenced = status.get("silencedBy") or []
        if ends is not None and ends <= now:
            state = "closed"
        elif silenced:
            state = "acknowledged"
        elif status.get("inhibitedBy"):
            continue  # covered by another alert that is in the queue itself
        else:
            state = "waiting"
        starts = [silence_start.get(i) for i in silenced if silence_start.get(i) is not None]
        acked = max(created, min(starts)) if starts else None
        if acked is not None and min(starts) <= created:
            acked = None  # silenced before it fired: a maintenance, no time to acknowledge
        items.append(Item(str(alert.get("fingerprint") or _title(alert)), _title(alert),
                          severity_of(labels.get(config.severity_label), config.severities),
                          created, state, acked))  # fmt: skip
    return items


def _title(alert: dict) -> str:
    """'HighErrorRate on api-1: 5xx above 5 % for 10 min' from labels and the summary."""
    labels, notes = alert.get("labels") or {}, alert.get("annotations") or {}
    name = labels.get("alertname", "alert")
    where = labels.get("instance") or labels.get("host") or labels.get("job")
    head = f"{name} on {where}" if where else name
    summary = notes.get("summary") or notes.get("description")
    return f"{head}: {summary}" if summary else head


class Source:
    """Asks Alertmanager for its alerts and silences; writes the queue snapshot."""

    def __init__(self, config: AlertmanagerConfig, source_id: str):
        self.config, self.source_id = config, source_id

    def ingest(self, store, now: datetime) -> dict:
        return with_backoff(store, self.source_id, self.config, now, lambda: self._read(store, now))

    def _read(self, store, now: datetime) -> dict:
        params = [("active", "true"), ("silenced", "true"), ("inhibited", "true"),
                  ("unprocessed", "true"), *(("filter", m) for m in self.config.filter)]
        alerts = self._get(f"/api/v2/alerts?{urllib.parse.urlencode(params)}")
        silences = self._get("/api/v2/silences")
        items = parse_alerts(alerts, silences, self.config, now)
        return queue_items.write(store, self.source_id, self.config, items, None, now)

    def _get(self, path: str):
        config = self.config
        answer = request_json(config.url + path, auth_headers(config),
                              config.timeout.total_seconds(), verify_tls=config.verify_tls)
        if not isinstance(answer, list):
            raise QueueError(f"{config.url}{path.split('?')[0]} did not answer a list: is this "
                             "an Alertmanager (API v2)?")  # fmt: skip
        return answer
