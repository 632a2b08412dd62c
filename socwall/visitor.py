"""Visitor mode: identifiers in a panel payload become pseudonyms before it leaves the server.

Internal addresses and host names become `host-7f3a`, user names `user-2c1e` (a keyed HMAC:
the same name gives the same pseudonym on every screen and worker, and without the secret
nobody can go back); outside addresses become their /16, written `23.149.x.x` (IPv6:
`2001:0db8:…/32`). Numbers, booleans and every other word stay, so counts, trends, verdicts
and highlights are those of the clear wall.

This is not the feeds' `redact` option (feeds/redact.py), which drops secrets such as
passwords from log lines before anything is stored; this masks what is stored, per viewer.
"""

import hashlib
import hmac
import re
from collections.abc import Iterable
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

# string values under these keys name a host or a user wherever the key sits in a payload
HOST_KEYS = frozenset({"host", "hosts", "hostname", "server", "peer", "peers_hosts", "target"})
USER_KEYS = frozenset({"user", "users", "username", "account", "accounts", "assignee", "author"})
# what counts as ours: RFC 1918, CGNAT, loopback, link-local, IPv6 unique-local and link-local
INTERNAL = tuple(ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                         "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
                                         "fc00::/7", "fe80::/10", "::1/128"))  # fmt: skip
_IPV4 = r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)"
_IPV6 = r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%\w+)?(?![\w:])"
ADDRESS = re.compile(f"{_IPV4}|{_IPV6}")
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


class Pseudonyms:
    """Masks identifiers with pseudonyms keyed by `secret`; `hosts` and `users` are names known
    beforehand (an inventory), found in any text; `aliases` maps an address to its host name,
    so that `db-02 (10.0.2.5)` reads `host-7f3a (host-7f3a)`."""

    def __init__(self, secret: bytes, hosts: Iterable[str] = (), users: Iterable[str] = (),
                 aliases: dict[str, str] | None = None, internal=INTERNAL):  # fmt: skip
        self.secret, self.internal = secret, tuple(internal)
        self.aliases = dict(aliases or {})
        self.hosts, self.users = set(hosts), set(users)

    def pseudonym(self, kind: str, name: str) -> str:
        """`host-7f3a`: the first 4 hex digits of HMAC-SHA256(secret, kind:name)."""
        digest = hmac.new(self.secret, f"{kind}:{name.lower()}".encode(), hashlib.sha256)
        return f"{kind}-{digest.hexdigest()[:4]}"

    def address(self, text: str) -> str:
        """An internal address -> its host's pseudonym; an outside one -> its /16 (IPv6 /32)."""
        if not _is_address(text):
            return text
        address = ip_address(text.split("%")[0])
        if any(address in network for network in self.internal):
            return self.pseudonym("host", self.aliases.get(str(address), str(address)))
        if isinstance(address, IPv4Address):  # 23.149.x.x: the /16, and no address to match
            return ".".join(str(address).split(".")[:2] + ["x", "x"])
        assert isinstance(address, IPv6Address)
        return ":".join(address.exploded.split(":")[:2]) + ":…/32"

    def payload(self, value):
        """The payload with every identifier masked: first learn the names it holds under
        host and user keys, then mask every string (and every dict key) in it."""
        self.learn(value)
        return self._masked(value)

    def learn(self, value, kind: str | None = None) -> None:
        """Remember the names under host and user keys, so they are found in any text."""
        if isinstance(value, dict):
            for key, item in value.items():
                self.learn(item, _kind_of(key) or kind)
        elif isinstance(value, list):
            for item in value:
                self.learn(item, kind)
        elif isinstance(value, str) and kind and value and not _is_address(value):
            (self.hosts if kind == "host" else self.users).add(value)

    def text(self, text: str) -> str:
        """Addresses, e-mail addresses and every known name in `text` masked."""
        text = ADDRESS.sub(lambda m: self.address(m.group(0)), text)
        text = EMAIL.sub(lambda m: self.pseudonym("user", m.group(0)), text)
        pattern = self._names_pattern()
        if pattern is None:
            return text
        return pattern.sub(lambda m: self.pseudonym(*self._named[m.group(0).lower()]), text)

    def _masked(self, value):
        if isinstance(value, dict):
            return {self.text(k) if isinstance(k, str) else k: self._masked(v)
                    for k, v in value.items()}  # fmt: skip
        if isinstance(value, list):
            return [self._masked(item) for item in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def _names_pattern(self) -> re.Pattern | None:
        """One regex of every known name, longest first, matched as a whole word."""
        key = (len(self.hosts), len(self.users))
        if getattr(self, "_pattern_key", None) != key:
            # tuple() copies in one step: another request's learn() may add names meanwhile
            named = {u.lower(): ("user", u) for u in tuple(self.users)}
            named.update({h.lower(): ("host", h) for h in tuple(self.hosts)})
            self._named = named
            names = sorted(named, key=len, reverse=True)
            self._pattern = (re.compile(r"(?<![\w.-])(?:" + "|".join(map(re.escape, names))
                                        + r")(?![\w-]|\.\w)", re.IGNORECASE)
                             if names else None)  # fmt: skip
            self._pattern_key = key
        return self._pattern


def _kind_of(key) -> str | None:
    if key in HOST_KEYS:
        return "host"
    if key in USER_KEYS:
        return "user"
    return None


def _is_address(text: str) -> bool:
    """A real address: `::` alone (a CSS pseudo-element, the unspecified address) is none."""
    try:
        return not ip_address(text.split("%")[0]).is_unspecified
    except ValueError:
        return False


def addresses_in(text: str) -> list[str]:
    """Every valid IPv4/IPv6 address in `text` (what a test says must not be on the screen)."""
    return [m.group(0) for m in ADDRESS.finditer(text) if _is_address(m.group(0))]
