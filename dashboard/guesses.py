"""What a guess at a secret costs: one token from its client address's bucket, before any check.

A token bucket (GCRA: one number per address, the time its bucket is full again) lets an
address try `burst` secrets at once, then `per_minute` more a minute. It lives in the store,
so every serve worker draws from the same bucket; while the store does not answer, each
process keeps its own buckets in memory, and sign-in goes on working.
"""

import hashlib
import logging
import time
from collections.abc import Callable
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from flask import Request

from socwall.dashboard.config_access import GuessConfig
from socwall.dashboard.password_checks import cooperative
from socwall.dashboard.store import Store, StoreUnavailable

log = logging.getLogger(__name__)
Networks = list[IPv4Network | IPv6Network]
TARPIT_SECONDS = 2.0

# KEYS[1] the bucket; ARGV now, seconds per token, burst, "1" to take a token ("0": only look).
# Returns the seconds to wait before a token is free, "0" when one is (and was taken).
GCRA = """
local now, every, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local full_at = math.max(tonumber(redis.call('GET', KEYS[1])) or now, now)
local wait = full_at - now - (burst - 1) * every
if wait > 0 then return tostring(wait) end
if ARGV[4] == '1' then
  full_at = full_at + every
  redis.call('SET', KEYS[1], tostring(full_at), 'PX', math.ceil((full_at - now) * 1000) + 1)
end
return '0'
"""


def client_address(req: Request, trusted: Networks) -> str:
    """The peer's address; behind trusted proxies, the right-most X-Forwarded-For hop that
    is not one of them (hops left of it were written by the client and prove nothing)."""
    peer = req.remote_addr or ""
    if not _trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in req.headers.get("X-Forwarded-For", "").split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        if not _trusted(hop, trusted):
            return hop[:64]
    return peer


def _trusted(address: str, trusted: Networks) -> bool:
    try:
        parsed = ip_address(address)
    except ValueError:
        return False
    mapped = getattr(parsed, "ipv4_mapped", None)
    return any(a in network for a in (parsed, mapped) if a for network in trusted)


def hold_the_answer(wait: float) -> None:
    """Keep a refused guesser waiting for its answer, up to TARPIT_SECONDS: one that waits for
    answers then sends a guess every 2 s instead of hundreds a second, for the price of a
    sleeping greenlet. Only under gevent: with threads, the wait would take one from everyone."""
    if cooperative():
        time.sleep(min(wait, TARPIT_SECONDS))


def bucket_of(address: str) -> str:
    """The bucket an address draws from: an IPv6 client owns its whole /64, so it is one
    bucket; a fixed-length digest, so no address is in the store's key space."""
    try:
        parsed = ip_address(address)
        mapped = getattr(parsed, "ipv4_mapped", None)
        if mapped:
            parsed = mapped
        if parsed.version == 6:
            address = str(ip_network(f"{parsed}/64", strict=False))
        else:
            address = str(parsed)
    except ValueError:
        pass  # not an address (a broken X-Forwarded-For): its text is its bucket
    return hashlib.sha256(f"guess\0{address}".encode()).hexdigest()[:32]


class GuessBucket:
    """Per-address token buckets for guesses at secrets, in the store or, when it fails, here."""

    TRACKED = 10_000  # addresses kept in memory while the store is down; the oldest go first

    def __init__(self, store: Store, limits: GuessConfig, clock: Callable[[], float] = time.time):
        self.store, self.clock = store, clock
        self.every, self.burst = 60.0 / limits.per_minute, limits.burst
        self.in_memory: dict[str, float] = {}
        self.empty_until: dict[str, float] = {}  # known here: no store call needed before then
        # the embedded store lives in this process anyway (and fakeredis runs no Lua)
        self.embedded = type(store.redis).__module__.startswith("fakeredis")
        self.script = None if self.embedded else store.redis.register_script(GCRA)
        self.breaker = StoreBreaker("guesses at secrets")

    def wait(self, address: str) -> float:
        """Seconds until `address` may try a secret; 0 when it may now (nothing is taken)."""
        return self._draw(bucket_of(address), take=False)

    def take(self, address: str) -> float:
        """Take a token for one try; 0 when it was taken, else the seconds to wait."""
        return self._draw(bucket_of(address), take=True)

    def _draw(self, bucket: str, take: bool) -> float:
        now = self.clock()
        if (until := self.empty_until.get(bucket, 0.0)) > now:
            return until - now  # other workers only empty it further: no need to ask
        waited = MISSING
        if not self.embedded:
            key = self.store.keys.guess_bucket(bucket)
            args = [repr(now), repr(self.every), self.burst, "1" if take else "0"]
            waited = self.breaker.call(self.script, [key], args)
        wait = self._draw_in_memory(bucket, now, take) if waited is MISSING else float(waited)
        if wait > 0:
            self._remember_empty(bucket, now + wait, now)
        return wait

    def _remember_empty(self, bucket: str, until: float, now: float) -> None:
        if len(self.empty_until) >= self.TRACKED:
            self.empty_until = {b: t for b, t in self.empty_until.items() if t > now}
        if len(self.empty_until) < self.TRACKED:
            self.empty_until[bucket] = until

    def _draw_in_memory(self, bucket: str, now: float, take: bool) -> float:
        full_at = max(self.in_memory.pop(bucket, now), now)
        wait = full_at - now - (self.burst - 1) * self.every
        if wait <= 0 and take:
            full_at += self.every
        if full_at > now:  # a full bucket needs no entry; re-inserted, it is the newest
            if len(self.in_memory) >= self.TRACKED:
                del self.in_memory[next(iter(self.in_memory))]
            self.in_memory[bucket] = full_at
        return max(0.0, wait)


class StoreBreaker:
    """Asks the store until it fails, then for `pause` seconds not at all: a dead store costs
    one timeout per pause, not one per request. One warning per failure streak."""

    def __init__(self, what: str, pause: float = 10.0):
        self.what, self.pause, self.back_at, self.down = what, pause, 0.0, False

    def call(self, action: Callable, *args):
        """`action(*args)`, or MISSING while the store is (or just went) down."""
        if time.monotonic() < self.back_at:
            return MISSING
        try:
            result = action(*args)
        except StoreUnavailable as error:
            if not self.down:
                log.warning("%s counted in memory until the store answers again: %s",
                            self.what, error)  # fmt: skip
            self.down, self.back_at = True, time.monotonic() + self.pause
            return MISSING
        if self.down:
            log.info("%s counted in the store again", self.what)
            self.down = False
        return result


MISSING = object()
