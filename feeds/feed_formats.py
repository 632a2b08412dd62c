"""Feed documents to raw entries: a fast ElementTree reader for well-formed RSS 2.0 and Atom,
a JSON Feed 1.x reader, and feedparser (given a file object) for everything else.

A raw entry holds each text field once decoded from its format, with a flag saying whether it
is HTML (to be stripped once) or plain text (to be kept as is), and its date as written.
"""

import io
import json
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import feedparser
from socwall.feeds import xmlgate

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
DC_DATE = "{http://purl.org/dc/elements/1.1/}date"


@dataclass
class RawEntry:
    """One entry as the document wrote it; `*_html` says whether a text is markup."""

    id: str = ""
    link: str = ""
    title: str = ""
    title_html: bool = False
    summary: str = ""
    summary_html: bool = True
    content: str = ""
    content_html: bool = True
    date: str | None = None
    parsed_date: time.struct_time | None = None


@dataclass
class Document:
    format: str
    entries: list[RawEntry]
    problem: str | None = None  # ill-formed but readable


def read_document(data: bytes, content_type: str | None = None) -> Document:
    """The entries of a feed document in any supported format; ValueError names what it saw."""
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        return read_json_feed(data)
    xmlgate.check(data)
    charset = _charset(content_type)
    if charset in (None, "utf-8", "utf8", "us-ascii"):
        try:
            return _read_etree(data)
        except (ET.ParseError, _NotSimple):
            pass  # ill-formed, unusual encoding or another format: feedparser decides
    return _read_feedparser(data, content_type)


def _charset(content_type: str | None) -> str | None:
    for part in (content_type or "").split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip("\"'").lower()
    return None


class _NotSimple(Exception):
    """The document is not plain RSS 2.0 or Atom 1.0."""


def _text(element: ET.Element | None) -> str:
    return "".join(element.itertext()) if element is not None else ""


def _read_etree(data: bytes) -> Document:
    root = ET.fromstring(data)
    if root.tag == "rss" and root.get("version", "").startswith("2"):
        channel = root.find("channel")
        items = channel.findall("item") if channel is not None else []
        return Document("rss20", [_rss_item(item) for item in items])
    if root.tag == f"{ATOM}feed":
        return Document("atom10", [_atom_entry(e) for e in root.findall(f"{ATOM}entry")])
    raise _NotSimple(root.tag)


def _rss_item(item: ET.Element) -> RawEntry:
    guid, link = _text(item.find("guid")).strip(), _text(item.find("link")).strip()
    date = item.findtext("pubDate") or item.findtext(DC_DATE)
    return RawEntry(
        id=guid, link=link, title=_text(item.find("title")), title_html=False,
        summary=_text(item.find("description")), content=_text(item.find(CONTENT)),
        date=date.strip() if date else None,
    )  # fmt: skip


def _atom_text(element: ET.Element | None) -> tuple[str, bool]:
    """An Atom text construct: xhtml is markup already parsed, html is escaped markup."""
    if element is None:
        return "", False
    kind = element.get("type", "text")
    if kind == "xhtml":
        return ET.tostring(element, encoding="unicode", method="html"), True
    return _text(element), kind == "html" or kind.endswith("html")


def _atom_entry(entry: ET.Element) -> RawEntry:
    links = entry.findall(f"{ATOM}link")
    alternate = [li for li in links if li.get("rel", "alternate") == "alternate"] or links
    title, title_html = _atom_text(entry.find(f"{ATOM}title"))
    summary, summary_html = _atom_text(entry.find(f"{ATOM}summary"))
    content, content_html = _atom_text(entry.find(f"{ATOM}content"))
    date = entry.findtext(f"{ATOM}published") or entry.findtext(f"{ATOM}updated")
    return RawEntry(
        id=_text(entry.find(f"{ATOM}id")).strip(),
        link=alternate[0].get("href", "") if alternate else "",
        title=title, title_html=title_html, summary=summary, summary_html=summary_html,
        content=content, content_html=content_html, date=date.strip() if date else None,
    )  # fmt: skip


def read_json_feed(data: bytes) -> Document:
    """A JSON Feed 1.x document (https://jsonfeed.org/version/1.1)."""
    try:
        document = json.loads(data)
    except ValueError as error:
        raise ValueError(f"JSON but not readable: {error}") from None
    version = document.get("version", "") if isinstance(document, dict) else ""
    if not str(version).startswith("https://jsonfeed.org/version/1"):
        raise ValueError("a JSON document, not a JSON Feed 1.x (no jsonfeed.org 'version')")
    items = document.get("items")
    if not isinstance(items, list):
        raise ValueError("a JSON Feed without an 'items' list")
    return Document("jsonfeed1", [_json_item(i) for i in items if isinstance(i, dict)])


def _json_item(item: dict) -> RawEntry:
    html_body, text_body = item.get("content_html"), item.get("content_text")
    return RawEntry(
        id=str(item.get("id") or ""), link=str(item.get("url") or ""),
        title=str(item.get("title") or ""), title_html=False,
        summary=str(item.get("summary") or ""), summary_html=False,
        content=str(html_body if html_body is not None else text_body or ""),
        content_html=html_body is not None,
        date=str(item.get("date_published") or item.get("date_modified") or "") or None,
    )  # fmt: skip


def _read_feedparser(data: bytes, content_type: str | None) -> Document:
    headers = {"content-type": content_type} if content_type else None
    # a file object: given bytes or str, feedparser may take them for a path or a URL
    parsed = feedparser.parse(io.BytesIO(data), response_headers=headers)
    reason = " ".join(str(parsed.get("bozo_exception", "unknown error")).split())[:160]
    if parsed.bozo and not parsed.entries:
        raise ValueError(f"not a readable feed ({_sniff(data)}): {reason}")
    if not parsed.entries and not parsed.get("version"):
        raise ValueError(f"not a feed: no RSS, Atom or JSON Feed document found ({_sniff(data)})")
    problem = None
    if parsed.bozo:
        problem = f"ill-formed, {len(parsed.entries)} entries recovered: {reason}"
    return Document(parsed.get("version") or "unknown", [_fp_entry(e) for e in parsed.entries],
                    problem)  # fmt: skip


def _fp_entry(item) -> RawEntry:
    def field(name):
        detail = item.get(f"{name}_detail") or {}
        return item.get(name) or "", "html" in (detail.get("type") or "text/html")

    title, title_html = field("title")
    summary, summary_html = field("summary")
    content = (item.get("content") or [{}])[0]
    return RawEntry(
        id=item.get("id") or "", link=item.get("link") or "", title=title, title_html=title_html,
        summary=summary, summary_html=summary_html, content=content.get("value") or "",
        content_html="html" in (content.get("type") or "text/html"),
        date=item.get("published") or item.get("updated"),
        parsed_date=item.get("published_parsed") or item.get("updated_parsed"),
    )  # fmt: skip


def _sniff(data: bytes) -> str:
    """What the document looks like, in words, for an error message."""
    start = data.lstrip()[:200].lower()
    if start.startswith(b"<!doctype html") or b"<html" in start:
        return "saw an HTML page"
    if start.startswith(b"<"):
        return "saw XML of an unknown kind"
    if not start:
        return "saw an empty body"
    return f"saw {start[:40]!r}"
