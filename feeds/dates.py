"""Dates as feeds write them: RFC 822, ISO 8601 and the common forms neither covers
('Jul 23, 2025 00:00:00-0500', '27 May 2025 16:35:17'), read with python-dateutil."""

import calendar
import re
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from dateutil import parser as dateutil_parser

# 'Wed, 16 Apr 2025 22:37:18 +0000': most feeds, read without the email module's general parser
_RFC822 = re.compile(
    r"(?:[A-Za-z]{3}, )?(\d{1,2}) ([A-Za-z]{3}) (\d{4}) (\d\d):(\d\d):(\d\d) ([+-]\d{4}|GMT|UTC|Z)$"
)
_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}


def parse_date(text: str | None, parsed: time.struct_time | None = None) -> datetime | None:
    """A written date as an aware UTC datetime (no zone given: UTC); None when unusable."""
    if parsed is not None:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    text = (text or "").strip()
    if not text or len(text) > 100:
        return None
    for reader in (_rfc822, parsedate_to_datetime, datetime.fromisoformat, _dateutil):
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


def _rfc822(text: str) -> datetime | None:
    match = _RFC822.match(text)
    if match is None or match[2].lower() not in _MONTHS:
        return None
    day, month, year, hour, minute, second, zone = match.groups()
    stamp = datetime(int(year), _MONTHS[month.lower()], int(day), int(hour), int(minute),
                     int(second), tzinfo=UTC)  # fmt: skip
    if zone[0] in "+-":
        offset = (int(zone[1:3]) * 60 + int(zone[3:5])) * (1 if zone[0] == "+" else -1)
        stamp -= timedelta(minutes=offset)
    return stamp
