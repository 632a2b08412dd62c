"""HTTP basic sign-in that costs the guesser, not the server.

In this order, each step cheaper than the next:
1. a browser that signed in holds a session cookie (an HMAC of the user and password it sends,
   keyed by the password hash): it passes on that, so no lockout and no empty bucket can
   shut out a signed-in wall, while a guesser without the cookie meets steps 2-5;
2. the client address's bucket of guesses (dashboard/guesses.py) must hold a token;
3. the (address, user name) pair must not be locked out (FailedSignIns);
4. a pair verified before in this process is remembered (HMAC), else
5. the password hash runs in the bounded pool (dashboard/password_checks.py), for one token.
"""

import hashlib
import hmac
import logging
import math
import re
import secrets
import time
from datetime import timedelta

from flask import Request, Response, g

from socwall import counters
from socwall.dashboard.config_access import AccessConfig
from socwall.dashboard.guesses import (
    MISSING,
    GuessBucket,
    StoreBreaker,
    client_address,
    hold_the_answer,
)
from socwall.dashboard.pages import refused
from socwall.dashboard.password_checks import PasswordChecks
from socwall.dashboard.store import Store

log = logging.getLogger(__name__)
SESSION_COOKIE = "socwall_desk"
SESSION_LIFETIME = timedelta(hours=12)  # renewed while in use: an idle stolen cookie dies


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
        self.breaker = StoreBreaker("wrong passwords")

    def retry_after(self, pair: tuple[str, str]) -> int:
        """Seconds until `pair` may try again; 0 when it may now."""
        recent = self._recent(pair)
        if len(recent) < self.limit:
            return 0
        return max(1, math.ceil(recent[-self.limit] + self.window.total_seconds() - self.clock()))

    def failed(self, pair: tuple[str, str]) -> None:
        now = self.clock()
        stored = self.breaker.call(self.store.add_sign_in_failure, _pair_id(pair), now,
                                   self.window, self.limit)  # fmt: skip
        if stored is not MISSING:
            return
        if pair not in self.in_memory and len(self.in_memory) >= self.TRACKED:
            del self.in_memory[next(iter(self.in_memory))]
        self.in_memory[pair] = [*self._recent_in_memory(pair), now][-self.limit :]

    def _recent(self, pair: tuple[str, str]) -> list[float]:
        stored = self.breaker.call(self.store.sign_in_failures, _pair_id(pair),
                                   self._window_start())  # fmt: skip
        return sorted(([] if stored is MISSING else stored) + self._recent_in_memory(pair))

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
    """HTTP basic against werkzeug password hashes, then a session cookie (see the module)."""

    public_paths: frozenset[str] = frozenset()
    REMEMBERED = 1024

    def __init__(self, access: AccessConfig, store: Store, guesses: GuessBucket, clock=time.time):
        from werkzeug.security import generate_password_hash

        basic = access.basic
        self.hashes = {user: hashed.get_secret_value() for user, hashed in basic.users.items()}
        self.unknown_user_hash = generate_password_hash(secrets.token_hex(16))  # equal timing
        self.key = secrets.token_bytes(32)  # remembered pairs: this process only
        self.verified: dict[bytes, str] = {}
        self.failed = FailedSignIns(store, basic.max_failures, basic.lockout, clock)
        self.guesses, self.checks = guesses, PasswordChecks(basic.concurrent_checks)
        self.trusted, self.secure, self.clock = access.trusted_proxies, access.secure_cookies, clock

    def identify(self, req: Request) -> str | None:
        auth = req.authorization
        if auth is None or auth.type != "basic" or not auth.username:
            return None
        user, password = auth.username, auth.password or ""
        if self._in_session(req, user, password):
            return user  # signed in before in this browser: never throttled, never locked out
        pair = (client_address(req, self.trusted), user)
        if self._throttled(pair):
            return None
        proof = hmac.new(self.key, f"{user}\0{password}".encode(), hashlib.sha256).digest()
        if self.verified.get(proof) != user and not self._check(pair, password):
            return None
        if len(self.verified) >= self.REMEMBERED:
            self.verified.clear()
        self.verified[proof] = user
        g.socwall_session = self._session_cookie(user, password)
        return user

    def _throttled(self, pair: tuple[str, str], checked: bool = False) -> bool:
        """True, with the refusal noted, while the address's bucket is empty or the pair is
        locked out: then no password is checked at all, not even a remembered one."""
        address, user = pair
        if wait := self.guesses.wait(address):
            self._refuse(429, wait, "Too many sign-in attempts from this address")
        elif wait := self.failed.retry_after(pair):
            if not checked:  # a refusal without a password check (a checked one counted already)
                count_auth_failure(self.failed.store, "locked_out")
            self._refuse(429, wait, f"Too many wrong passwords for '{user[:64]}' from this address")
        return bool(wait)

    def _check(self, pair: tuple[str, str], password: str) -> bool:
        """The password hash, for one token of the address's bucket, in the bounded pool."""
        from werkzeug.security import check_password_hash

        address, user = pair
        if wait := self.guesses.take(address):  # another request took the last token meanwhile
            self._refuse(429, wait, "Too many sign-in attempts from this address")
            return False
        hashed = self.hashes.get(user, self.unknown_user_hash)
        known = self.checks.run(check_password_hash, hashed, password)
        if known is None:
            log.warning("sign-in of %r from %s refused: password checks busy", user[:64], address)
            self._refuse(503, 5, "Too many sign-ins at once")
            return False
        if known and user in self.hashes:
            return True
        self.failed.failed(pair)
        count_auth_failure(self.failed.store, "password")
        log.warning("basic sign-in failed for user %r from %s", user[:64], address)
        self._throttled(pair, checked=True)  # the wrong password that fills the limit: 429 now
        return False

    def _refuse(self, status: int, wait: float, reason: str) -> None:
        """Noted for challenge(): identify answers who, never how to refuse."""
        seconds = max(1, math.ceil(wait))
        g.socwall_refusal = (status, f"{reason}: try again in {seconds} s.",
                             {"Retry-After": str(seconds)})  # fmt: skip

    def challenge(self, req: Request) -> Response:
        refusal = g.pop("socwall_refusal", None)
        if refusal is not None:
            hold_the_answer(float(refusal[2]["Retry-After"]))
            return refused(*refusal)
        return refused(401, "Sign-in required: this wall asks for a user name and password.",
                       {"WWW-Authenticate": 'Basic realm="socwall", charset="UTF-8"'})  # fmt: skip

    def set_session(self, response: Response) -> Response:
        """After a password check (or half a lifetime), the browser gets a session cookie."""
        value = g.pop("socwall_session", None)
        if value is not None:
            response.set_cookie(SESSION_COOKIE, value, path="/", httponly=True,
                                samesite="Strict", secure=self.secure)  # fmt: skip
        return response

    def _session_cookie(self, user: str, password: str) -> str:
        issued = int(self.clock())
        return f"{issued}.{self._session_mac(user, password, issued)}"

    def _session_mac(self, user: str, password: str, issued: int) -> str:
        """Keyed by the user's password hash (a new password ends every session of that user),
        over the password the browser sends with it (the cookie alone opens nothing)."""
        hashed = self.hashes.get(user, self.unknown_user_hash)  # the same work for any name
        key = hashlib.sha256(b"socwall desk session\0" + hashed.encode()).digest()
        return hmac.new(key, f"{user}\0{password}\0{issued}".encode(), hashlib.sha256).hexdigest()

    def _in_session(self, req: Request, user: str, password: str) -> bool:
        """True when the request carries an unexpired session cookie made for this user and
        password after a password check: the pair was right then, and costs no check now."""
        issued_text, _, mac = req.cookies.get(SESSION_COOKIE, "").partition(".")
        if not re.fullmatch(r"[0-9]{1,12}", issued_text):
            return False
        issued = int(issued_text)
        age = self.clock() - issued
        if not -60 <= age <= SESSION_LIFETIME.total_seconds():
            return False
        expected = self._session_mac(user, password, issued)
        if not hmac.compare_digest(mac.encode(), expected.encode()) or user not in self.hashes:
            return False
        if age > SESSION_LIFETIME.total_seconds() / 2:
            g.socwall_session = self._session_cookie(user, password)  # in use: renewed
        return True
