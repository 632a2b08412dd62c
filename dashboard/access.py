"""Who may see the wall: one before_request guard for every route the app has.

With access.auth other than none, nothing but /livez answers without credentials (/healthz
answers only ok/degraded/down). Screens (/screen/<name>) always need their token, then a cookie.
"""

import hmac
import logging
import math
import re
import time
from datetime import timedelta
from ipaddress import ip_address

from dash import Dash
from flask import Request, Response, jsonify, redirect, request

from socwall.dashboard.access_basic import BasicSignIn, count_auth_failure
from socwall.dashboard.callback_check import CALLBACK_PATH, checked_call, refuse_malformed
from socwall.dashboard.clock import utc_now
from socwall.dashboard.config import WallConfig
from socwall.dashboard.config_access import AccessConfig, ProxyHeaderConfig
from socwall.dashboard.guesses import GuessBucket, client_address, hold_the_answer
from socwall.dashboard.health import health_report, public_summary
from socwall.dashboard.pages import refused
from socwall.dashboard.screens import (
    COOKIE,
    SCREEN_PATH,
    callback_allowed,
    cookie_value,
    screen_of_cookie,
    token_matches,
)
from socwall.dashboard.store import Store

log = logging.getLogger(__name__)
ALWAYS_PUBLIC = {"/livez"}
# access.probe_token opens these and nothing else: Prometheus and orchestrators cannot sign in
PROBE_PATHS = {"/metrics", "/readyz", "/healthz"}
# what a screen's page loads besides its callbacks: the shell, the JS bundles, the CSS
SCREEN_RESOURCES = ("/_dash-layout", "/_dash-dependencies", "/_dash-component-suites/",
                    "/assets/", "/_favicon.ico")  # fmt: skip
SCREEN_COOKIE_AGE = timedelta(days=30)


def protect(app: Dash, config: WallConfig, store: Store, config_problem: str | None = None) -> None:
    """Install the guard on the app's Flask server; it runs before every route, even 404s.
    `config_problem`: serve's refused config file, which makes /healthz degraded."""
    guard = Guard(app, config, store, config_problem)
    redact_tokens_in_logs()
    app.server.extensions["socwall_guard"] = guard
    app.server.before_request(guard)
    if hasattr(guard.sign_in, "set_session"):
        app.server.after_request(guard.sign_in.set_session)


def _sign_in(app: Dash, access: AccessConfig, store: Store, guesses: GuessBucket):
    if access.auth == "basic":
        return BasicSignIn(access, store, guesses)
    if access.auth == "proxy_header":
        return ProxyHeaderSignIn(access.proxy_header)
    if access.auth == "oidc":
        from socwall.dashboard.access_oidc import OidcSignIn  # Authlib only when it is used

        return OidcSignIn(app.server, access, lambda: count_auth_failure(store, "oidc"))
    return OpenDesk()


