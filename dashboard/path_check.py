"""The files a config names, checked on disk: a path or glob that matches nothing is said by
`check-config` before the wall runs blind on it."""

import glob
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, get_args, get_origin

from pydantic import BaseModel

from socwall.types import ConfigPath

_MARK = get_args(ConfigPath)[1]  # the validator that makes a value a config path


def _is_path(annotation) -> bool:
    """Does the annotation hold a ConfigPath (alone, optional or in a list)?"""
    if get_origin(annotation) is Annotated:
        return _MARK in get_args(annotation)[1:] or _is_path(get_args(annotation)[0])
    return any(_is_path(arg) for arg in get_args(annotation))


def config_paths(model: BaseModel, where: str = "") -> Iterator[tuple[str, str]]:
    """(YAML key, value) of every file path or glob set in the config, URLs included."""
    for name, field in type(model).model_fields.items():
        value, key = getattr(model, name), f"{where}.{name}" if where else name
        if _is_path(field.annotation) or _MARK in field.metadata:
            for n, item in enumerate(value if isinstance(value, list) else [value]):
                if isinstance(item, str):
                    yield (f"{key}[{n}]" if isinstance(value, list) else key), item
        else:
            yield from _inside(value, key)


def _inside(value, key: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, BaseModel):
        yield from config_paths(value, key)
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from _inside(item, f"{key}.{name}")
    elif isinstance(value, list | tuple):
        for n, item in enumerate(value):
            yield from _inside(item, f"{key}[{n}]")


def missing_paths(model: BaseModel) -> list[str]:
    """One sentence per local path or glob in the config that matches no file now."""
    said = []
    for key, value in config_paths(model):
        if value.startswith(("http://", "https://")):
            continue
        local = value.removeprefix("file://")
        if not any(Path(p).is_file() for p in glob.glob(local, recursive=True)):
            said.append(f"{key}: {local} matches no file")
    return said
