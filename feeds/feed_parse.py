"""Feed documents (RSS, Atom, RDF, JSON Feed) to plain-text entries, safely and exactly once.

- feedparser only ever gets a file-like object: given bytes or a string it may take them for a
  path or a URL and read that instead (a body "/dev/zero" would be read until memory runs out).
- A document that declares entities in its DTD is refused before parsing (defusedxml's rule;
  real feeds never do): no billion laughs, no quadratic blowup, no external entity.
- Every text field is capped; CVE ids are taken from the whole text first (title, summary and
  full content) so a long advisory is not cut before its CVE list.
- Text is decoded exactly once: HTML is stripped by one HTML parser pass (which decodes its
  entities); a plain-text field is text as it is.
- Dates in other forms than RFC 822 / ISO 8601 are read with dateutil; an entry without a date
  is marked undated; a date in the future is clamped to the time the feed was read.
"""

import io
import json
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from xml.etree import ElementTree

import feedparser
from dateutil import parser as dateparser

from socwall.text import one_line

TITLE_CHARS, SUMMARY_CHARS = 300, 2000
FAST_PATH_BYTES = 1 << 20  # a big plain RSS 2.0 document skips feedparser (5 s for 15,000 items)
CVE = re.compile(r"\bCVE-(\d{4})-(\d{4,7})\b", re.IGNORECASE)
ELEMENT_START = re.compile(rb"<[A-Za-z_]")
ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-f]+|[a-z]+);", re.IGNORECASE)  # RSS title with one: HTML


class FeedError(ValueError):
    """The document is not a feed socwall will read; the message says why, in words."""


