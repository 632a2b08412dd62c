"""A source's status is ok, error or blind, with one plain sentence; a failure streak is one
warning in the log, not one per refresh."""

import logging

from socwall.dashboard.jobs import run_panel, run_source
from socwall.errors import in_words
from tests.dashboard.test_jobs import CLOCK, write_events


def test_a_glob_with_no_file_is_blind_until_a_file_comes(make_config, store):
    config = make_config()
    status = run_source(config, "events", store, CLOCK)
    assert status["status"] == "blind"
    assert status["error"] == f"no file matches {make_config.data_dir / '*.csv'}"
    meta = run_panel(config, config.panels()[0], store, CLOCK)
    assert meta["source"]["status"] == "blind" and meta["source"]["error"] == status["error"]
    write_events(make_config.data_dir, [5])
    assert run_source(config, "events", store, CLOCK)["status"] == "ok"


def test_a_file_with_nothing_readable_stays_blind_until_something_is_read(make_config, store):
    config = make_config()
    path = make_config.data_dir / "a.csv"
    path.write_text("ts,kind\nnot a time,failed_login\nnor this,failed_login\n")
    first = run_source(config, "events", store, CLOCK)
    assert first["status"] == "blind"
    assert first["error"].startswith("none of the 2 rows read could be read")
    again = run_source(config, "events", store, CLOCK)  # nothing new: still nothing recognised
    assert (again["status"], again["error"]) == ("blind", first["error"])
    with open(path, "a") as handle:
        handle.write("2026-11-23T11:55:00Z,failed_login\n")
    assert run_source(config, "events", store, CLOCK)["status"] == "ok"


def test_one_warning_per_failure_streak(make_config, store, caplog):
    config = make_config()
    (make_config.data_dir / "a.csv").write_text("when,kind\n2026-11-23T11:00:00Z,x\n")
    with caplog.at_level(logging.INFO, logger="socwall.dashboard.jobs"):
        for _ in range(4):
            assert run_source(config, "events", store, CLOCK)["status"] == "error"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and warnings[0].exc_info
    assert sum(r.levelno == logging.INFO for r in caplog.records) == 3


def test_errors_in_words_never_start_with_a_class_name():
    assert in_words(ValueError("column 'ts' is missing")) == "column 'ts' is missing"
    missing = in_words(FileNotFoundError(2, "No such file or directory", "/var/log/auth.log"))
    assert missing == "cannot open /var/log/auth.log: no such file or directory"
    assert in_words(KeyError("ts")).startswith("internal error (KeyError: 'ts')")
    assert in_words(RuntimeError()) == "failed without a message (RuntimeError)"
