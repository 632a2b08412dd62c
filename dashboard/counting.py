"""What the jobs add to the store's Prometheus counters after each run (socwall/counters.py)."""

from socwall.counters import count


def count_source_run(store, source_id: str, status: str, read: dict) -> None:
    """A source job ran: its run, its failure, and the records and bytes it read."""
    source = {"source": source_id}
    count(store.redis, store.keys, "socwall_source_runs_total", source)
    if status == "error":
        count(store.redis, store.keys, "socwall_source_failures_total", source)
    for name, key in (("socwall_source_records_read_total", "rows"),
                      ("socwall_source_records_unreadable_total", "bad_rows"),
                      ("socwall_source_bytes_read_total", "bytes")):  # fmt: skip
        count(store.redis, store.keys, name, source, int(read.get(key) or 0))


def count_panel_run(store, panel_id: str, status: str) -> None:
    """A panel job ran, and whether it failed."""
    panel = {"panel": panel_id}
    count(store.redis, store.keys, "socwall_panel_runs_total", panel)
    if status == "error":
        count(store.redis, store.keys, "socwall_panel_failures_total", panel)
