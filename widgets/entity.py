"""Identifiers on the wall: whole (they wrap, never get cut); at the desk, links to the evidence.

Every host, address, user name and CVE id a widget shows goes through `entity`: on a wall it is
plain text; at the desk, with a URL template configured for its kind (`links: {host: ...}`), it
is a link to where the evidence lives (the SIEM, NVD). Rows that open the side drawer go through
`drawer_row`: focusable and announced as a button at the desk, inert on a kiosk.
"""

import re
import string
from urllib.parse import quote

from socwall.widgets.components import html
from socwall.widgets.context import View

KINDS = {"host": ("ip", "host"), "user": ("user",), "cve": ("cve",)}  # kind -> its placeholders


def link_for(view: View, kind: str, **values: str) -> str | None:
    """The configured URL for this entity, its values URL-quoted; None when no template is
    set for the kind or the template needs a value this entity does not have."""
    template = (view.links or {}).get(kind)
    if not template:
        return None
    wanted = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    if not wanted <= {k for k, v in values.items() if v}:
        return None
    return template.format(**{k: quote(str(v), safe="") for k, v in values.items() if v})


def entity(text: str, kind: str, view: View, class_name: str = "", **values: str):
    """An identifier that is never cut: a link at the desk when a template exists, else text."""
    classes = f"ident {class_name}".strip()
    url = link_for(view, kind, **(values or {KINDS[kind][0]: text}))
    if url is None:
        return html.Span(text, className=classes)
    return html.A(text, href=url, target="_blank", rel="noopener noreferrer",
                  className=f"{classes} entity", title=f"open {text} in {kind} search")  # fmt: skip


def drawer_row(view: View, row: str, label: str) -> dict:
    """Attributes that make a row open the side drawer at the desk (click, Enter or Space);
    none on a kiosk, where nobody clicks."""
    if not view.desk:
        return {}
    return {"tabIndex": "0", "role": "button", "data-row": row, "aria-label": label,
            "aria-haspopup": "dialog"}  # fmt: skip


IDENTIFIER = re.compile(r"\b[A-Z]+-\d+\b|CVE-\d{4}-\d{4,}|\b(?:\d{1,3}\.){3}\d{1,3}\b")


def marked(text: str) -> list:
    """Words with the ticket ids, CVE ids and addresses in them kept whole on one line
    ("in maintenance, CHG-1042, 36 min left" never breaks inside CHG-1042)."""
    parts, at = [], 0
    for match in IDENTIFIER.finditer(text):
        parts += [text[at:match.start()]] if match.start() > at else []
        parts.append(html.Span(match.group(), className="ident ticket"))
        at = match.end()
    return parts + ([text[at:]] if at < len(text) else [])
