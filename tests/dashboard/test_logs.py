"""Logs: JSON lines with ECS names and the job/source/panel fields, gunicorn's and APScheduler's
included; one level from the command line or the config; repeated warnings held back."""

import json
import logging

import pytest
import yaml

from socwall.dashboard.cli import main
from socwall.dashboard.config import LoggingConfig
from socwall.dashboard.jobs import run_panel, run_source
from socwall.dashboard.logs import (
    CHATTY,
    EcsFormatter,
    PlainFormatter,
    RepeatLimit,
    follow_config,
    setup_logging,
)
from tests.conftest import Served, events_config
from tests.dashboard.test_jobs import CLOCK
from tests.redis_nodes import wait_for


def failed_record() -> logging.LogRecord:
    try:
        raise ValueError("bad row 7")
    except ValueError:
        import sys

        info = sys.exc_info()
    record = logging.LogRecord("socwall.dashboard.jobs", logging.WARNING, __file__, 1,
                               "panel failed: %s", ("threats",), info)  # fmt: skip
    record.job, record.panel = "panel:threats", "threats"
    return record


def test_json_lines_use_ecs_names_and_carry_the_traceback():
    doc = json.loads(EcsFormatter().format(failed_record()))
    assert doc["log.level"] == "warning" and doc["log.logger"] == "socwall.dashboard.jobs"
    assert doc["message"] == "panel failed: threats"
    assert doc["socwall"] == {"job": "panel:threats", "panel": "threats"}
    assert doc["error.type"] == "ValueError" and doc["error.message"] == "bad row 7"
    assert 'raise ValueError("bad row 7")' in doc["error.stack_trace"]
    assert doc["@timestamp"].endswith("Z")


def test_plain_lines_name_the_job_before_the_traceback():
    first, *rest = PlainFormatter().format(failed_record()).splitlines()
    assert first.endswith("panel failed: threats [job=panel:threats panel=threats]")
    assert rest[0] == "Traceback (most recent call last):"


@pytest.fixture
def root_logging():
    """setup_logging replaces the root's handlers: give pytest's back afterwards."""
    root = logging.getLogger()
    kept = (root.handlers[:], root.level, {n: logging.getLogger(n).level for n in CHATTY})
    yield
    root.handlers[:], level, chatty = kept
    root.setLevel(level)
    for name, chatty_level in chatty.items():
        logging.getLogger(name).setLevel(chatty_level)


def test_serve_writes_gunicorn_lines_error_and_access_as_json(tmp_path, redis_url, prefix,
                                                              monkeypatch):  # fmt: skip
    raw = events_config(tmp_path, redis_url, prefix)
    raw["logging"] = {"access_log": True}
    config = tmp_path / "wall.yaml"
    config.write_text(yaml.safe_dump(raw))
    monkeypatch.setenv("SOCWALL_LOG_FORMAT", "json")
    served = Served(config, tmp_path / "serve.log", "--workers", "1")
    try:
        served.get("/main?kiosk=1&token=lobby-secret-0123456789")
        wait_for(lambda: '"url.path": "/main"' in served.log(), 10, "the access line")
    finally:
        served.stop()
    lines = [json.loads(line) for line in served.log().splitlines()]  # each one JSON
    gunicorn = [d["message"] for d in lines if d["log.logger"] == "gunicorn.error"]
    assert any(m.startswith("Booting worker with pid") for m in gunicorn)
    assert any(m.startswith("Listening at: http://127.0.0.1:") for m in gunicorn)
    (request,) = [d for d in lines if d.get("url.path") == "/main"]
    assert request["log.logger"] == "gunicorn.access" and request["log.level"] == "info"
    assert request["http.request.method"] == "GET"
    assert request["http.response.status_code"] == 200
    assert request["http.response.body.bytes"] > 1000 and request["event.duration"] > 0
    assert request["client.ip"] == "127.0.0.1"
    assert "lobby-secret" not in served.log()  # the query string is never written


