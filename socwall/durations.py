"""Durations written as in the YAML: 30s, 5m, 1h, 2d, 1w."""

import re
from datetime import timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PATTERN = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")


def parse_duration(text: object) -> timedelta:
    """Parse '30s', '5m', '1h', '2d' or '1w'; raise ValueError with a hint otherwise."""
    if isinstance(text, timedelta):
        return text
    match = _PATTERN.match(str(text)) if isinstance(text, str | int) else None
    if match is None:
        raise ValueError(f'expected a duration like 30s or 5m, got "{text}"')
    if int(match.group(1)) == 0:
        raise ValueError(f'expected a duration of more than zero, like 30s or 5m, got "{text}"')
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def format_duration(delta: timedelta) -> str:
    """The shortest exact YAML spelling of a duration: 300s -> '5m'."""
    seconds = int(delta.total_seconds())
    for unit in ("w", "d", "h", "m"):
        if seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


def humanize_age(seconds: float) -> str:
    """'12 s', '4 min', '3 h', '2 d': how old a thing is, for a panel corner."""
    if seconds < 90:
        return f"{max(0, int(seconds))} s"
    if seconds < 90 * 60:
        return f"{int(seconds // 60)} min"
    if seconds < 36 * 3600:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} d"


def duration_words(minutes: float) -> str:
    """'12 min', '2 h 05 min', '3 d 4 h' for a wall read from across the room."""
    minutes = max(0, round(minutes))
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 24 * 60:
        return f"{minutes // 60} h {minutes % 60:02d} min"
    return f"{minutes // 1440} d {minutes % 1440 // 60} h"
