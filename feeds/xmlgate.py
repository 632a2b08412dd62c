"""A gate before any XML parser: documents that declare entities are refused (defusedxml's
rule, forbid_entities). Real feeds never declare entities; bombs and external-file tricks do."""

import re

# The encodings an XML document can start in without an encoding declaration (XML 1.0 App. F).
_BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"),
    (b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"), (b"<\x00?\x00", "utf-16-le"),
)  # fmt: skip
_ENTITY = re.compile(r"<!ENTITY\b")
_ROOT = re.compile(r"<[A-Za-z_:]")


class UnsafeXML(ValueError):
    """The document declares entities; it is refused before any parser sees it."""


def _prolog_text(data: bytes) -> str:
    """The document as text, good enough to read its prolog (markup is ASCII in any of these)."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    return data.decode("latin-1")


def check(data: bytes) -> None:
    """Raise UnsafeXML when the document declares an entity before its root element."""
    wide = any(data.startswith(bom) for bom, _ in _BOMS)
    if not wide and b"<!ENTITY" not in data:
        return  # fast path for single-byte and UTF-8 documents
    text = _prolog_text(data)
    entity = _ENTITY.search(text)
    if entity is None:
        return
    root = _ROOT.search(text)
    if root is None or entity.start() < root.start():
        raise UnsafeXML("refused: the document declares XML entities (never in real feeds)")
