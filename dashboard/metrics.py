"""/metrics in the Prometheus text format, built from the store so every web worker agrees:
gauges of the state now (ages, up, lag), and counters that every process adds to in the store
(socwall/counters.py), so they add up across processes and restarts."""

import platform
from datetime import datetime

from socwall import __version__, counters
from socwall.dashboard.config import WallConfig
from socwall.dashboard.health import health_report
from socwall.dashboard.store import Store

PROCESSES = ("serve", "worker")  # whose config reloads are counted
AUTH_REASONS = ("password", "locked_out", "screen_token", "oidc")


def prometheus_text(
    config: WallConfig, store: Store, now: datetime, config_problem: str | None = None
) -> str:
    """Per source, panel and worker gauges, the counters, build info; `socwall_store_up 0`
    and build info alone when Redis is away."""
    report, code = health_report(config, store, now, config_problem)
    build = {"version": __version__, "python": platform.python_version()}
    lines = _family("socwall_build_info", "the running socwall and Python", [(build, 1)])
    lines += _family("socwall_store_up", "1 when the store answers", [({}, int(code != 503))])
    if code == 503:
        return "\n".join(lines) + "\n"
    lines += _sources(report["sources"])
    lines += _panels(report["panels"], store)
    workers = report["workers"]
    lines += _family("socwall_leader", "1 for the worker that holds the scheduler lock",
                     [({"worker": w["id"]}, int(bool(w.get("leader")))) for w in workers])
    lines += _family("socwall_worker_heartbeat_timestamp_seconds", "last heartbeat",
                     [({"worker": w["id"]}, _epoch(w.get("beat") or w.get("at")))
                      for w in workers])  # fmt: skip
    running = report["config"]
    problems = {"serve": running["serve"]["config_problem"],
                "worker": (running["worker"] or {}).get("config_problem")}  # fmt: skip
    lines += _family("socwall_config_last_reload_success",
                     "0 while the config file's newest content is refused (the last good stays)",
                     [({"process": p}, int(not problems[p])) for p in PROCESSES
                      if p == "serve" or running["worker"]])  # fmt: skip
    lines += _counters(config, counters.read_all(store.redis, store.keys))
    return "\n".join(lines) + "\n"


def _sources(sources: dict) -> list[str]:
    lines = _family("socwall_source_last_success_timestamp_seconds", "last good ingest",
                    [({"source": s}, _epoch(v["last_success"])) for s, v in sources.items()])
    lines += _family("socwall_source_up", "1 when the last ingest succeeded",
                     [({"source": s}, int(v["status"] == "ok")) for s, v in sources.items()])
    lines += _family("socwall_source_lag_seconds",
                     "the source's clock (a replay's during a replay) minus its newest record",
                     [({"source": s}, source_lag(v["newest_record"], v.get("now")))
                      for s, v in sources.items()])  # fmt: skip
    return lines


def _panels(panels: dict, store: Store) -> list[str]:
    metas = {p: store.panel_meta(p) or {} for p in panels}
    lines = _family("socwall_panel_age_seconds", "seconds since the last good compute",
                    [({"panel": p}, v["age_s"]) for p, v in panels.items()])
    lines += _family("socwall_panel_up", "1 when the panel is fresh and its job succeeded",
                     [({"panel": p}, int(v["status"] == "ok")) for p, v in panels.items()])
    lines += _family("socwall_panel_compute_seconds", "duration of the last panel job",
                     [({"panel": p}, _seconds(m.get("duration_ms"))) for p, m in metas.items()])
    lines += _family("socwall_panel_payload_bytes", "size of the stored payload",
                     [({"panel": p}, store.redis.hstrlen(store.keys.panel(p), "data"))
                      for p in panels])  # fmt: skip
    return lines


def source_lag(newest: str | None, source_now: str | None) -> float | None:
    """Seconds from a source's newest record to the clock its last read ran on: during a
    replay that is the replay's clock, so a 2013 capture lags minutes, not 13 years."""
    if not newest or not source_now:
        return None  # unknown is absent, never a made-up 0
    lag = datetime.fromisoformat(source_now) - datetime.fromisoformat(newest)
    return round(lag.total_seconds(), 3)


def _counters(config: WallConfig, counted: dict[str, int]) -> list[str]:
    """Each counter family with the series counted so far, and 0 for the series that are
    known to exist (each source, panel, reason) but have not counted yet, so rate() works
    from the first scrape."""
    known = {counters.sample(n, {"source": s}): 0 for s in config.sources for n in (
        "socwall_source_runs_total", "socwall_source_failures_total",
        "socwall_source_records_read_total", "socwall_source_records_unreadable_total",
        "socwall_source_bytes_read_total")}  # fmt: skip
    known |= {counters.sample(n, {"panel": p.id}): 0 for p in config.panels()
              for n in ("socwall_panel_runs_total", "socwall_panel_failures_total")}  # fmt: skip
    known |= {counters.sample("socwall_auth_failures_total", {"reason": r}): 0
              for r in AUTH_REASONS}  # fmt: skip
    known |= {counters.sample("socwall_config_reload_failures_total", {"process": p}): 0
              for p in PROCESSES}  # fmt: skip
    series = {**known, **counted}
    lines = []
    for name, help_text in counters.COUNTERS.items():
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} counter"]
        lines += [f"{s} {v}" for s, v in sorted(series.items()) if s.partition("{")[0] == name]
    return lines


def _family(name: str, help_text: str, samples: list[tuple[dict, float | None]]) -> list[str]:
    out = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    for labels, value in samples:
        if value is None:
            continue  # unknown is absent, never a made-up 0
        text = ",".join(f'{k}="{counters.escape(str(v))}"' for k, v in labels.items())
        out.append(f"{name}{{{text}}} {value}" if text else f"{name} {value}")
    return out


def _epoch(iso: str | None) -> float | None:
    return datetime.fromisoformat(iso).timestamp() if iso else None


def _seconds(ms) -> float | None:
    return ms / 1000 if ms is not None else None
