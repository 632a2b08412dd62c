"""Where a feed's HTTP request may go, and for how long.

Only http(s), at most MAX_REDIRECTS redirects, and never to a loopback, link-local, private or
otherwise non-global address unless the URL's host is in the source's `allow_hosts`. The check
is made on the addresses the name resolves to, right before connecting to the checked address
(no second lookup), so a public name that resolves inward is refused too, and nothing is sent
to a refused address, not even a TCP handshake. One deadline covers the connections, the
redirects and the headers: at the deadline the socket is shut down, whatever it waits for.
"""

import http.client
import ipaddress
import socket
import ssl
import threading
import time
import urllib.request
from contextlib import contextmanager
from urllib.parse import urlsplit

MAX_REDIRECTS = 5


class Blocked(OSError):
    """The request may not go there; the message says where and why, in words."""


def inward(address: str) -> bool:
    """An address a feed must not reach: loopback, link-local, private, reserved, multicast."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


class _Deadline:
    """The end of one fetch: sockets opened for it are shut down when it passes."""

    def __init__(self, timeout: float):
        self.timeout, self.end = timeout, time.monotonic() + timeout
        self.timers: list[threading.Timer] = []

    def left(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise Blocked(f"no complete answer within {self.timeout:g} s (deadline)")
        return left

    def watch(self, sock: socket.socket) -> None:
        timer = threading.Timer(self.left(), _shut, (sock,))
        timer.daemon = True
        self.timers.append(timer)
        timer.start()

    def cancel(self) -> None:
        for timer in self.timers:
            timer.cancel()


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed: the fetch ended in time


def _connector(host: str, allowed: set[str], deadline: _Deadline):
    """socket.create_connection for `host`, checking every address it resolves to first."""

    def connect(address, timeout=None, source_address=None, **_ignored):
        name, port = address
        infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
        if host.lower() not in allowed:
            refused = sorted({info[4][0] for info in infos if inward(info[4][0])})
            if refused:
                raise Blocked(f"{host} resolves to an internal address ({', '.join(refused)}):"
                              " refused (add the host to allow_hosts if it is meant)")  # fmt: skip
        error: OSError | None = None
        for family, kind, proto, _, sockaddr in infos:
            sock = socket.socket(family, kind, proto)
            try:
                wait = timeout if isinstance(timeout, int | float) else deadline.timeout
                sock.settimeout(min(wait, deadline.left()))
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
                deadline.watch(sock)
                return sock
            except OSError as failed:
                sock.close()
                error = failed
        raise error or OSError(f"{name} has no address")

    return connect


class _Opening:
    """The connection classes of one fetch: checked addresses, one deadline."""

    def __init__(self, allowed: set[str], deadline: _Deadline):
        self.allowed, self.deadline = allowed, deadline

    def make(self, cls):
        def connection(host, **kwargs):
            made = cls(host, **kwargs)
            made._create_connection = _connector(made.host, self.allowed, self.deadline)
            return made

        return connection


class _Http(urllib.request.HTTPHandler):
    def __init__(self, opening: _Opening):
        super().__init__()
        self.opening = opening

    def http_open(self, req):
        return self.do_open(self.opening.make(http.client.HTTPConnection), req)


class _Https(urllib.request.HTTPSHandler):
    def __init__(self, opening: _Opening, context: ssl.SSLContext | None):
        super().__init__(context=context)
        self.opening = opening

    def https_open(self, req):
        return self.do_open(self.opening.make(http.client.HTTPSConnection), req,
                            context=self._context)  # fmt: skip


class _Redirects(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        scheme = urlsplit(newurl).scheme.lower()
        if scheme not in ("http", "https"):
            fp.close()
            raise Blocked(f"redirected to {scheme or 'a relative'}:// ({newurl[:80]}):"
                          " only http(s) redirects are followed")  # fmt: skip
        if len(getattr(req, "redirect_dict", {})) >= MAX_REDIRECTS:
            fp.close()
            raise Blocked(f"more than {MAX_REDIRECTS} redirects (the last to {newurl[:80]})")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx is the answer


@contextmanager
def guarded(timeout: float, allow_hosts=(), context: ssl.SSLContext | None = None,
            redirects: bool = True):  # fmt: skip
    """An opener whose requests follow the rules above, within `timeout` in all; with
    `redirects` False a 3xx is an answer (urllib raises it as an HTTPError)."""
    deadline = _Deadline(timeout)
    opening = _Opening({host.lower() for host in allow_hosts}, deadline)
    follow = _Redirects() if redirects else _NoRedirects()
    opener = urllib.request.build_opener(_Http(opening), _Https(opening, context), follow)
    try:
        yield opener
    finally:
        deadline.cancel()
