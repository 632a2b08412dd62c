"""Pydantic field types shared by every config model (durations, ids, strict base)."""

import difflib
from datetime import timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
)

from socwall.durations import format_duration, parse_duration

Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d+[smhdw]$", "examples": ["30s", "5m"]}),
]

Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


def _beside_config(location: str, info: ValidationInfo) -> str:
    """A relative file path or glob means: relative to the config file; URLs stay as they are."""
    base = (info.context or {}).get("base_dir")
    if not base or location.startswith(("http://", "https://")) or Path(location).is_absolute():
        return location
    return str(Path(base) / location)


ConfigPath = Annotated[str, AfterValidator(_beside_config)]  # a file, glob or http(s) URL


def _server_url(url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f'expected an http:// or https:// URL, got "{url}"')
    return url.rstrip("/")


ServerUrl = Annotated[str, AfterValidator(_server_url)]  # an http(s) server, no trailing "/"


class Strict(BaseModel):
    """A config section: unknown keys are errors, values are checked on assignment too."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, defer_build=True)


def _known_zone(name: str) -> str:
    """An IANA zone name; a misspelt one is a config error with the closest real names."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        close = difflib.get_close_matches(name, sorted(available_timezones()), n=3)
        hint = f"; did you mean {' or '.join(close)}?" if close else ", e.g. Europe/Berlin"
        raise ValueError(f'unknown time zone "{name}"; use an IANA name{hint}') from None
    return name


TimeZoneName = Annotated[
    str, AfterValidator(_known_zone), WithJsonSchema({"type": "string", "examples": ["UTC"]})
]
