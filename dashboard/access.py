"""Who may see the wall: one before_request guard for every route the app has.

With access.auth other than none, nothing but /livez answers without credentials (/healthz
answers only ok/degraded/down). Screens (/screen/<name>) always need their token, then a cookie.
"""

import hashlib
import hmac
import logging
import math
import re
import secrets
import time
from datetime import timedelta
from ipaddress import ip_address

from dash import Dash
from flask import Request, Response, jsonify, redirect, request

from socwall import counters
from socwall.dashboard.clock import utc_now
from socwall.dashboard.config import WallConfig
from socwall.dashboard.config_access import AccessConfig, BasicAuthConfig, ProxyHeaderConfig
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
from socwall.dashboard.store import Store, StoreUnavailable
from socwall.durations import format_duration

log = logging.getLogger(__name__)
ALWAYS_PUBLIC = {"/livez"}
# access.probe_token opens these and nothing else: Prometheus and orchestrators cannot sign in
PROBE_PATHS = {"/metrics", "/readyz", "/healthz"}
# what a screen's page loads besides its callbacks: the shell, the JS bundles, the CSS
SCREEN_RESOURCES = ("/_dash-layout", "/_dash-dependencies", "/_dash-component-suites/",
                    "/assets/", "/_favicon.ico")  # fmt: skip
SCREEN_COOKIE_AGE = timedelta(days=30)


def protect(app: Dash, config: WallConfig, store: Store, config_problem: str | None = None) -> None:
    """Install the guard on the app's Flask server; it runs before every route, even 404s."""
    sign_in = _sign_in(app, config.access, store)
    redact_tokens_in_logs()
    app.server.before_request(lambda: _guard(config, store, sign_in, config_problem))


def _sign_in(app: Dash, access: AccessConfig, store: Store):
    if access.auth == "basic":
        return BasicSignIn(access.basic, store)
    if access.auth == "proxy_header":
        return ProxyHeaderSignIn(access.proxy_header)
    if access.auth == "oidc":
        from socwall.dashboard.access_oidc import OidcSignIn  # Authlib only when it is used

        return OidcSignIn(app.server, access, lambda: count_auth_failure(store, "oidc"))
    return OpenDesk()


def _guard(config: WallConfig, store: Store, sign_in, config_problem=None) -> Response | None:
    path = request.path
    if path in ALWAYS_PUBLIC or path in sign_in.public_paths:
        return None
    screen_path = SCREEN_PATH.match(path)
    if screen_path:
        return _open_screen(config, store, screen_path.group(1))
    if sign_in.identify(request) is not None:
        return None
    if path in PROBE_PATHS and _probe_token_presented(config.access, request):
        return None
    if path == "/healthz":
        report, status = health_report(config, store, utc_now(), config_problem)
        return _json(public_summary(report, status), status)
    screen = screen_of_cookie(config, request.cookies.get(COOKIE))
    if screen is not None:
        return None if _screen_may(config, screen, path) else _refused_for_screen(screen)
    return sign_in.challenge(request)


def _probe_token_presented(access: AccessConfig, req: Request) -> bool:
    scheme, _, given = req.headers.get("Authorization", "").partition(" ")
    if access.probe_token is None or scheme.lower() != "bearer" or not given:
        return False
    return hmac.compare_digest(given.encode(), access.probe_token.get_secret_value().encode())


def _screen_may(config: WallConfig, screen: str, path: str) -> bool:
    if path.startswith(SCREEN_RESOURCES):
        return True
    if path == "/_dash-update-component":
        return callback_allowed(config, screen, request.get_json(silent=True))
    return False


def _refused_for_screen(screen: str) -> Response:
    return refused(403, f"Screen '{screen}' may only show its own pages and panels.")


def _open_screen(config: WallConfig, store: Store, name: str) -> Response | None:
    """The token in the query becomes a cookie and the URL loses it; later the cookie is enough."""
    screen = config.screens.get(name)
    if screen is None:
        return refused(404, "There is no screen of this name on this wall.")
    given = request.args.get("token")
    if given is not None:
        if not token_matches(screen, given):
            count_auth_failure(store, "screen_token")
            wrong = f"The token for screen '{name}' is wrong or was revoked."
            return refused(403, f"{wrong} Ask the wall's administrator for the current URL.")
        response = redirect(request.path, code=303)
        response.set_cookie(
            COOKIE,
            cookie_value(name, screen),
            max_age=SCREEN_COOKIE_AGE,
            path="/",
            httponly=True,
            samesite="Strict",
            secure=config.access.secure_cookies,
        )
        return response
    if screen_of_cookie(config, request.cookies.get(COOKIE)) == name:
        return None
    return refused(401, f"Screen '{name}' needs its token: open /screen/{name}?token=... "
                        "with the token from the wall's configuration.")  # fmt: skip


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


