"""Logs: JSON lines with ECS names and the job/source/panel fields; plain lines carry them too."""

import json
import logging

from socwall.dashboard.logs import EcsFormatter, PlainFormatter


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
