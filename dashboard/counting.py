"""What the jobs add to the store's Prometheus counters after each run (socwall/counters.py)."""

from socwall.counters import count_all


def count_source_run(store, source_id: str, status: str, read: dict) -> None:
    """A source job ran: its run, its failure, and the records and bytes it read."""
    source = {"source": source_id}
    count_all(store.redis, store.keys, [
        ("socwall_source_runs_total", source, 1),
        ("socwall_source_failures_total", source, int(status == "error")),
        ("socwall_source_records_read_total", source, int(read.get("rows") or 0)),
        ("socwall_source_records_unreadable_total", source, int(read.get("bad_rows") or 0)),
        ("socwall_source_bytes_read_total", source, int(read.get("bytes") or 0)),
    ])  # fmt: skip


def count_panel_run(store, panel_id: str, status: str) -> None:
    """A panel job ran, and whether it failed."""
    panel = {"panel": panel_id}
    count_all(store.redis, store.keys, [("socwall_panel_runs_total", panel, 1),
                                        ("socwall_panel_failures_total", panel,
                                         int(status == "error"))])  # fmt: skip
