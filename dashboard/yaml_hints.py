"""Why a config file is not valid YAML, in words: wrong indentation, tabs, unquoted ${VAR}.

PyYAML reports where its parser stopped, which is often a line or more after the mistake
(a key indented one space off is read as part of the block before it). These hints look at
the text itself to name the line that is off.
"""

import re
from dataclasses import dataclass

import yaml

_BLOCK_SCALAR = re.compile(r"(^|:|^-)\s*[|>][+-]?\d*[+-]?$")  # `key: |` or `- >-`
_KEY = re.compile(r"""^(-\s+)?("[^"]*"|'[^']*'|[^\s#'"][^#]*?)\s*:(\s|$)""")


@dataclass(frozen=True)
class Line:
    number: int  # from 1
    indent: int
    body: str  # without the indentation and without a trailing comment


def hint(error: yaml.MarkedYAMLError, text: str) -> str | None:
    """A sentence that says what is wrong, or None when no hint applies."""
    mark = error.problem_mark
    if mark is None or isinstance(error, yaml.constructor.ConstructorError):
        return None  # constructor errors (duplicate keys) say what is wrong themselves
    if error.problem and "'\\t'" in error.problem:
        return f"line {mark.line + 1} is indented with a tab: YAML indents with spaces only"
    unquoted = _unquoted_variable(text, mark.index)
    if unquoted:
        return (
            f"{unquoted} on line {mark.line + 1} must be quoted inside {{...}} or [...], where "
            f'braces have a meaning: write "{unquoted}"'
        )
    return _indentation(text, mark.line + 1) or _missing_colon(error, text, mark.line + 1)


def _unquoted_variable(text: str, index: int) -> str | None:
    """`${VAR}` at the parser's stop, which happens when it sits unquoted in a flow collection."""
    if index > 0 and text[index - 1 : index + 1] == "${":
        found = re.match(r"\$\{[^}\s]*\}?", text[index - 1 :])
        return found.group(0) if found else None
    return None


@dataclass
class Level:
    """A block's indentation, the lines it spans so far and what it holds."""

    indent: int
    first: int
    last: int
    kind: str  # "key", "item", or "both" for a list at its key's indentation (`key:` / `- a`)

    def where(self) -> str:
        if self.first == self.last:
            return f"{_spaces(self.indent)} on line {self.last}"
        return f"{_spaces(self.indent)} on lines {self.first}-{self.last}"


def _indentation(text: str, stop: int) -> str | None:
    """The first line up to `stop` whose indentation matches none of the blocks it is in."""
    levels: list[Level] = []  # outermost first
    opens = True  # the line before ends a key with no value: a deeper block may follow
    for line in _content_lines(text):
        if line.number > stop:
            break
        kind = "item" if line.body == "-" or line.body.startswith("- ") else "key"
        if levels and line.indent > levels[-1].indent:
            if not opens:
                if kind == "item" or _KEY.match(line.body):
                    return _deeper(line, levels[-1])
                continue  # a plain value continued on the next line
            levels.append(Level(line.indent, line.number, line.number, kind))
        elif levels:
            inner = levels[-1]
            while levels and levels[-1].indent > line.indent:
                inner = levels.pop()
            if not levels:
                return (
                    f"line {inner.first} is indented {_spaces(inner.indent)}, but top-level "
                    f"keys start at the beginning of the line (as on line {line.number})"
                )
            level = levels[-1]
            if level.indent != line.indent:
                return _between(line, level, inner)
            if opens and kind == "item" and level.kind == "key" and level.last == line.number - 1:
                level.kind = "both"
            elif level.kind not in (kind, "both"):
                return _mixed(line, level, inner)
            level.last = line.number
        else:
            levels.append(Level(line.indent, line.number, line.number, kind))
        item = re.match(r"-(\s+)(?=\S)", line.body)
        if item and _KEY.match(line.body):  # `- key: value`: the item's keys line up with `key`
            at = line.indent + 1 + len(item.group(1))
            levels.append(Level(at, line.number, line.number, "key"))
        opens = line.body.endswith(":") or line.body == "-" or bool(_BLOCK_SCALAR.search(line.body))
    return None


def _deeper(line: Line, above: Level) -> str:
    return (
        f"line {line.number} is indented {_spaces(line.indent)}, deeper than line {above.last}, "
        f"which already has its value: line {_first_word(line)} up with the keys it belongs "
        f"with ({_spaces(above.indent)}); YAML nests by indentation"
    )


def _between(line: Line, outer: Level, inner: Level) -> str:
    return (
        f"line {line.number} is indented {_spaces(line.indent)}, between the blocks around it "
        f"({_spaces(outer.indent)} on line {outer.last}, {inner.where()}): line "
        f"{_first_word(line)} up with the keys it "
        "belongs with; YAML nests by indentation"
    )


def _mixed(line: Line, level: Level, inner: Level) -> str:
    holds, other = ("list items", "a key") if level.kind == "item" else ("keys", "a list item")
    return (
        f"line {line.number} is {other} indented {_spaces(line.indent)}, where the lines above "
        f"hold {holds} ({level.where()}; {inner.where()}): line it up with the block it belongs "
        "to; YAML nests by indentation"
    )


def _missing_colon(error: yaml.MarkedYAMLError, text: str, stop: int) -> str | None:
    """`port 8050` above `poll: 10s`: read as one key spanning both lines."""
    if error.problem != "mapping values are not allowed here":
        return None
    before = [line for line in _content_lines(text) if line.number < stop]
    if before and not _KEY.match(before[-1].body) and not before[-1].body.startswith("-"):
        return f"line {before[-1].number} ({before[-1].body!r}) has no ':' after its key"
    return None


def _content_lines(text: str):
    """Lines that carry keys or items: no blanks, comments, block scalars' text or flow rests."""
    scalar_above: int | None = None  # a block scalar's text is deeper than its key
    depth = 0  # open [ and { of a flow collection spanning lines
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        indent = len(raw) - len(raw.lstrip(" "))
        if scalar_above is not None and (not stripped or indent > scalar_above):
            continue
        scalar_above = None
        if not stripped or stripped.startswith("#"):
            continue
        body = _without_comment(stripped)
        if depth == 0 and not raw.startswith("\t"):
            yield Line(number, indent, body)
        depth = max(0, depth + _flow_balance(body))
        if _BLOCK_SCALAR.search(body):
            scalar_above = indent


def _without_comment(body: str) -> str:
    quote = None
    for i, char in enumerate(body):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and i > 0 and body[i - 1] in " \t":
            return body[:i].rstrip()
    return body


def _flow_balance(body: str) -> int:
    unquoted = re.sub(r""""[^"]*"|'[^']*'""", "", body)
    return unquoted.count("[") + unquoted.count("{") - unquoted.count("]") - unquoted.count("}")


def _spaces(count: int) -> str:
    return f"{count} space" + ("" if count == 1 else "s")


def _first_word(line: Line) -> str:
    if line.body.startswith("-"):
        return "the item"
    key = _KEY.match(line.body)
    return f"'{key.group(2)}:'" if key else "it"
