"""Dates as feeds write them: RFC 822, ISO 8601 and the common forms neither covers
('Jul 23, 2025 00:00:00-0500', '27 May 2025 16:35:17'), read with python-dateutil."""

import calendar
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from dateutil import parser as dateutil_parser


def parse_date(text: str | None, parsed: time.struct_time | None = None) -> datetime | None:
    """A written date as an aware UTC datetime (no zone given: UTC); None when unusable."""
    if parsed is not None:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    text = (text or "").strip()
    if not text or len(text) > 100:
        return None
    for reader in (parsedate_to_datetime, datetime.fromisoformat, _dateutil):
        try:
            value = reader(text)
        except (ValueError, TypeError, OverflowError, IndexError):
            continue
        if value is not None:
            return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    return None


def _dateutil(text: str) -> datetime | None:
    value = dateutil_parser.parse(text, fuzzy=False)
    return value if 1990 <= value.year <= 2200 else None
