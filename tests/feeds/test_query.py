"""The `query` source's configuration: what it refuses, in words that name the YAML key."""

import pytest

from socwall.dashboard.config import ConfigError, parse_config

FLOWS = {"type": "query", "engine": "duckdb", "parquet": "/data/flows/*.parquet", "kind": "flows",
         "time_column": "ts", "columns": {"src_ip": "srcaddr", "dst_ip": "dstaddr"}}


def wall(source: dict, widget: str = "top_talkers", options: dict | None = None) -> dict:
    panel = {"id": "p1", "widget": widget, "title": "t", "source": "lake", "at": [1, 1]}
    if options is not None:
        panel["options"] = options
    return {"title": "t", "sources": {"lake": source},
            "pages": [{"id": "p", "title": "P", "grid": {"columns": 1, "rows": 1}, "panels": [panel]}]}


@pytest.mark.parametrize("change,key,words", [
    ({"engine": "postgres"}, "sources.lake", "`parquet` is read by duckdb or pyspark, not postgres"),
    ({"table": "netflow"}, "sources.lake", "either `table` or `parquet`"),
    ({"columns": {"src_ip": "a"}}, "sources.lake", "flows need `columns` for dst_ip"),
    ({"columns": {"src_ip": "a", "dst_ip": "b", "source_ip": "c"}}, "sources.lake", "columns: unknown flows fields ['source_ip']"),
    ({"internal": ["10.0.0.0/33"]}, "sources.lake.internal", "10.0.0.0/33"),
    ({"engine": "oracle"}, "sources.lake.engine", "duckdb"),
    ({"bucket": "7m"}, "sources.lake", "bucket must divide a day evenly"),
    ({"backfill_step": "5m"}, "sources.lake", "backfill_step must be longer than `lag`"),
])
def test_a_wrong_setting_is_refused_with_its_key(change, key, words):
    with pytest.raises(ConfigError) as refused:
        parse_config(wall({**FLOWS, **change}))
    assert key in str(refused.value) and words in str(refused.value), str(refused.value)


def test_a_flows_query_feeds_top_talkers_but_not_a_metric_panel():
    assert parse_config(wall(FLOWS)).sources["lake"].provides == "flows"
    with pytest.raises(ConfigError, match=r"metric_compare needs a events or auth or prometheus source, not 'flows'"):
        parse_config(wall(FLOWS, "metric_compare", {"metric": "x"}))


def test_a_password_is_never_shown_by_the_config():
    source = {**FLOWS, "engine": "pyspark", "password": "s3cret-Pa55"}
    config = parse_config(wall(source))
    assert "s3cret-Pa55" not in repr(config) and "s3cret-Pa55" not in config.model_dump_json()
