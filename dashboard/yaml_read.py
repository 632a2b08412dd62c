"""Reading config YAML safely: UTF-8 only, duplicate keys refused, size and nodes bounded."""

from typing import Any

import yaml
from yaml.reader import Reader

from socwall.dashboard.yaml_hints import hint

try:
    from yaml import CSafeLoader
except ImportError:  # PyYAML built without libyaml: every file takes the Python parser
    CSafeLoader = None

# The demo config is 14 KB and 1,339 nodes. The limits apply before parsing goes far: PyYAML
# composes about 40,000 nodes a second, so a 10 MB list would take minutes and gigabytes.
MAX_BYTES = 1 << 20
MAX_NODES = 50_000  # nodes written in the file, counted while it is parsed
MAX_EXPANDED = 200_000  # nodes once every alias is copied out; an alias bomb has billions


class RefuseDuplicates:
    """A loader's constructor that refuses a key given twice in one mapping, naming both lines."""

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, int] = {}
        for at, (key_node, _) in enumerate(node.value):
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *base` merges; keys given beside it override on purpose
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if isinstance(key, str | int | float | bool) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None,
                    f"duplicate key {key!r} on line {line} (first on line {seen[key]}); "
                    f"the later one would silently win{_empty_before(node.value, at)}",
                    key_node.start_mark,
                )  # fmt: skip
            seen.setdefault(key, line)
        return super().construct_mapping(node, deep=deep)


class DuplicateKeyLoader(RefuseDuplicates, yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and stops composing once the file holds more than
    MAX_NODES nodes."""

    nodes = 0

    def compose_node(self, parent, index):
        self.nodes += 1
        if self.nodes > MAX_NODES:
            line = self.peek_event().start_mark.line + 1
            raise TooLarge(
                f"more than {MAX_NODES:,} YAML nodes by line {line:,}, over the limit of "
                f"{MAX_NODES:,} for a config file; keep long lists in files that a source reads"
            )
        return super().compose_node(parent, index)


if CSafeLoader is not None:

    class FastLoader(RefuseDuplicates, CSafeLoader):
        """libyaml's parser (ten times PyYAML's) with the same constructor and resolver."""


def _empty_before(pairs: list, at: int) -> str:
    """`netflow:` with nothing under it just before the duplicate: its block lost its indent."""
    if at == 0:
        return ""
    key, value = pairs[at - 1]
    if value.tag == "tag:yaml.org,2002:null" and value.value == "":
        return (
            f"; '{key.value}:' on line {key.start_mark.line + 1} has no value: are the lines "
            "after it indented under it?"
        )
    return ""


class YamlError(ValueError):
    """The file is not usable YAML; the message says why in one line."""


class TooLarge(yaml.YAMLError):
    """Raised while composing: the file has more nodes than a config should."""


def read_yaml(data: bytes, name: str) -> Any:
    """The YAML tree of `data`; raise YamlError for bad encoding, bad YAML, duplicates, bombs."""
    if len(data) > MAX_BYTES:
        raise YamlError(
            f"{name}: {len(data):,} bytes, over the limit of {MAX_BYTES:,} bytes (1 MiB) for a "
            "config file; keep long lists in files that a source reads"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise YamlError(
            f"{name}: not UTF-8: byte 0x{data[error.start]:02x} on line {line}; "
            "save the file as UTF-8"
        ) from error
    fast = _read_fast(text)
    if fast is not SLOW:
        return fast
    loader = DuplicateKeyLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = _expanded_size(node, {})
        if size > MAX_EXPANDED:
            raise YamlError(
                f"{name}: YAML aliases expand to {size:,} nodes, over the limit of "
                f"{MAX_EXPANDED:,}; is this an alias bomb?"
            )
        return loader.construct_document(node)
    except TooLarge as error:
        raise YamlError(f"{name}: {error}") from error
    except yaml.MarkedYAMLError as error:
        said, where = hint(error, text), _one_line(error)
        if said and error.problem_mark is not None:
            mark = error.problem_mark
            where = f"{said} (the parser stopped on line {mark.line + 1}, column "
            where += f"{mark.column + 1}: {error.problem})"
        raise YamlError(f"{name}: not valid YAML: {where}") from error
    except yaml.YAMLError as error:
        raise YamlError(f"{name}: not valid YAML: {error}") from error
    finally:
        loader.dispose()


SLOW = object()  # _read_fast's answer when only the Python parser's words will do


def _read_fast(text: str) -> Any:
    """The tree of a sound file, read by libyaml; SLOW for a file that needs the Python parser:
    one with a problem (its message is the Python parser's), a character PyYAML refuses and
    libyaml may not, too many nodes, or no libyaml. A node takes 2 characters at least, so a
    longer file may be over the node limit: the Python parser counts and stops early."""
    if CSafeLoader is None or len(text) > 2 * MAX_NODES:
        return SLOW
    if Reader.NON_PRINTABLE.search(text) or "\ufeff" in text:
        return SLOW
    loader = FastLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _written(node, set()) > MAX_NODES or _expanded_size(node, {}) > MAX_EXPANDED:
            return SLOW
        return loader.construct_document(node)
    except Exception:  # whatever it is, the Python parser says it as it always has
        return SLOW
    finally:
        loader.dispose()


def _written(node, seen: set[int]) -> int:
    """Nodes as the Python loader counts them: an alias once, where it is written."""
    if id(node) in seen:
        return 1
    seen.add(id(node))
    if isinstance(node, yaml.SequenceNode):
        return 1 + sum(_written(child, seen) for child in node.value)
    if isinstance(node, yaml.MappingNode):
        return 1 + sum(_written(k, seen) + _written(v, seen) for k, v in node.value)
    return 1


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