class Guard:
    """Who may see what: the sign-in mode for the desk, tokens and cookies for screens, a
    bearer token for probes. Every guess at a secret costs a token of its address's bucket."""

    def __init__(self, app: Dash, config: WallConfig, store: Store, config_problem=None):
        self.app, self.config, self.store = app, config, store
        self.guesses = GuessBucket(store, config.access.guesses)
        self.sign_in = _sign_in(app, config.access, store, self.guesses)
        self.panels = {panel.id for panel in config.panels()}
        self.summary = PublicSummary(config, store, config_problem)

    def __call__(self) -> Response | None:
        path, sign_in = request.path, self.sign_in
        if path in ALWAYS_PUBLIC or path in sign_in.public_paths:
            return None
        screen_path = SCREEN_PATH.match(path)
        if screen_path:
            return self._open_screen(screen_path.group(1))
        if sign_in.identify(request) is not None:
            return None
        if path in PROBE_PATHS and self._probe_token_presented():
            return None
        if path == "/healthz":
            return self.summary.response()
        screen = screen_of_cookie(self.config, request.cookies.get(COOKIE))
        if screen is not None:
            return self._for_screen(screen, path)
        return sign_in.challenge(request)

    def _secret_presented(self, what: str, matches) -> bool | Response:
        """A guess at a secret: refused unchecked (429) while its address's bucket is empty;
        a wrong one costs a token and a log line."""
        address = client_address(request, self.config.access.trusted_proxies)
        if wait := self.guesses.wait(address):
            hold_the_answer(wait)
            seconds = max(1, math.ceil(wait))
            return refused(429, f"Too many wrong tokens from this address: try again in "
                                f"{seconds} s.", {"Retry-After": str(seconds)})  # fmt: skip
        if matches():
            return True
        self.guesses.take(address)
        log.warning("wrong %s from %s", what, address)
        return False

    def _probe_token_presented(self) -> bool:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        token = self.config.access.probe_token
        if token is None or scheme.lower() != "bearer" or not given:
            return False
        expected = token.get_secret_value().encode()
        found = self._secret_presented("probe token",
                                       lambda: hmac.compare_digest(given.encode(), expected))
        return found is True  # throttled or wrong: the probe is refused like anyone else

    def _for_screen(self, screen: str, path: str) -> Response | None:
        if path.startswith(SCREEN_RESOURCES):
            return None
        if path == CALLBACK_PATH and request.method == "POST":
            callbacks = self.app.callback_map
            if malformed := refuse_malformed(callbacks, self.panels):
                return malformed
            call = checked_call(callbacks, self.panels)[0]
            if callback_allowed(self.config, screen, call, callbacks):
                return None
        return refused(403, f"Screen '{screen}' may only show its own pages and panels.")

    def _open_screen(self, name: str) -> Response | None:
        """The token in the query becomes a cookie and the URL loses it; later the cookie is
        enough. A wrong token costs a token of the address's bucket, and is logged."""
        screen = self.config.screens.get(name)
        if screen is None:
            return refused(404, "There is no screen of this name on this wall.")
        given = request.args.get("token")
        if given is not None:
            found = self._secret_presented(f"token for screen '{name}'",
                                           lambda: token_matches(screen, given))  # fmt: skip
            if isinstance(found, Response):
                return found
            if not found:
                count_auth_failure(self.store, "screen_token")
                wrong = f"The token for screen '{name}' is wrong or was revoked."
                return refused(403, f"{wrong} Ask the wall's administrator for the current URL.")
            response = redirect(request.path, code=303)
            response.set_cookie(COOKIE, cookie_value(name, screen), max_age=SCREEN_COOKIE_AGE,
                                path="/", httponly=True, samesite="Strict",
                                secure=self.config.access.secure_cookies)  # fmt: skip
            return response
        if screen_of_cookie(self.config, request.cookies.get(COOKIE)) == name:
            return None
        return refused(401, f"Screen '{name}' needs its token: open /screen/{name}?token=... "
                            "with the token from the wall's configuration.")  # fmt: skip


class PublicSummary:
    """/healthz without credentials: only ok/degraded/down, worked out at most once per
    SECONDS per process, so that anonymous probes cost what /livez costs."""

    SECONDS = 5.0

    def __init__(self, config: WallConfig, store: Store, config_problem: str | None = None):
        self.config, self.store, self.config_problem = config, store, config_problem
        self.until, self.document, self.status = 0.0, {}, 200

    def response(self) -> Response:
        if time.monotonic() >= self.until:
            now = utc_now()
            report, self.status = health_report(self.config, self.store, now, self.config_problem)
            self.document = public_summary(report, self.status)
            self.until = time.monotonic() + self.SECONDS
        return _json(self.document, self.status)


def _json(document: dict, status: int) -> Response:
    response = jsonify(document)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


class OpenDesk:
    """access.auth: none: everyone is a desk viewer; only screens ask for tokens."""

    public_paths: frozenset[str] = frozenset()

    def identify(self, req: Request) -> str | None:
        return "anonymous"

    def challenge(self, req: Request) -> Response:  # pragma: no cover - identify never fails
        return refused(401, "Sign-in required.")


class ProxyHeaderSignIn:
    """The user name a trusted reverse proxy (oauth2-proxy, Authelia) put in a header; the
    header from any other peer address is ignored."""

    public_paths: frozenset[str] = frozenset()

    def __init__(self, proxy: ProxyHeaderConfig):
        self.header, self.networks = proxy.header, proxy.trusted_proxies

    def identify(self, req: Request) -> str | None:
        try:
            peer = ip_address(req.remote_addr or "")
        except ValueError:
            return None
        peers = [peer] + ([peer.ipv4_mapped] if getattr(peer, "ipv4_mapped", None) else [])
        if not any(p in network for p in peers for network in self.networks):
            return None
        return req.headers.get(self.header, "").strip() or None

    def challenge(self, req: Request) -> Response:
        return refused(401, "Sign-in required: open this wall through its signing-in proxy.")


_TOKEN_IN_URL = re.compile(r"(?<=[?&;])(token=)[^&\s\"']*", re.IGNORECASE)


def password_hash(password: str, method: str = "scrypt") -> str:
    """The werkzeug hash that access.basic.users takes."""
    from werkzeug.security import generate_password_hash

    return generate_password_hash(password, method=method)


class RedactTokens(logging.Filter):
    """Replaces the value of any token= query parameter in a log line by ***."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _TOKEN_IN_URL.sub(r"\1***", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def redact_tokens_in_logs() -> None:
    """The loggers that write request lines (werkzeug's, gunicorn's) never show a token."""
    for name in ("werkzeug", "gunicorn.error", "gunicorn.access", "socwall"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
