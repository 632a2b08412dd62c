"""Where each key of config.yaml belongs, for messages about a key written in the wrong place."""

import re
import types
import typing
from collections import defaultdict

from pydantic import BaseModel

_TAGS = re.compile(r" \((type|widget): [^)]+\)")


def key_places(root: type[BaseModel]) -> dict[str, list[str]]:
    """Every key name -> the YAML places it is valid in, e.g. 'sources.<id> (type: query)'."""
    places: dict[str, list[str]] = defaultdict(list)
    _walk(root, "", places, set())
    variants: dict[str, set[str]] = defaultdict(set)  # 'sources.<name>' -> each tagged form
    for place in {p for found in places.values() for p in found}:
        variants[_TAGS.sub("", place)].add(place)
    return {key: _merged(found, variants) for key, found in places.items()}


def _merged(found: list[str], variants: dict[str, set[str]]) -> list[str]:
    """A key valid under every tag of a place is listed once, as '(any widget)'."""
    merged: list[str] = []
    for place in found:
        plain = _TAGS.sub("", place)
        tags = variants[plain]
        if len(tags) > 1 and tags <= set(found):
            tag = _TAGS.search(place).group(1)
            place = f"{plain} (any {tag})"
        if place not in merged:
            merged.append(place)
    return merged


def _walk(model: type[BaseModel], where: str, places: dict, seen: set) -> None:
    if (model, where) in seen:
        return
    seen.add((model, where))
    for name, field in model.model_fields.items():
        places[name].append(where or "the top level")
        inner = f"{where}.{name}" if where else name
        for sub, suffix in _models_in(field.annotation):
            _walk(sub, inner + suffix + _tag(sub), places, seen)


def _models_in(annotation, suffix: str = ""):
    """(model, suffix) for each pydantic model inside a field's type: `[]` for list items,
    `.<name>` for mapping values."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation, suffix
        return
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        yield from _models_in(args[0], suffix)
    elif origin in (typing.Union, types.UnionType):
        for arg in args:
            yield from _models_in(arg, suffix)
    elif origin in (list, tuple, set, frozenset):
        for arg in args:
            yield from _models_in(arg, suffix + "[]")
    elif origin is dict and len(args) == 2:
        yield from _models_in(args[1], suffix + ".<name>")


def _tag(model: type[BaseModel]) -> str:
    """' (type: query)' for a model chosen by a tag; '' for the others."""
    for tag in ("type", "widget"):
        field = model.model_fields.get(tag)
        values = typing.get_args(field.annotation) if field else ()
        if field and typing.get_origin(field.annotation) is typing.Literal and len(values) == 1:
            return f" ({tag}: {values[0]})"
    return ""


def belongs(key: str, places: list[str]) -> str:
    """'it belongs in A, B or C' (and how many more places), for an unknown-key message."""
    shown = places[:3]
    listed = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"
    more = f" (and {len(places) - 3} more places)" if len(places) > 3 else ""
    return f"{key} belongs in {listed}{more}"
