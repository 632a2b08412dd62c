"""The source registry: the YAML `type` of a source -> its module.

A source module has `Config` (pydantic, with `type` and `refresh`) and `Source(config, source_id)`
whose `ingest(store, now)` reads what is new and writes it to the store, returning its stats.
A source whose module imports pandas, pyarrow, ibis or a protocol library keeps its `Config` in a
small module of its own, named first in its entry: loading a config imports only those.
"""

from socwall.contracts import Registry, SourceModule

SOURCES = Registry(__name__, SourceModule, {
    "events": ("events_config", "events"),
    "flows": ("flows_config", "flows"),
    "kev": ("kev_config", "kev"),
    "news": ("news_config", "news"),
    "auth": ("auth_config", "auth"),
    "prometheus": ("prometheus_config", "prometheus"),
    "changes": ("changes_config", "changes"),
    "probe": ("probe_config", "probe"),
    "query": ("query_config", "query"),
    "sensor_stats": ("sensor_stats_config", "sensor_stats"),
    "alertmanager": ("alertmanager_config", "alertmanager"),
    "queue_http": ("queue_http_config", "queue_http"),
    "chat": ("chat_config", "chat"),
})  # fmt: skip
