"""/healthz: is the store reachable, and per panel and source the last success, age and status."""

import json
from datetime import datetime

from socwall.dashboard.config import WallConfig
from socwall.dashboard.config_watch import config_version
from socwall.dashboard.frame import frame_state
from socwall.dashboard.store import Store, StoreUnavailable, describe_url


def health_report(
    config: WallConfig, store: Store, now: datetime, config_problem: str | None = None
) -> tuple[dict, int]:
    """The report and its HTTP status: 200 when the store answers and no panel is stale."""
    report: dict = {"store": {"url": describe_url(config.store), "reachable": store.ping()}}
    if not report["store"]["reachable"]:
        return {**report, "status": "store unreachable"}, 503
    try:
        report["store"]["notice"] = store.store_notice()
        report["panels"] = {p.id: _panel(store, p.id, now, config) for p in config.panels()}
        report["sources"] = {s: _source(store, s, now) for s in config.sources}
        report["workers"] = _workers(store)
        report["config"] = {
            "serve": {"config_version": config_version(config), "config_problem": config_problem},
            "worker": store.running_config(),  # the leader's; None while no worker leads
        }
    except StoreUnavailable as error:
        return {**report, "status": f"store failed: {error}"}, 503
    report["status"] = _status(report)
    return report, 200


def _status(report: dict) -> str:
    """'ok', or what is not: panels not ok, a config file refused (its fix is pending)."""
    stale = [pid for pid, panel in report["panels"].items() if panel["status"] != "ok"]
    said = [f"{len(stale)} panel(s) not ok"] if stale else []
    for process, running in report["config"].items():
        if (running or {}).get("config_problem"):
            said.append(f"{process}: config file refused, running the last good one")
    return "; ".join(said) or "ok"


def _panel(store: Store, panel_id: str, now: datetime, config: WallConfig) -> dict:
    meta = store.panel_meta(panel_id) or {}
    state = frame_state(meta, now, config.web.stale_after, config.tz)
    last = meta.get("computed_at")
    return {
        "status": "waiting" if not last else ("stale" if state.stale else "ok"),
        "last_success": last,
        "age_s": round((now - datetime.fromisoformat(last)).total_seconds()) if last else None,
        "error": meta.get("error"),
        "problems": state.status_text or None,
    }


def _source(store: Store, source_id: str, now: datetime) -> dict:
    status = store.source_status(source_id) or {}
    last = status.get("last_success")
    return {
        "status": status.get("status", "waiting"),
        "last_success": last,
        "age_s": round((now - datetime.fromisoformat(last)).total_seconds()) if last else None,
        "error": status.get("error"),
        "rows": status.get("rows"),
        "bad_rows": status.get("bad_rows"),
        "bad_rows_total": status.get("bad_rows_total"),
        **{key: status[key] for key in ("repaired", "ports_cleared", "special") if key in status},
        "newest_record": status.get("newest"),
        # the clock of its last read: its own when replaying an archive, else the wall's
        "now": status.get("clock") or status.get("now"),
        "warnings": status.get("warnings") or [],
        **({"per_file": status["per_file"]} if status.get("per_file") else {}),
    }


def _workers(store: Store) -> list[dict]:
    """Workers whose heartbeat has not expired; members whose heartbeat did are dropped."""
    ids = sorted(store.redis.smembers(store.keys.workers()))
    beats = store.redis.mget([store.keys.worker(i) for i in ids]) if ids else []
    if gone := [i for i, beat in zip(ids, beats, strict=True) if beat is None]:
        store.redis.srem(store.keys.workers(), *gone)
    return [{"id": i, **json.loads(b)} for i, b in zip(ids, beats, strict=True) if b]


def public_summary(report: dict, status_code: int) -> dict:
    """The redacted /healthz for callers without credentials: only ok, degraded or down."""
    if status_code >= 500:
        return {"status": "down"}
    return {"status": "ok" if report.get("status") == "ok" else "degraded"}


def readiness(
    config: WallConfig | None, store: Store, now: datetime, config_problem: str | None = None
) -> tuple[dict, int]:
    """/readyz: 200 when a config is loaded and the store answers; stale panels or a refused
    config file say degraded."""
    if config is None:
        return {"status": "no valid config loaded"}, 503
    report, code = health_report(config, store, now, config_problem)
    if code != 200:
        return {"status": "store unreachable"}, 503
    return {"status": "ready" if report["status"] == "ok" else "degraded"}, 200
