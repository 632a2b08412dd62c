"""/metrics in the Prometheus text format, built from the store so every web worker agrees."""

from datetime import datetime

from socwall.dashboard.config import WallConfig
from socwall.dashboard.health import health_report
from socwall.dashboard.store import Store


def prometheus_text(config: WallConfig, store: Store, now: datetime) -> str:
    """Per source, panel and worker gauges; `socwall_store_up 0` alone when Redis is away."""
    report, code = health_report(config, store, now)
    lines = _family("socwall_store_up", "1 when the store answers", [({}, int(code != 503))])
    if code == 503:
        return "\n".join(lines) + "\n"
    sources = report["sources"]
    lines += _family("socwall_source_last_success_timestamp_seconds", "last good ingest",
                     [({"source": s}, _epoch(v["last_success"])) for s, v in sources.items()])
    lines += _family("socwall_source_up", "1 when the last ingest succeeded",
                     [({"source": s}, int(v["status"] == "ok")) for s, v in sources.items()])
    lines += _family("socwall_source_records_read", "records read by the last ingest",
                     [({"source": s}, v["rows"]) for s, v in sources.items()])
    lines += _family("socwall_source_records_unreadable", "unreadable records, last ingest",
                     [({"source": s}, v["bad_rows"]) for s, v in sources.items()])
    lines += _family("socwall_source_lag_seconds", "the source's clock minus its newest record",
                     [({"source": s}, _age(_epoch_dt(v.get("clock")) or now, v["newest_record"]))
                      for s, v in sources.items()])  # a replayed source runs on its own clock
    panels = report["panels"]
    metas = {p: store.panel_meta(p) or {} for p in panels}
    lines += _family("socwall_panel_age_seconds", "seconds since the last good compute",
                     [({"panel": p}, v["age_s"]) for p, v in panels.items()])
    lines += _family("socwall_panel_up", "1 when the panel is fresh and its job succeeded",
                     [({"panel": p}, int(v["status"] == "ok")) for p, v in panels.items()])
    lines += _family("socwall_panel_compute_seconds", "duration of the last panel job",
                     [({"panel": p}, _seconds(m.get("duration_ms"))) for p, m in metas.items()])
    lines += _family("socwall_panel_payload_bytes", "size of the stored payload",
                     [({"panel": p}, store.redis.hstrlen(store.keys.panel(p), "data"))
                      for p in panels])  # fmt: skip
    workers = report["workers"]
    lines += _family("socwall_leader", "1 for the worker that holds the scheduler lock",
                     [({"worker": w["id"]}, int(bool(w.get("leader")))) for w in workers])
    lines += _family("socwall_worker_heartbeat_timestamp_seconds", "last heartbeat",
                     [({"worker": w["id"]}, _epoch(w.get("beat") or w.get("at")))
                      for w in workers])  # fmt: skip
    return "\n".join(lines) + "\n"


def _family(name: str, help_text: str, samples: list[tuple[dict, float | None]]) -> list[str]:
    out = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    for labels, value in samples:
        if value is None:
            continue  # unknown is absent, never a made-up 0
        text = ",".join(f'{k}="{_escape(str(v))}"' for k, v in labels.items())
        out.append(f"{name}{{{text}}} {value}" if text else f"{name} {value}")
    return out


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _epoch(iso: str | None) -> float | None:
    return datetime.fromisoformat(iso).timestamp() if iso else None


def _epoch_dt(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None


def _age(now: datetime, iso: str | None) -> float | None:
    return round((now - datetime.fromisoformat(iso)).total_seconds(), 3) if iso else None


def _seconds(ms) -> float | None:
    return ms / 1000 if ms is not None else None