def test_repeats_of_one_warning_about_one_source_are_held_back(root_logging, capsys):
    setup_logging("json")
    limit = next(f for f in logging.getLogger().handlers[0].filters if isinstance(f, RepeatLimit))
    now = [1000.0]
    limit.clock = lambda: now[0]
    jobs = logging.getLogger("socwall.dashboard.jobs")
    for _ in range(5):  # a source failing every minute, the same way
        jobs.warning("source failed: %s: %s", "ssh", "no such file", extra={"source": "ssh"})
        now[0] += 60
    jobs.warning("source failed: %s: %s", "web", "no such file", extra={"source": "web"})
    jobs.warning("source failed: %s: %s", "ssh", "disk full", extra={"source": "ssh"})
    jobs.info("source read: ssh", extra={"source": "ssh"})  # not a warning: never held back
    now[0] += 600
    jobs.warning("source failed: %s: %s", "ssh", "no such file", extra={"source": "ssh"})
    written = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [d["message"] for d in written] == [
        "source failed: ssh: no such file",
        "source failed: web: no such file",
        "source failed: ssh: disk full",
        "source read: ssh",
        "source failed: ssh: no such file (4 more like this in the last 10m, not written)",
    ]
    assert written[-1]["socwall"] == {"source": "ssh", "repeated": 4}


def test_a_failing_source_writes_its_traceback_once_per_window(root_logging, capsys,
                                                               make_config, store):  # fmt: skip
    config = make_config()
    (make_config.data_dir / "a.csv").write_text("when,kind\n2024-01-01T00:00:00Z,x\n")
    setup_logging("plain")
    for _ in range(3):
        assert run_source(config, "events", store, CLOCK)["status"] == "error"
    err = capsys.readouterr().err
    assert err.count("source failed: events:") == 1 and err.count("Traceback") == 1


def test_scheduler_lines_carry_their_job_and_are_held_back_too(root_logging, capsys):
    from apscheduler.schedulers.background import BackgroundScheduler

    setup_logging("json")
    job = BackgroundScheduler().add_job(print, "interval", seconds=1, id="panel:threats")
    executor = logging.getLogger("apscheduler.executors.default")
    for _ in range(3):  # APScheduler's own words, with the job object as the argument
        executor.warning('Run time of job "%s" was missed by %s', job, "0:00:02")
    (line,) = capsys.readouterr().err.splitlines()
    assert json.loads(line)["socwall"] == {"job": "panel:threats"}


def test_the_command_line_level_wins_over_the_config(root_logging):
    root = logging.getLogger()
    setup_logging("plain")
    assert root.level == logging.INFO and logging.getLogger("apscheduler").level == logging.WARNING
    follow_config(LoggingConfig(level="error"))
    assert root.level == logging.ERROR
    assert logging.getLogger("apscheduler").level == logging.ERROR  # no warnings past error
    follow_config(LoggingConfig(level="debug"))
    assert root.level == logging.DEBUG and logging.getLogger("apscheduler").level == logging.DEBUG
    setup_logging("plain", "warning")  # --log-level or SOCWALL_LOG_LEVEL
    follow_config(LoggingConfig(level="debug"))
    assert root.level == logging.WARNING


def test_an_unknown_level_in_the_environment_is_refused(monkeypatch, capsys):
    monkeypatch.setenv("SOCWALL_LOG_LEVEL", "verbose")
    with pytest.raises(SystemExit) as stopped:
        main(["schema"])
    assert stopped.value.code == 2
    assert "SOCWALL_LOG_LEVEL=verbose: expected one of debug, info, warning, error" in (
        capsys.readouterr().err
    )


def test_jobs_skipped_while_the_store_is_away_say_which_job_once_a_window(root_logging, capsys,
                                                                          make_config):  # fmt: skip
    from socwall.dashboard.config import StoreConfig
    from socwall.dashboard.scheduler import _guarded
    from socwall.dashboard.store import Store, connect
    from tests.conftest import free_port

    config = make_config()
    gone = Store(connect(StoreConfig(url=f"redis://127.0.0.1:{free_port()}/0", timeout="1s")))
    setup_logging("json")
    panel = config.panels()[0]
    for _ in range(3):  # every refresh of every job, while Redis is down
        _guarded(lambda: True, run_panel, config, panel, gone, CLOCK, "w")
    (line,) = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert line["message"].startswith(f"store unreachable, job panel:{panel.id} skipped:")
    assert line["socwall"] == {"job": f"panel:{panel.id}"}
