"""gunicorn's own error pages (400, 414, 431, ... for requests it cannot parse) carry the
wall's security headers too: they never reach Flask, so its after_request cannot add them.

gunicorn writes them with `gunicorn.util.write_error(sock, status, reason, message)`, looked
up at call time; this module puts a version with the headers in its place, in the worker
process that builds the app (tests/dashboard/test_http_security.py checks it on a real serve).
"""

import html

from gunicorn import util

HEADERS: dict[str, str] = {}


def add_headers(headers: dict[str, str]) -> None:
    """From now on gunicorn's error pages in this process carry `headers`."""
    HEADERS.clear()
    HEADERS.update(headers, **{"Cache-Control": "no-store"})
    util.write_error = write_error


def write_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn.util.write_error, plus HEADERS; the page is plain text in a heading."""
    page = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(reason)}'
        f"</title></head><body><h1>{html.escape(reason)}</h1><p>{html.escape(mesg)}</p>"
        "</body></html>"
    ).encode()
    lines = [f"HTTP/1.1 {status_int} {reason}", "Connection: close",
             "Content-Type: text/html; charset=utf-8", f"Content-Length: {len(page)}",
             *(f"{name}: {value}" for name, value in HEADERS.items())]  # fmt: skip
    util.write_nonblock(sock, "\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + page)
