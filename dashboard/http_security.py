"""What every response carries (a Content-Security-Policy Dash works with, nosniff, no referrer,
who may frame the wall) and what a request may be: a bounded body, and for Dash callbacks a
body that arrives in time (body_deadline) and a server callback this app registered, about
panels it has, in the shape the renderer sends (callback_check). Client input gets a 4xx,
never a 500.
"""

import logging

from dash import Dash
from dash.exceptions import DependencyException
from flask import Response, request

from socwall.dashboard import gunicorn_errors
from socwall.dashboard.callback_check import CALLBACK_PATH, refuse_malformed
from socwall.dashboard.pages import refused

log = logging.getLogger(__name__)


def content_security_policy(app: Dash, frame_ancestors: list[str]) -> str:
    """Scripts only from this origin plus Dash's own inline script by hash; no eval. Styles
    allow 'unsafe-inline': plotly.js adds <style> elements at run time (checked in Chromium)."""
    hashes = " ".join(app.csp_hashes())  # each already quoted: 'sha256-...'
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' {hashes}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        f"frame-ancestors {' '.join(frame_ancestors)}",
    ])  # fmt: skip


def security_headers(app: Dash, frame_ancestors: list[str]) -> dict[str, str]:
    """The headers every response of the wall carries."""
    headers = {
        "Content-Security-Policy": content_security_policy(app, frame_ancestors),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if frame_ancestors == ["'none'"]:
        headers["X-Frame-Options"] = "DENY"  # for browsers without CSP level 2
    return headers


def install(app: Dash, frame_ancestors: list[str], max_request_bytes: int, panel_ids) -> None:
    """Security headers on every response, gunicorn's own error pages included; a body
    deadline, size and shape checks on every request. Call after every callback is registered
    (the CSP hashes Dash's inline scripts) and after access.protect (401 comes first)."""
    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = max_request_bytes
    headers = security_headers(app, frame_ancestors)
    gunicorn_errors.add_headers(headers)
    known_panels = set(panel_ids)

    @server.before_request
    def refuse_forged_callbacks():
        if request.path == CALLBACK_PATH and request.method == "POST":
            return refuse_malformed(app.callback_map, known_panels)
        return None

    @server.errorhandler(DependencyException)
    def no_such_script(error):  # /_dash-component-suites/ with a name Dash never registered
        log.info("refused %s from %s: no such file", request.path[:200], request.remote_addr)
        return refused(404, "There is no such file on this wall.")

    @server.after_request
    def add_headers(response: Response) -> Response:
        response.headers.update(headers)
        return response
