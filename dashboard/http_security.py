"""What every response carries (a Content-Security-Policy Dash works with, nosniff, no referrer,
who may frame the wall) and what a request may be: a bounded body, and for Dash callbacks a
callback this app registered, about panels it has, with inputs of the expected shape.

A forged callback gets a 400 before any store read; Dash would otherwise answer an unknown
panel id with a 500 and a traceback in the log.
"""

import json
import logging

from dash import Dash
from flask import Response, request

log = logging.getLogger(__name__)
CALLBACK_PATH = "/_dash-update-component"
MAX_VALUE_BYTES = 4096  # one input value: a tick, the viewport, a path; panel payloads go out
INPUT_TYPES = {  # the props our callbacks take, and the JSON types they may hold
    "n_intervals": (int, type(None)),
    "data": (dict, str, type(None)),
    "pathname": (str, type(None)),
    "search": (str, type(None)),
}


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


def install(app: Dash, frame_ancestors: list[str], max_request_bytes: int, panel_ids) -> None:
    """Security headers on every response; size and shape checks on every request.
    Call after every callback is registered (the CSP hashes Dash's inline scripts)."""
    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = max_request_bytes
    policy = content_security_policy(app, frame_ancestors)
    known_panels = set(panel_ids)

    @server.before_request
    def refuse_forged_callbacks():
        if request.path == CALLBACK_PATH and request.method == "POST":
            problem = callback_problem(request.get_data(cache=True), app.callback_map, known_panels)
            if problem:
                log.info("refused a callback request: %s", problem)
                return Response(json.dumps({"error": problem}), 400, mimetype="application/json")
        return None

    @server.after_request
    def add_headers(response):
        response.headers["Content-Security-Policy"] = policy
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if frame_ancestors == ["'none'"]:
            response.headers["X-Frame-Options"] = "DENY"  # for browsers without CSP level 2
        return response


def callback_problem(body: bytes, callbacks: dict, panel_ids: set[str]) -> str | None:
    """Why a callback request is not one this app's pages send, or None when it is."""
    try:
        call = json.loads(body)
    except ValueError:
        return "the body is not JSON"
    if not isinstance(call, dict) or not isinstance(call.get("output"), str):
        return "no such callback"
    if call["output"] not in callbacks:
        return "no such callback"
    if problem := _shape_problem(call, callbacks[call["output"]]):
        return problem
    for item in [*_items(call.get("inputs")), *_items(call.get("state")),
                 *_items(call.get("outputs"))]:  # fmt: skip
        if problem := _item_problem(item, panel_ids):
            return problem
    return None


def _shape_problem(call: dict, spec: dict) -> str | None:
    """As many inputs, states and outputs as the callback declares, in the forms Dash sends."""
    for group in ("inputs", "state"):
        given = call.get(group, [])
        if not isinstance(given, list) or len(given) != len(spec.get(group, [])):
            return f"{group} do not match the callback"
    output = call["output"]
    expected = len(output[2:-2].split("...")) if output.startswith("..") else 1
    outputs = call.get("outputs")
    if expected == 1 and not isinstance(outputs, dict | list):
        return "outputs do not match the callback"
    if expected > 1 and (not isinstance(outputs, list) or len(outputs) != expected):
        return "outputs do not match the callback"
    changed = call.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(item, str) for item in changed):
        return "changedPropIds is not a list of names"
    return None


def _items(group) -> list:
    """A callback's inputs, states or outputs: a list, with lists inside for ALL/MATCH ids."""
    if group is None:
        return []
    if not isinstance(group, list | dict):
        return [group]
    flat = []
    for item in group if isinstance(group, list) else [group]:
        flat.extend(item if isinstance(item, list) else [item])
    return flat


def _item_problem(item, panel_ids: set[str]) -> str | None:
    if not isinstance(item, dict) or not isinstance(item.get("property"), str):
        return "an input without an id and property"
    ident = item.get("id")
    if isinstance(ident, dict):
        if ident.get("id") not in panel_ids:
            return f"no panel {str(ident.get('id'))[:40]!r}"
    elif not isinstance(ident, str):
        return "an input id that is neither text nor a pattern"
    if "value" in item:
        value = item["value"]
        allowed = INPUT_TYPES.get(item["property"])
        if allowed is not None and (not isinstance(value, allowed) or isinstance(value, bool)):
            return f"{item['property']} cannot be {type(value).__name__}"
        if len(json.dumps(value)) > MAX_VALUE_BYTES:
            return f"{item['property']} is larger than {MAX_VALUE_BYTES} bytes"
    return None
