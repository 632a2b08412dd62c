"""The source registry: the YAML `type` of a source -> its module.

A source module has `Config` (pydantic, with `type` and `refresh`) and `Source(config, source_id)`
whose `ingest(store, now)` reads what is new and writes it to the store, returning its stats.
"""

from socwall.contracts import SourceModule, check_registry
from socwall.feeds import (
    alertmanager,
    auth,
    changes,
    events,
    flows,
    kev,
    news,
    probe,
    prometheus,
    query,
    queue_http,
    sensor_stats,
)

SOURCES = {
    "events": events,
    "flows": flows,
    "kev": kev,
    "news": news,
    "auth": auth,
    "prometheus": prometheus,
    "changes": changes,
    "probe": probe,
    "query": query,
    "sensor_stats": sensor_stats, "alertmanager": alertmanager, "queue_http": queue_http,
}

check_registry(SOURCES, SourceModule)
