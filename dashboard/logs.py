"""One logger for every line socwall writes: its own, gunicorn's and APScheduler's, as plain
text or as JSON with Elastic Common Schema (ECS) field names, at one level, with repeats of the
same warning about the same source held back."""

import json
import logging
import sys
import threading
import time
import traceback
from datetime import UTC, datetime, timedelta

from socwall.durations import format_duration

# fields the jobs pass with `extra=`; they land under socwall.* in JSON and at the end in text
CONTEXT_FIELDS = ("job", "source", "panel", "repeated")
LEVELS = ("debug", "info", "warning", "error")
CHATTY = ("apscheduler", "werkzeug")  # a line per job run or request: shown only at debug


class EcsFormatter(logging.Formatter):
    """One JSON object a line: @timestamp, log.level, log.logger, message, error.*, socwall.*,
    and for a request line the http.*, url.* and client.* fields (`record.ecs`)."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict = {
            "@timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ).replace("+00:00", "Z"),
            "log.level": record.levelname.lower(),
            "log.logger": record.name,
            "message": record.getMessage(),
            "process.pid": record.process,
            "ecs.version": "8.11.0",
        }
        doc.update(getattr(record, "ecs", None) or {})
        context = {f: getattr(record, f) for f in CONTEXT_FIELDS if hasattr(record, f)}
        if context:
            doc["socwall"] = context
        if record.exc_info and record.exc_info[0] is not None:
            kind, error, tb = record.exc_info
            doc["error.type"] = kind.__name__
            doc["error.message"] = str(error)
            doc["error.stack_trace"] = "".join(traceback.format_exception(kind, error, tb))
        return json.dumps(doc, ensure_ascii=False, default=str)


class PlainFormatter(logging.Formatter):
    """The classic line, with job/source/panel appended when a record carries them."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = [f for f in CONTEXT_FIELDS[:3] if hasattr(record, f)]
        context = " ".join(f"{f}={getattr(record, f)}" for f in fields)
        if not context:
            return line
        first, _, rest = line.partition("\n")
        return f"{first} [{context}]" + (f"\n{rest}" if rest else "")


class SchedulerJobs(logging.Filter):
    """APScheduler's lines name the job object in their arguments: its id ('source:events')
    becomes the record's `job`, so its repeats are held back like any job's."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("apscheduler") and not hasattr(record, "job"):
            args = record.args if isinstance(record.args, tuple) else ()
            job_id = next((a.id for a in args if isinstance(getattr(a, "id", None), str)), None)
            if job_id:
                record.job = job_id
        return True


class RepeatLimit(logging.Filter):
    """A warning about one job, source or panel is written once per `window`; the next one
    after the window says how many were held back. A source failing every minute writes its
    traceback every 10 minutes, not 1,440 times a day; a different message always passes."""

    KEPT = 1000  # keys remembered; more (messages with changing numbers) forget the oldest

    def __init__(self, window: timedelta = timedelta(minutes=10), clock=time.monotonic):
        super().__init__()
        self.window, self.clock = window, clock
        self.lock = threading.Lock()
        self.seen: dict[tuple, list] = {}  # key -> [when last written, how many held back]

    def filter(self, record: logging.LogRecord) -> bool:
        who = next((getattr(record, f) for f in ("job", "source", "panel")
                    if getattr(record, f, None)), None)  # fmt: skip
        if record.levelno < logging.WARNING or who is None:
            return True
        key, now = (who, record.levelno, record.getMessage()), self.clock()
        with self.lock:
            entry = self.seen.get(key)
            if entry and now - entry[0] < self.window.total_seconds():
                entry[1] += 1
                return False
            held = entry[1] if entry else 0
            self.seen.pop(key, None)
            self.seen[key] = [now, 0]
            if len(self.seen) > self.KEPT:
                del self.seen[next(iter(self.seen))]
        if held:
            record.msg = (f"{record.getMessage()} ({held} more like this in the last "
                          f"{format_duration(self.window)}, not written)")  # fmt: skip
            record.args, record.repeated = (), held
        return True


def setup_logging(fmt: str = "plain", level: str | None = None) -> None:
    """Route every logger to stderr in the chosen format (plain or json). `level` given here
    (--log-level, SOCWALL_LOG_LEVEL) wins over the config's logging.level for good."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(EcsFormatter() if fmt == "json" else PlainFormatter())
    handler.addFilter(SchedulerJobs())
    handler.addFilter(RepeatLimit())
    handler.socwall_level = level  # the level the command line chose, if any
    logging.getLogger().handlers[:] = [handler]
    _set_level(level or "info")


def follow_config(settings) -> None:
    """Apply a config's `logging` section: its level (unless the command line set one) and
    the window of held-back repeats. Called at start and after every config reload."""
    for handler in logging.getLogger().handlers:
        if hasattr(handler, "socwall_level"):
            for found in handler.filters:
                if isinstance(found, RepeatLimit):
                    found.window = settings.repeat_window
            if handler.socwall_level is None:
                _set_level(settings.level)


def _set_level(name: str) -> None:
    level = logging.getLevelNamesMapping()[name.upper()]
    root = logging.getLogger()
    root.setLevel(level)
    for handler in root.handlers:  # loggers with a level of their own propagate past the root's
        handler.setLevel(level)
    for chatty in CHATTY:
        logging.getLogger(chatty).setLevel(max(level, logging.WARNING) if level > logging.DEBUG
                                           else level)  # fmt: skip
