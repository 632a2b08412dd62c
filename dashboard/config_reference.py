"""The configuration reference (docs/config-reference.md), written from the config's JSON Schema.

One declaration per key (its pydantic field: type, default, description) feeds validation, the
JSON Schema for editors and this page, so the page cannot drift from the code.
"""

import json
from typing import Any

from socwall.dashboard.config import WallConfig

HEADER = """# Configuration reference

Every key of `config.yaml`, written from the schema that validates it (`socwall schema
--markdown`; a test checks that this page is up to date). Durations are written `30s`, `5m`,
`1h`, `2d`, `1w`; any string may take `${VAR}` from the environment. See
[Configuration](configuration.md) for how the file is read and checked.
"""


# Keys that many sections share, said once here rather than on each model.
SHARED_MEANING = {
    "type": "which kind of source this is",
    "refresh": "how often its job runs",
    "bucket": "the size of the per-bucket sums kept in the store",
    "timeout": "a fetch or query that takes longer fails (and backs off)",
    "format": "`auto` tells it from the content",
    "id": "unique; used in paths and store keys",
    "title": "shown as the heading",
    "widget": "which widget draws the panel",
    "source": "the source it reads (by name)",
    "inventory": "the inventory CSV (see Widgets: the inventory)",
    "metrics": "the metrics it declares, by name",
    "internal": "our networks (default: the private ranges)",
    "exclude": "hosts or CIDRs to leave out",
    "service_ports": "ports that mark the server side of a flow",
}


def config_reference() -> str:
    """The whole reference page as Markdown."""
    schema = WallConfig.model_json_schema()
    defs = schema["$defs"]
    parts = [HEADER, _section("Top level", "", schema, defs, skip_objects=True)]
    for key in ("store", "web", "scheduler", "logging", "visitor"):
        model = _target(schema["properties"][key], defs)
        parts.append(_section(f"`{key}`", f"{key}.", model, defs))
    access = defs["AccessConfig"]
    parts.append(_section("`access`", "access.", access, defs, skip_objects=True))
    for key in ("basic", "oidc", "proxy_header", "guesses"):
        model = _target(access["properties"][key], defs)
        parts.append(_section(f"`access.{key}`", f"access.{key}.", model, defs))
    parts.append(_section("`screens.NAME`", "screens.NAME.", defs["ScreenConfig"], defs))
    page = defs["PageConfig"]
    parts.append(_section("`pages[]`", "pages[].", page, defs, skip_objects=True))
    parts.append(_section("`pages[].grid`", "pages[].grid.", defs["GridConfig"], defs))
    parts.append(_panels(page, defs))
    parts.append(_sources(schema, defs))
    return "\n".join(parts).rstrip() + "\n"


def _panels(page: dict, defs: dict) -> str:
    union = page["properties"]["panels"]["items"]
    lines = ["## `pages[].panels[]`", "",
             "Every panel has these keys; `options` depends on its `widget`.", ""]  # fmt: skip
    first = _ref(union["oneOf"][0], defs)
    common = {k: v for k, v in first["properties"].items() if k != "options"}
    lines += _table("pages[].panels[].", {"properties": common,
                                          "required": first.get("required", [])}, defs)  # fmt: skip
    for name, ref in sorted(union["discriminator"]["mapping"].items()):
        options = _target(_ref({"$ref": ref}, defs)["properties"]["options"], defs)
        lines += ["", f"### widget `{name}`: `options`", ""]
        lines += _table("options.", options, defs) if options.get("properties") else ["No options."]
    return "\n".join(lines) + "\n"


def _sources(schema: dict, defs: dict) -> str:
    union = next(iter(schema["properties"]["sources"]["patternProperties"].values()))
    lines = ["## `sources.NAME`", "",
             "A source is chosen by its `type`; each type has its own keys.", ""]  # fmt: skip
    for name, ref in sorted(union["discriminator"]["mapping"].items()):
        lines += [f"### type `{name}`", ""]
        lines += _table("sources.NAME.", _ref({"$ref": ref}, defs), defs) + [""]
    return "\n".join(lines)


def _section(title: str, prefix: str, model: dict, defs: dict, skip_objects=False) -> str:
    properties = model.get("properties", {})
    if skip_objects:
        properties = {k: v for k, v in properties.items() if not _is_section(v, defs)}
    body = _table(prefix, {**model, "properties": properties}, defs)
    return "\n".join([f"## {title}", "", *body, ""])


def _is_section(field: dict, defs: dict) -> bool:
    target = _target(field, defs)
    return "properties" in target or field.get("type") == "array" and "items" in field and (
        "$ref" in field["items"] or "oneOf" in field["items"])


def _table(prefix: str, model: dict, defs: dict) -> list[str]:
    required = set(model.get("required", []))
    rows = ["| key | type | default | meaning |", "| --- | --- | --- | --- |"]
    for key, field in model.get("properties", {}).items():
        default = "required" if key in required else _default(field)
        meaning = field.get("description", SHARED_MEANING.get(key, ""))
        meaning = meaning.replace("|", "\\|").replace("\n", " ")
        rows.append(f"| `{prefix}{key}` | {_type(field, defs)} | {default} | {meaning} |")
    return rows


def _default(field: dict) -> str:
    if "default" not in field:
        return ""
    value = field["default"]
    return "none" if value is None else f"`{json.dumps(value)}`".replace("|", "\\|")


def _type(field: dict, defs: dict) -> str:
    if "anyOf" in field:
        kinds = [_type(option, defs) for option in field["anyOf"] if option.get("type") != "null"]
        return " or ".join(dict.fromkeys(kinds))
    if "$ref" in field:
        return "mapping"
    if "enum" in field:
        return " \\| ".join(f"`{v}`" for v in field["enum"])
    if "const" in field:
        return f"`{field['const']}`"
    if field.get("pattern") == r"^\d+[smhdw]$":
        return "duration"
    kind = field.get("type", "any")
    if kind == "array":
        return f"list of {_type(field.get('items', {}), defs)}"
    if kind == "object":
        return "mapping"
    return {"string": "text", "integer": "integer", "number": "number",
            "boolean": "true/false"}.get(kind, kind)  # fmt: skip


def _ref(field: dict, defs: dict) -> dict:
    return defs[field["$ref"].rsplit("/", 1)[1]] if "$ref" in field else field


def _target(field: dict, defs: dict) -> dict[str, Any]:
    """The model a field holds: its $ref, or the non-null member of `X | None`."""
    for option in field.get("anyOf", [field]):
        if "$ref" in option:
            return _ref(option, defs)
    return field
