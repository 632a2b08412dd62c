"""The job runner contract: registries checked at import, results handled inside the try."""

import logging
import types
from datetime import UTC, datetime

import pytest

from socwall.contracts import SourceModule, Widget, check_registry
from socwall.dashboard import jobs
from socwall.dashboard.clock import Clock
from socwall.feeds import SOURCES
from socwall.widgets import WIDGETS

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CLOCK = Clock(replay_start=NOW, frozen=True)


def test_every_registered_module_keeps_the_contract():
    check_registry(WIDGETS, Widget)
    check_registry(SOURCES, SourceModule)


def test_a_widget_missing_a_part_is_refused_by_name():
    broken = types.SimpleNamespace(**{k: getattr(WIDGETS["metric_compare"], k) for k in (
        "Options", "needs_source", "source_types", "check", "load", "render")})
    with pytest.raises(TypeError, match="not a Widget: broken"):
        check_registry({**WIDGETS, "broken": broken}, Widget)


def test_a_source_without_ingest_is_refused_by_name():
    broken = types.SimpleNamespace(Config=object, Source=object)
    with pytest.raises(TypeError, match="not a SourceModule: broken"):
        check_registry({"broken": broken}, SourceModule)


def _widget_returning(payload):
    real = WIDGETS["metric_compare"]
    fake = types.SimpleNamespace(**vars(real))
    fake.compute = lambda inputs, options, context: payload
    return fake


def test_a_payload_without_highlight_is_fine(make_config, store, monkeypatch):
    config = make_config()
    monkeypatch.setitem(jobs.WIDGETS, "metric_compare", _widget_returning({"current": 1}))
    meta = jobs.run_panel(config, config.panels()[0], store, CLOCK)
    assert meta["status"] == "ok" and meta["highlight"] is False
    calm = {"state": "calm", "reasons": [], "rows": {}}  # the runner's verdict: no facts, calm
    assert store.panel_data("failed") == {"current": 1, "verdict": calm}


def test_a_payload_that_is_not_a_dict_is_an_error_with_traceback(
    make_config, store, monkeypatch, caplog
):
    config = make_config()
    monkeypatch.setitem(jobs.WIDGETS, "metric_compare", _widget_returning(None))
    with caplog.at_level(logging.WARNING, logger="socwall.dashboard.jobs"):
        meta = jobs.run_panel(config, config.panels()[0], store, CLOCK)
    assert meta["status"] == "error"
    assert meta["error"].startswith("internal error (TypeError: compute returned")
    record = next(r for r in caplog.records if r.getMessage().startswith("panel failed"))
    assert record.exc_info is not None and record.panel == "failed"


def test_source_stats_without_newest_or_not_a_mapping(make_config, store, monkeypatch):
    config = make_config()
    source_type = config.sources["events"].type

    def module_with(stats):
        class Source:
            def __init__(self, config, source_id):
                pass

            def ingest(self, store, now):
                return stats

        return types.SimpleNamespace(Config=object, Source=Source)

    monkeypatch.setitem(jobs.SOURCES, source_type, module_with({"rows": 2}))
    status = jobs.run_source(config, "events", store, CLOCK)
    assert status["status"] == "ok" and status["rows"] == 2 and status["newest"] is None
    monkeypatch.setitem(jobs.SOURCES, source_type, module_with(None))
    status = jobs.run_source(config, "events", store, CLOCK)
    assert status["status"] == "error" and status["error"].startswith("internal error (TypeError")
