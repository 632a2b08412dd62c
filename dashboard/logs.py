"""Log lines as plain text or as JSON with Elastic Common Schema (ECS) field names."""

import json
import logging
import sys
import traceback
from datetime import UTC, datetime

# fields the jobs pass with `extra=`; they land under socwall.* in JSON and at the end in text
CONTEXT_FIELDS = ("job", "source", "panel")


class EcsFormatter(logging.Formatter):
    """One JSON object a line: @timestamp, log.level, log.logger, message, error.*, socwall.*."""

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
        fields = [f for f in CONTEXT_FIELDS if hasattr(record, f)]
        context = " ".join(f"{f}={getattr(record, f)}" for f in fields)
        if not context:
            return line
        first, _, rest = line.partition("\n")
        return f"{first} [{context}]" + (f"\n{rest}" if rest else "")


def setup_logging(fmt: str = "plain", level: int = logging.INFO) -> None:
    """Route every logger to stderr in the chosen format (plain or json)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(EcsFormatter() if fmt == "json" else PlainFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
