"""What is wrong in config.yaml, said with its YAML key path: ${VAR} expansion, pydantic errors."""

import difflib
import os
import re
from collections.abc import Callable
from typing import Any

from socwall.dashboard.config_keys import belongs


class ConfigError(Exception):
    """config.yaml is invalid; `problems` holds one 'key.path: message' line per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


_ENV_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand_env(node: Any, path: str, problems: list[str]) -> Any:
    if isinstance(node, dict):
        return {k: expand_env(v, _join(path, k), problems) for k, v in node.items()}
    if isinstance(node, list):
        return [expand_env(v, _join(path, i), problems) for i, v in enumerate(node)]
    if isinstance(node, str):
        for name in _ENV_VAR.findall(node):
            if name not in os.environ:
                problems.append(f"{path}: environment variable {name} is not set")
        return _ENV_VAR.sub(lambda m: os.environ.get(m.group(1), ""), node)
    return node


def _join(path: str, part: str | int) -> str:
    if isinstance(part, int):
        return f"{path}[{part}]"
    return f"{path}.{part}" if path else str(part)


def describe(error: dict, raw: Any, known_keys: Callable[[], dict[str, list[str]]]) -> str:
    """One line for one pydantic error: the YAML key path, then what is wrong and a hint."""
    path, node = "", raw
    for part in error["loc"]:
        if (
            isinstance(node, dict)
            and part not in node
            and part in (node.get("type"), node.get("widget"))
        ):
            continue  # the tag pydantic adds for a discriminated union is not a YAML key
        path = _join(path, part)
        node = (
            node.get(part)
            if isinstance(node, dict)
            else (
                node[part]
                if isinstance(node, list) and isinstance(part, int) and part < len(node)
                else None
            )
        )
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        path = _join(path, error["ctx"]["discriminator"].strip("'"))
    return f"{path or '(top)'}: {_message(error, known_keys)}"


def _message(error: dict, known_keys: Callable[[], dict[str, list[str]]]) -> str:
    kind, loc = error["type"], error["loc"]
    if kind == "extra_forbidden":
        key, places = str(loc[-1]), known_keys()
        if key in places:  # a real key, written where it does not belong: say where it does
            return f"unknown key here; {belongs(key, places[key])}"
        close = difflib.get_close_matches(key, places, n=1, cutoff=0.7)
        return "unknown key" + (f"; did you mean '{close[0]}'?" if close else "")
    if kind == "union_tag_not_found":
        return "required key is missing"
    if kind == "missing":
        return "required key is missing"
    if kind == "union_tag_invalid":
        context = error["ctx"]
        key, expected = (
            context["discriminator"].strip("'"),
            context["expected_tags"].replace("'", ""),
        )
        return f"unknown {key} '{context['tag']}'; expected one of {expected}"
    if kind == "too_short" and isinstance(error.get("input"), dict | list):
        least, given = error["ctx"]["min_length"], len(error["input"])
        entries = "entry" if least == 1 else "entries"
        return f"expected at least {least} {entries}, got {given or 'none'}"
    message = error["msg"].removeprefix("Value error, ").replace("Input should be", "expected")
    secret = any(w in str(part) for part in loc for w in ("token", "secret", "password", "users"))
    said_got = ", got " in message  # pydantic's own words already say what it got
    quiet = secret or said_got or kind in ("value_error", "assertion_error")
    if "input" in error and not quiet:
        message += f', got "{error["input"]}"' if not isinstance(error["input"], dict) else ""
    return message