def refuse_entities(data: bytes) -> None:
    """FeedError when the document's prolog declares entities (or it is not text at all)."""
    text = data
    # byte-order marks and the BOM-less signatures of XML 1.0 appendix F: in UTF-16/32 the
    # ASCII search below would see no '<!ENTITY' at all
    for start, encoding in ((b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe\x00\x00", "utf-32"),
                            (b"\xfe\xff", "utf-16"), (b"\xff\xfe", "utf-16"),
                            (b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
                            (b"\x00<", "utf-16-be"), (b"<\x00", "utf-16-le")):  # fmt: skip
        if data.startswith(start):
            text = data.decode(encoding, errors="replace").encode("utf-8")
            break
    found = ELEMENT_START.search(text)
    prolog = text[: found.start()] if found else text
    if b"<!ENTITY" in prolog:
        raise FeedError("declares XML entities (refused: entity expansion or external files)")


def find_cves(text: str) -> list[str]:
    """CVE ids in a text, normalized: 'cve-2024-3400' -> 'CVE-2024-3400'; distinct, in order."""
    seen = dict.fromkeys(f"CVE-{year}-{number}" for year, number in CVE.findall(text))
    return list(seen)


HTML_TAGS = frozenset("""a abbr acronym address area article aside audio b base bdi bdo big
blockquote body br button canvas caption center cite code col colgroup data dd del details dfn
dialog div dl dt em embed fieldset figcaption figure font footer form frame h1 h2 h3 h4 h5 h6
head header hr html i iframe img input ins kbd label legend li link main map mark meta nav
noscript object ol optgroup option output p param picture pre q rp rt ruby s samp script
section select small source span strike strong style sub summary sup svg table tbody td
template textarea tfoot th thead time title tr track tt u ul var video wbr""".split())


class _TextOnly(HTMLParser):
    """Collects the text of an HTML fragment; script and style contents are dropped. A tag that
    is no HTML element (`<use>`, `<T>` in an advisory title) is text the author meant."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in ("script", "style")
        if tag not in HTML_TAGS:
            self.handle_data(self.get_starttag_text() or "")
        elif tag in ("p", "br", "li", "div", "h1", "h2", "h3", "h4", "tr"):
            self.parts.append(" ")

    def handle_endtag(self, tag):
        self.hidden -= tag in ("script", "style") and self.hidden > 0
        if tag not in HTML_TAGS:
            self.handle_data(f"</{tag}>")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def plain_text(fragment: str | None, kind: str = "text/html") -> str:
    """A field as one line of plain text. HTML: tags stripped, its entities decoded once.
    Plain text (Atom type="text", JSON Feed content_text) is taken as it is."""
    if not fragment:
        return ""
    if ("html" not in kind and "xml" not in kind) or ("<" not in fragment and "&" not in fragment):
        return one_line(fragment)
    parser = _TextOnly()
    parser.feed(fragment)
    parser.close()
    return one_line("".join(parser.parts))  # after decoding: &#x202E; is removed too


def parse_date(item: dict, raw_keys=("published", "updated", "created")) -> datetime | None:
    """The entry's time: feedparser's parse, else dateutil on the raw text, else None."""
    for key in raw_keys:
        stamp = item.get(f"{key}_parsed")
        if stamp:
            return datetime(*stamp[:6], tzinfo=UTC)
    for key in raw_keys:
        text = item.get(key)
        if text:
            try:
                moment = _rfc822(text) or dateparser.parse(text, fuzzy=True)
            except (ValueError, OverflowError):
                continue
            return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return None


def _rfc822(text: str) -> datetime | None:
    """RFC 822 dates (most RSS) the fast way; None for anything else."""
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def entry_record(feed: str, ident: str, link: str, title: str, summary: str, full: str,
                 published: datetime | None, fetched_at: datetime) -> dict:  # fmt: skip
    """One stored entry: capped text, CVEs from the whole text, a date never in the future."""
    undated = published is None
    when = fetched_at if undated else min(published, fetched_at)
    return {
        "feed": feed,
        "id": ident[:500],
        "link": link[:500],
        "title": title[:TITLE_CHARS],
        "summary": summary[:SUMMARY_CHARS],
        "cves": find_cves(f"{title} {full}")[:200],
        "published": when.isoformat(),
        "undated": undated,
    }


def parse_feed(data: bytes, feed: str, content_type: str | None, fetched_at: datetime):
    """(entries, problem worth showing). FeedError when the document cannot be read."""
    if data[:64].lstrip(b" \t\r\n\xef\xbb\xbf")[:1] in (b"{", b"["):
        return parse_json_feed(data, feed, fetched_at), None
    refuse_entities(data)
    if len(data) >= FAST_PATH_BYTES:
        fast = parse_plain_rss2(data, feed, fetched_at)
        if fast is not None:
            return fast, None
    headers = {"content-type": content_type} if content_type else None
    parsed = feedparser.parse(io.BytesIO(data), response_headers=headers,
                              sanitize_html=False, resolve_relative_uris=False)  # fmt: skip
    if parsed.bozo and not parsed.entries:
        raise FeedError(f"not a readable feed: {_reason(parsed)}")
    if not parsed.entries and not parsed.get("version"):
        raise FeedError("not a feed: no RSS, Atom or JSON Feed document found")
    entries = [_entry(item, feed, fetched_at) for item in parsed.entries]
    problem = None
    if parsed.bozo:
        problem = f"ill-formed, {len(entries)} entries recovered: {_reason(parsed)}"
    return [e for e in entries if e["title"] or e["summary"]], problem


def _reason(parsed) -> str:
    return " ".join(str(parsed.get("bozo_exception", "unknown error")).split())[:160]


def _entry(item, feed: str, fetched_at: datetime) -> dict:
    contents = item.get("content") or []
    title_kind = (item.get("title_detail") or {}).get("type", "text/html")
    summary_detail = item.get("summary_detail") or {}
    summary = plain_text(item.get("summary"), summary_detail.get("type", "text/html"))
    full = " ".join(plain_text(c.get("value"), c.get("type", "text/html")) for c in contents)
    return entry_record(feed, item.get("id") or "", item.get("link") or "",
                        plain_text(item.get("title"), title_kind), summary or full[:SUMMARY_CHARS],
                        f"{summary} {full}", parse_date(item), fetched_at)  # fmt: skip


def parse_plain_rss2(data: bytes, feed: str, fetched_at: datetime) -> list[dict] | None:
    """A well-formed RSS 2.0 document without namespaces, read with the standard library's C
    parser: the same entries feedparser gives, ten times faster. None: let feedparser read it
    (namespaces, Atom, RDF, anything ill-formed). Entities were refused before this."""
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return None
    if root.tag != "rss" or any("}" in element.tag for element in root.iter()):
        return None
    entries = []
    for item in root.iter("item"):
        fields = {child.tag: (child.text or "") for child in item}
        raw_title = fields.get("title") or ""
        kind = "text/html" if ENTITY.search(raw_title) else "text/plain"
        title = plain_text(_unmojibake(raw_title), kind)
        summary = plain_text(_unmojibake(fields.get("description") or ""))
        published = parse_date({"published": fields.get("pubDate") or None,
                                "updated": fields.get("dc:date") or None})  # fmt: skip
        guid = _unmojibake(fields.get("guid", "").strip())
        entries.append(entry_record(feed, guid, fields.get("link", "").strip(), title,
                                    summary, summary, published, fetched_at))  # fmt: skip
    return [e for e in entries if e["title"] or e["summary"]]


def _unmojibake(text: str) -> str:
    """UTF-8 that was decoded as Latin-1 once too often ('JÃ¼ngerhans'), repaired as feedparser
    does; text that is not such a double encoding stays as it is."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def json_shape(document: object) -> str:
    """What a JSON document looks like, in words: 'a JSON list of 120 objects with keys title,
    link, published'."""
    if isinstance(document, list):
        objects = [item for item in document if isinstance(item, dict)]
        keys = list(dict.fromkeys(k for item in objects[:50] for k in item))
        shape = f"a JSON list of {len(document)} " + ("objects" if objects else "values")
        return shape + (f" with keys {', '.join(map(str, keys[:6]))}" if keys else "")
    if isinstance(document, dict):
        keys = ", ".join(map(str, list(document)[:6]))
        version = document.get("version")
        seen = f" and version {str(version)[:60]!r}" if version else ""
        return f"a JSON object with keys {keys or '(none)'}{seen}"
    return f"a JSON {type(document).__name__}"


def parse_json_feed(data: bytes, feed: str, fetched_at: datetime) -> list[dict]:
    """JSON Feed 1.x (https://jsonfeed.org/version/1 and 1.1) items as entries."""
    try:
        document = json.loads(data)
    except ValueError as error:
        raise FeedError(f"JSON but not a readable JSON Feed: {error}") from None
    version = str(document.get("version", "")) if isinstance(document, dict) else ""
    if "jsonfeed.org/version/1" not in version:
        raise FeedError(f"{json_shape(document)}: not a feed; JSON Feed 1.1 expected")
    entries = []
    for item in document.get("items") or []:
        if not isinstance(item, dict):
            continue
        html_text = plain_text(item.get("content_html"))
        text = plain_text(item.get("content_text"), "text/plain") or html_text
        summary = plain_text(item.get("summary"), "text/plain") or text[:SUMMARY_CHARS]
        published = parse_date({"published": item.get("date_published"),
                                "updated": item.get("date_modified")})  # fmt: skip
        entries.append(entry_record(feed, str(item.get("id") or ""), item.get("url") or "",
                                    plain_text(item.get("title"), "text/plain"), summary,
                                    f"{summary} {text}", published, fetched_at))  # fmt: skip
    return [e for e in entries if e["title"] or e["summary"]]
