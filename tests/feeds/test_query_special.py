# ruff: noqa: E501 - rows on one line each
"""Flows with a multicast, link-local or other special side are counted alike by the file
source and the query source, IPv6 included (the engine leaves IPv6 to Python)."""

import ipaddress
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from socwall.feeds import flows, query
from tests.feeds.test_query_flows import query_config

SHARED_JSON = Path(__file__).resolve().parents[3] / "shared" / "data" / "zeek" / "conn_json_2020-06.log"
COLUMNS = {"src_ip": "orig_h", "dst_ip": "resp_h", "src_port": "orig_p", "dst_port": "resp_p", "proto": "proto",
           "bytes_out": "orig_ip_bytes", "bytes_in": "resp_ip_bytes"}


def as_parquet(rows: list[dict], out: Path) -> Path:
    """Zeek JSON rows as a lake table, by a plain loop."""
    table = pa.table({
        "ts": pa.array([datetime.fromtimestamp(r["ts"], UTC) for r in rows], pa.timestamp("us", tz="UTC")),
        "orig_h": [r["id.orig_h"] for r in rows], "resp_h": [r["id.resp_h"] for r in rows],
        "orig_p": [r.get("id.orig_p") for r in rows], "resp_p": [r.get("id.resp_p") for r in rows],
        "proto": [r.get("proto") for r in rows],
        "orig_ip_bytes": [r.get("orig_ip_bytes") for r in rows], "resp_ip_bytes": [r.get("resp_ip_bytes") for r in rows],
    })  # fmt: skip
    pq.write_table(table, out)
    return out


def plain_special(rows: list[dict]) -> int:
    """Rows with a side the standard library calls multicast, link-local, loopback, unspecified or reserved."""
    def special(text: str) -> bool:
        a = ipaddress.ip_address(text)
        return a.is_multicast or a.is_link_local or a.is_loopback or a.is_unspecified or a.is_reserved or text == "255.255.255.255"
    return sum(special(r["id.orig_h"]) or special(r["id.resp_h"]) for r in rows)


def both_paths(rows: list[dict], tmp_path: Path, store) -> tuple[int, int]:
    log = tmp_path / "conn.log"
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    end = datetime.fromtimestamp(max(r["ts"] for r in rows), UTC) + timedelta(hours=1)
    files = flows.Source(flows.FlowsConfig(type="flows", path=str(log), format="zeek-json"), "files")
    lake = query.Source(query_config(parquet=str(as_parquet(rows, tmp_path / "conn.parquet")), columns=COLUMNS), "lake")
    return files.ingest(store, end)["special"], lake.ingest(store, end)["special"]


def test_ipv6_link_local_and_multicast_count_as_special_in_both_paths(tmp_path, store):
    base = 1767344400.0
    pairs = [("fe80::a179:b3ff:199:2314", "ff02::1:3"), ("fe80::1", "ff02::fb"), ("192.168.1.5", "224.0.0.252"),
             ("192.168.1.5", "203.0.113.9"), ("fd00::5", "2001:db8::1"), ("::1", "::1"), ("10.0.0.1", "255.255.255.255")]
    rows = [{"ts": base + n, "id.orig_h": src, "id.orig_p": 5353, "id.resp_h": dst, "id.resp_p": 5353, "proto": "udp",
             "orig_ip_bytes": 100, "resp_ip_bytes": 0} for n, (src, dst) in enumerate(pairs * 3)]
    file_special, lake_special = both_paths(rows, tmp_path, store)
    assert file_special == lake_special == plain_special(rows) == 15


@pytest.mark.skipif(not SHARED_JSON.exists(), reason="../shared/data is not beside the repo")
def test_real_zeek_json_capture_counts_special_alike(tmp_path, store):
    rows = [json.loads(line) for line in SHARED_JSON.read_text().splitlines() if line.strip()]
    file_special, lake_special = both_paths(rows, tmp_path, store)
    assert file_special == lake_special == plain_special(rows)


def test_run_once_catches_up_the_whole_backfill_and_progress_stays_in_the_status(tmp_path, store, redis_url, prefix):
    """With the default backfill_step (1d) one refresh asks only the oldest day, which is empty
    here; the status keeps the progress, and run-once steps until the backfill is done."""
    from socwall.dashboard.clock import Clock
    from socwall.dashboard.jobs import run_all_once, run_source
    from tests.feeds import query_data as qd
    from tests.feeds.test_query_flows import BUCKETS, START, wall

    rows = qd.vast_rows(START, 2000)
    path = qd.vast_parquet(rows, tmp_path / "f.parquet")
    lake = {**query_config(parquet=str(path)).model_dump(mode="json"), "backfill_step": "1d"}
    config = wall(redis_url, prefix, {"lake": lake})
    clock = Clock(replay_start=START + timedelta(hours=20), frozen=True)  # rows until 20:33
    first = run_source(config, "lake", store, clock)
    assert first["status"] == "ok" and first["backfill"].endswith("of the retention") and not first.get("rows")
    second = run_source(config, "lake", store, clock)
    assert second["backfill"] and second["backfill"] != first["backfill"]
    run_all_once(config, store, clock, catch_up=True)
    done = store.source_status("lake")
    assert done["backfill"] is None and store.panel_data("top_lake")["rows"]
    # what the steps stored, against a plain loop over the rows written: rows count until the
    # bucket after now + 5 minutes (sensor clocks differ) begins, 20:10; later ones wait
    stored = qd.stored_pair_totals(qd.stored_pairs(store, "lake", BUCKETS))
    until = START + timedelta(hours=20, minutes=10)
    assert stored == qd.pair_totals_by_loop(rows, START.timestamp(), until.timestamp()) and len(stored) == 195
