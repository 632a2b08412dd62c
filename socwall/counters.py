"""Prometheus counters kept in the store: every process adds to them (the worker's jobs, the
web workers' sign-ins), and any web worker serves them at /metrics, so they add up across
processes and survive restarts (a counter resets only with the store)."""

import logging

log = logging.getLogger(__name__)

# Every counter, declared once: its name (Prometheus conventions: _total) and its help text.
# Labels are source, panel, feed, outcome, reason, process: never `job` or `instance`, which
# Prometheus sets on every target (a `job` label of ours would become `exported_job`).
COUNTERS = {
    "socwall_source_records_read_total": "records read by a source's ingests",
    "socwall_source_records_unreadable_total": "records a source could not read",
    "socwall_source_bytes_read_total": "bytes a source read from its files and fetches",
    "socwall_source_runs_total": "ingest jobs run",
    "socwall_source_failures_total": "ingest jobs that ended in an error",
    "socwall_panel_runs_total": "panel jobs run",
    "socwall_panel_failures_total": "panel jobs that ended in an error",
    "socwall_feed_fetches_total": "fetches of a feed or catalogue, by outcome",
    "socwall_auth_failures_total": "refused sign-ins and screen tokens, by reason",
    "socwall_config_reload_failures_total": "config reloads refused (the last good one stays)",
}


def sample(name: str, labels: dict[str, str]) -> str:
    """`name{a="x",b="y"}`, labels sorted and escaped: one hash field per series."""
    if name not in COUNTERS:
        raise KeyError(f"{name} is not declared in COUNTERS")
    text = ",".join(f'{k}="{escape(str(v))}"' for k, v in sorted(labels.items()))
    return f"{name}{{{text}}}" if text else name


def count(client, keys, name: str, labels: dict[str, str], amount: int = 1) -> None:
    """Add `amount` to a counter. A store that fails here loses the count, not the job."""
    count_all(client, keys, [(name, labels, amount)])


def count_all(client, keys, counts: list[tuple[str, dict[str, str], int]]) -> None:
    """Add to several counters in one round trip; amounts of 0 are skipped."""
    wanted = [(sample(name, labels), int(amount)) for name, labels, amount in counts if amount > 0]
    if not wanted:
        return
    import redis  # here, not at the top: every feed imports this module, most never count

    try:
        pipe = client.pipeline(transaction=False)
        for field, amount in wanted:
            pipe.hincrby(keys.counters(), field, amount)
        pipe.execute()
    except redis.exceptions.RedisError as error:
        log.debug("counters %s not counted: %s", [f for f, _ in wanted], error)


def read_all(client, keys) -> dict[str, int]:
    """Every counter series with its value."""
    return {field: int(value) for field, value in client.hgetall(keys.counters()).items()}


def escape(value: str) -> str:
    """A label value as the exposition format wants it."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
