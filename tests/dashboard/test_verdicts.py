"""The job runner joins a panel's facts with the changes in the store (real Redis) and the
panel's inventory, stores the verdict with the payload and the state in the meta; the frame
shows it."""

import types
from datetime import UTC, datetime, timedelta

from socwall.dashboard import jobs
from socwall.dashboard.clock import Clock
from socwall.dashboard.config import parse_config
from socwall.dashboard.frame import frame_state
from socwall.widgets import WIDGETS
from tests.conftest import events_config

NOW = datetime(2026, 3, 30, 8, 30, tzinfo=UTC)
CLOCK = Clock(replay_start=NOW, frozen=True)
CHANGE = {"id": "CHG-1042", "title": "PostgreSQL failover", "start": (NOW - timedelta(minutes=50))
          .isoformat(), "end": (NOW + timedelta(minutes=36)).isoformat(), "end_known": True,
          "hosts": ["db-02"], "services": []}  # fmt: skip


def config_with_changes(tmp_path, redis_url, prefix, inventory=None):
    raw = events_config(tmp_path, redis_url, prefix)
    raw["sources"]["calendar"] = {"type": "changes", "locations": [str(tmp_path / "t.csv")]}
    if inventory:  # a panel with an inventory: a status panel over a probe source
        target = {"name": "x", "tcp": "127.0.0.1:9"}
        raw["sources"]["probe"] = {"type": "probe", "targets": [target]}
        raw["pages"][0]["panels"][0].update(widget="status", source="probe",
                                            options={"inventory": str(inventory)})
    return parse_config(raw)


def widget_stating(facts, widget="metric_compare"):
    fake = types.SimpleNamespace(**vars(WIDGETS[widget]))
    fake.load = lambda reader, panel, context: None
    fake.compute = lambda inputs, options, context: {"facts": facts, "highlight": bool(facts)}
    return fake


def test_an_outage_during_its_change_is_explained_in_meta_payload_and_frame(
    tmp_path, redis_url, prefix, store, monkeypatch
):
    config = config_with_changes(tmp_path, redis_url, prefix)
    store.write_document("calendar", "changes", [CHANGE])
    fact = {"kind": "down", "severity": "alarm", "text": "db-02 down", "row": "db-02",
            "hosts": ["db-02"], "start": (NOW - timedelta(minutes=47)).isoformat()}  # fmt: skip
    monkeypatch.setitem(jobs.WIDGETS, "metric_compare", widget_stating([fact]))
    meta = jobs.run_panel(config, config.panels()[0], store, CLOCK)
    assert (meta["state"], meta["highlight"]) == ("explained", False)
    assert meta["reasons"] == ["in maintenance, CHG-1042, 36 min left"]
    assert store.panel_data("failed")["verdict"]["rows"]["db-02"]["state"] == "explained"
    state = frame_state(meta, datetime.now(UTC), 3, config.tz)
    assert "explained" in state.css_class.split() and "alert" not in state.css_class
    assert state.verdict_text == "in maintenance, CHG-1042, 36 min left"


def test_without_the_change_it_is_an_alarm(tmp_path, redis_url, prefix, store, monkeypatch):
    config = config_with_changes(tmp_path, redis_url, prefix)
    fact = {"kind": "down", "severity": "alarm", "text": "db-02 down", "hosts": ["db-02"]}
    monkeypatch.setitem(jobs.WIDGETS, "metric_compare", widget_stating([fact]))
    meta = jobs.run_panel(config, config.panels()[0], store, CLOCK)
    assert (meta["state"], meta["highlight"], meta["reasons"]) == ("alarm", True, ["db-02 down"])
    assert frame_state(meta, datetime.now(UTC), 3, config.tz).css_class == "panel fresh alert"


def test_the_panel_inventory_joins_an_address_with_a_named_change(
    tmp_path, redis_url, prefix, store, monkeypatch
):
    inventory = tmp_path / "hosts.csv"
    inventory.write_text("ip,name,criticality\n10.0.1.71,db-02,HBI\n")
    config = config_with_changes(tmp_path, redis_url, prefix, inventory)
    store.write_document("calendar", "changes", [CHANGE])
    fact = {"kind": "new_talker", "severity": "alarm", "text": "NEW", "hosts": ["10.0.1.71"],
            "start": (NOW - timedelta(minutes=30)).isoformat()}  # fmt: skip
    monkeypatch.setitem(jobs.WIDGETS, "status", widget_stating([fact], "status"))
    meta = jobs.run_panel(config, config.panels()[0], store, CLOCK)
    assert (meta["state"], meta["reasons"]) == ("explained", ["explained by CHG-1042"])


def test_a_malformed_fact_fails_the_panel_visibly_and_keeps_the_last_data(
    tmp_path, redis_url, prefix, store, monkeypatch
):
    config = config_with_changes(tmp_path, redis_url, prefix)
    monkeypatch.setitem(jobs.WIDGETS, "metric_compare", widget_stating([]))
    jobs.run_panel(config, config.panels()[0], store, CLOCK)
    store.write_document("calendar", "changes", [CHANGE])
    bad = {"kind": "down", "severity": "alarm", "text": "x", "hosts": ["db-02"], "at": "later"}
    monkeypatch.setitem(jobs.WIDGETS, "metric_compare", widget_stating([bad]))
    meta = jobs.run_panel(config, config.panels()[0], store, CLOCK)
    assert meta["status"] == "error" and "Invalid isoformat string: 'later'" in meta["error"]
    assert store.panel_data("failed")["verdict"]["state"] == "calm"
