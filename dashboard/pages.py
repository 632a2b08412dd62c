"""Plain server-made pages (refusals, signed out): a heading and a sentence, no script, no style."""

from html import escape

from flask import Response


def refused(status: int, message: str, headers: dict | None = None) -> Response:
    """A plain page that says why, readable on a wall across the room; no script, no style."""
    return plain_page(status, "Refused", message, headers=headers)


def plain_page(
    status: int,
    title: str,
    message: str,
    link: tuple[str, str] | None = None,
    headers: dict | None = None,
    links: list[tuple[str, str]] = (),
) -> Response:
    """A page with a heading, one sentence and maybe one local link or a list of them; no
    script, no style."""
    anchor = f'<p><a href="{escape(link[1])}">{escape(link[0])}</a></p>' if link else ""
    if links:
        items = "".join(f'<li><a href="{escape(href)}">{escape(text)}</a></li>'
                        for text, href in links)  # fmt: skip
        anchor += f"<ul>{items}</ul>"
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>socwall: {escape(title.lower())}</title></head>"
        f'<body><main class="refused"><h1>{escape(title)}</h1><p id="refused-reason">'
        f"{escape(message)}</p>{anchor}</main></body></html>"
    )
    response = Response(body, status=status, mimetype="text/html", headers=headers or {})
    response.headers["Cache-Control"] = "no-store"
    return response
