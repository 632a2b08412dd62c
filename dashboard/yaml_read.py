"""Reading config YAML safely: UTF-8 only, duplicate keys refused, alias expansion bounded."""

from typing import Any

import yaml

MAX_NODES = 200_000  # a real wall config has a few thousand; an alias bomb has billions


class DuplicateKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping, naming both lines."""

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *base` merges; keys given beside it override on purpose
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if isinstance(key, str | int | float | bool) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None,
                    f"duplicate key {key!r} on line {line} (first on line {seen[key]}); "
                    "the later one would silently win",
                    key_node.start_mark,
                )  # fmt: skip
            seen.setdefault(key, line)
        return super().construct_mapping(node, deep=deep)


class YamlError(ValueError):
    """The file is not usable YAML; the message says why in one line."""


def read_yaml(data: bytes, name: str) -> Any:
    """The YAML tree of `data`; raise YamlError for bad encoding, bad YAML, duplicates, bombs."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise YamlError(
            f"{name}: not UTF-8: byte 0x{data[error.start]:02x} on line {line}; "
            "save the file as UTF-8"
        ) from error
    loader = DuplicateKeyLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = _expanded_size(node, {})
        if size > MAX_NODES:
            raise YamlError(
                f"{name}: YAML aliases expand to {size:,} nodes (limit {MAX_NODES:,}); "
                "is this an alias bomb?"
            )
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        raise YamlError(f"{name}: not valid YAML: {_one_line(error)}") from error
    except yaml.YAMLError as error:
        raise YamlError(f"{name}: not valid YAML: {error}") from error
    finally:
        loader.dispose()


def _one_line(error: yaml.MarkedYAMLError) -> str:
    """PyYAML's message without its multi-line source excerpt: problem, line, context."""
    text = error.problem or error.context or "unreadable"
    if error.problem_mark is not None and " on line " not in text:
        text += f" on line {error.problem_mark.line + 1}, column {error.problem_mark.column + 1}"
    if error.problem and error.context and error.context_mark is not None:
        text += f" ({error.context} on line {error.context_mark.line + 1})"
    return text


def _expanded_size(node, sizes: dict[int, int]) -> int:
    """Nodes the tree would have with every alias copied out, without copying anything."""
    if id(node) in sizes:
        return sizes[id(node)]
    sizes[id(node)] = 1  # a recursive alias counts once instead of looping
    if isinstance(node, yaml.SequenceNode):
        total = 1 + sum(_expanded_size(child, sizes) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        total = 1 + sum(
            _expanded_size(k, sizes) + _expanded_size(v, sizes) for k, v in node.value
        )
    else:
        total = 1
    sizes[id(node)] = total
    return total
