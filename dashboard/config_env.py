"""Environment overrides of config keys: SOCWALL_STORE__URL, SOCWALL_PAGES__0__TITLE, ..."""

import copy
from typing import Any

import yaml

from socwall.dashboard.config_messages import ConfigError

ENV_PREFIX = "SOCWALL_"


def env_overrides(environ) -> dict[str, Any]:
    """SOCWALL_STORE__URL=... -> {'store.url': ...}: `__` separates the levels of a key path;
    a number is a list index (SOCWALL_PAGES__0__TITLE sets the first page's title).

    Values are read as YAML scalars (8080 is a number, true a boolean); variables without `__`
    (SOCWALL_CONFIG, SOCWALL_LOG_FORMAT) are settings of the command, not of the file.
    """
    found = {}
    for name, value in sorted(environ.items()):
        if name.startswith(ENV_PREFIX) and "__" in name:
            path = ".".join(part.lower() for part in name[len(ENV_PREFIX):].split("__"))
            try:
                found[path] = yaml.safe_load(value) if value.strip() else value
            except yaml.YAMLError:
                found[path] = value
    return found


def apply_env_overrides(raw: dict, overrides: dict[str, Any]) -> dict:
    """A copy of the YAML tree with each `a.b.c` path set; missing sections are created, list
    items are reached by index (`pages.0.title`), a missing item is an error naming the variable."""
    tree = copy.deepcopy(raw)
    problems = []
    for path, value in overrides.items():
        try:
            _set_path(tree, path.split("."), value)
        except LookupError as error:
            variable = ENV_PREFIX + "__".join(path.split(".")).upper()
            problems.append(f"{variable}: {error}")
    if problems:
        raise ConfigError(problems)
    return tree


def _set_path(node: Any, parts: list[str], value: Any) -> None:
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if isinstance(node, list):
            where = ".".join(parts[:depth]) or "(top)"
            if not part.isdigit() or int(part) >= len(node):
                raise LookupError(
                    f"{where} is a list of {len(node)}: its items are numbered 0 to {len(node) - 1}"
                    if node else f"{where} is an empty list: there is no item {part} to set"
                )
            if last:
                node[int(part)] = value
            elif not isinstance(node[int(part)], dict | list):
                node[int(part)] = {}
            node = node[int(part)]
        elif last:
            node[part] = value
        else:
            if not isinstance(node.get(part), dict | list):
                node[part] = {}
            node = node[part]