class FailedSignIns:
    """Wrong passwords per (client address, user name) in a sliding window: past `limit` the
    pair is refused without a password check until its oldest failure leaves the window.

    Counted in the store, so every serve worker and a reloaded server see the same count.
    While the store does not answer, failures are counted in this process's memory instead
    (bounded: a flood of new pairs forgets the oldest), so sign-in still works and the wall
    can say that its store is down."""

    TRACKED = 10_000

    def __init__(self, store: Store, limit: int, window: timedelta, clock=time.time):
        self.store, self.limit, self.window, self.clock = store, limit, window, clock
        self.in_memory: dict[tuple[str, str], list[float]] = {}

    def retry_after(self, pair: tuple[str, str]) -> int:
        """Seconds until `pair` may try again; 0 when it may now."""
        recent = self._recent(pair)
        if len(recent) < self.limit:
            return 0
        return max(1, math.ceil(recent[-self.limit] + self.window.total_seconds() - self.clock()))

    def failed(self, pair: tuple[str, str]) -> None:
        now = self.clock()
        try:
            self.store.add_sign_in_failure(_pair_id(pair), now, self.window, self.limit)
            return
        except StoreUnavailable as error:
            log.warning("sign-in failure counted in memory only, the store failed: %s", error)
        if pair not in self.in_memory and len(self.in_memory) >= self.TRACKED:
            del self.in_memory[next(iter(self.in_memory))]
        self.in_memory[pair] = [*self._recent_in_memory(pair), now][-self.limit :]

    def _recent(self, pair: tuple[str, str]) -> list[float]:
        try:
            stored = self.store.sign_in_failures(_pair_id(pair), self._window_start())
        except StoreUnavailable:
            stored = []
        return sorted(stored + self._recent_in_memory(pair))

    def _recent_in_memory(self, pair: tuple[str, str]) -> list[float]:
        return [at for at in self.in_memory.get(pair, []) if at > self._window_start()]

    def _window_start(self) -> float:
        return self.clock() - self.window.total_seconds()


def count_auth_failure(store: Store, reason: str) -> None:
    """socwall_auth_failures_total{reason}: password, locked_out, screen_token or oidc."""
    counters.count(store.redis, store.keys, "socwall_auth_failures_total", {"reason": reason})


def _pair_id(pair: tuple[str, str]) -> str:
    """A store key part for (address, user): fixed length, no user name in the key space."""
    return hashlib.sha256("\0".join(pair).encode()).hexdigest()[:32]


class BasicSignIn:
    """HTTP basic against werkzeug password hashes; a verified pair is remembered by HMAC so
    that every poll does not cost a scrypt run, and guessing is throttled (FailedSignIns)."""

    public_paths: frozenset[str] = frozenset()
    REMEMBERED = 1024

    def __init__(self, basic: BasicAuthConfig, store: Store):
        from werkzeug.security import generate_password_hash

        self.hashes = {user: hashed.get_secret_value() for user, hashed in basic.users.items()}
        self.unknown_user_hash = generate_password_hash(secrets.token_hex(16))  # equal timing
        self.key = secrets.token_bytes(32)
        self.verified: dict[bytes, str] = {}
        self.failed = FailedSignIns(store, basic.max_failures, basic.lockout)

    def identify(self, req: Request) -> str | None:
        from werkzeug.security import check_password_hash

        auth = req.authorization
        if auth is None or auth.type != "basic" or not auth.username:
            return None
        user, password = auth.username, auth.password or ""
        pair = (req.remote_addr or "", user)
        if self.failed.retry_after(pair):
            count_auth_failure(self.failed.store, "locked_out")
            return None  # locked out: no password check at all, not even the remembered one
        proof = hmac.new(self.key, f"{user}\0{password}".encode(), hashlib.sha256).digest()
        if self.verified.get(proof) == user:
            return user
        known = check_password_hash(self.hashes.get(user, self.unknown_user_hash), password)
        if not (known and user in self.hashes):
            self.failed.failed(pair)
            count_auth_failure(self.failed.store, "password")
            log.warning("basic sign-in failed for user %r from %s", user[:64], pair[0])
            return None
        if len(self.verified) >= self.REMEMBERED:
            self.verified.clear()
        self.verified[proof] = user
        return user

    def challenge(self, req: Request) -> Response:
        auth = req.authorization
        user = auth.username if auth is not None and auth.type == "basic" else None
        wait = self.failed.retry_after((req.remote_addr or "", user)) if user else 0
        if wait:
            return refused(429, f"Too many wrong passwords for '{user[:64]}' from this address: "
                                f"try again in {wait} s.", {"Retry-After": str(wait)})  # fmt: skip
        return refused(401, "Sign-in required: this wall asks for a user name and password.",
                       {"WWW-Authenticate": 'Basic realm="socwall", charset="UTF-8"'})  # fmt: skip


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


def describe_access(config: WallConfig) -> list[str]:
    """What check-config shows about access: modes, users and screens; secrets masked."""
    access, mask = config.access, "**********"
    lines = [f"access.auth: {access.auth}"]
    if access.auth == "basic":
        lines.append(f"access.basic.users: {', '.join(access.basic.users)} (hashes {mask})")
    if access.auth == "oidc":
        oidc = access.oidc
        lines.append(f"access.oidc: issuer {oidc.issuer}, client_id {oidc.client_id}, "
                     f"client_secret {mask}, session_secret {mask}")  # fmt: skip
    if access.probe_token is not None:
        lines.append(f"access.probe_token: {mask} (Bearer for /metrics, /readyz, /healthz)")
    if access.auth == "proxy_header":
        proxies = ", ".join(str(n) for n in access.proxy_header.trusted_proxies)
        lines.append(f"access.proxy_header: {access.proxy_header.header} from {proxies}")
    for name, screen in config.screens.items():
        rotate = format_duration(screen.rotate) if screen.rotate else "web.rotate"
        lines.append(f"screens.{name}: pages {', '.join(screen.pages)}, rotate {rotate}, "
                     f"token {mask}")  # fmt: skip
    return lines


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
