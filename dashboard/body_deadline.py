"""A deadline for request bodies, for every client, signed in or not.

gunicorn drops slow headers (its keepalive timeout) but lets the app read a body as slowly
as the client sends it: 2,100 connections of a screen that each promise 60 KB and send a
byte every 5 s held every connection of every worker. Every body the wall reads (callbacks,
in callback_check) is read through `read_body`: a watchdog shuts the reading side of a
connection whose body is not in after BODY_SECONDS, the read ends, the client gets 408 and
the connection is closed. A body nobody reads (a request refused before, e.g. 401) is never
buffered here: gunicorn discards it under its own keepalive timeout. Without gunicorn (the
test client, the demo's server) there is no socket to watch and nothing changes.
"""

import heapq
import itertools
import logging
import os
import resource
import socket
import threading
import time

from flask import Response, request

from socwall.dashboard.pages import refused

log = logging.getLogger(__name__)
BODY_SECONDS = 10.0  # a poll is ~1 KB and the largest body 64 KiB: 10 s is ~50 kbit/s
TICK = 0.25
# per gevent worker: slow clients wait out their deadline without taking every connection
WORKER_CONNECTIONS = 4096
LOG_EVERY = 10.0  # a flood of slow bodies is one log line per this long, with its count


class Watchdog:
    """One per process: a heap of (deadline, ticket, socket); every TICK it shuts the reading
    side of the sockets whose deadline passed. A plain thread, or a greenlet under gevent."""

    def __init__(self):
        self.lock = threading.Lock()
        self.heap: list[tuple[float, int, socket.socket]] = []
        self.done: set[int] = set()  # tickets read in time, or shut already
        self.fired: set[int] = set()
        self.tickets = itertools.count()
        self.pid = 0

    def watch(self, sock: socket.socket, seconds: float) -> int:
        """Start watching `sock`; the ticket goes back to `finish` when the body is in."""
        self._running_here()
        with self.lock:  # never held across a wait: under gevent nothing yields inside
            ticket = next(self.tickets)
            heapq.heappush(self.heap, (time.monotonic() + seconds, ticket, sock))
            return ticket

    def _running_here(self) -> None:
        """On first use in a (forked, maybe gevent-patched) worker: fresh state, a lock of
        this worker's kind, and the loop, started outside any lock (starting one waits)."""
        if self.pid == os.getpid():
            return
        with STARTING:
            if self.pid == os.getpid():
                return
            self.lock, self.heap, self.done, self.fired = threading.Lock(), [], set(), set()
            self.pid = os.getpid()
        threading.Thread(target=self._loop, name="body-deadline", daemon=True).start()

    def finish(self, ticket: int) -> bool:
        """Stop watching; True when the deadline had passed and the socket was shut."""
        with self.lock:
            if ticket in self.fired:
                self.fired.discard(ticket)
                return True
            self.done.add(ticket)
            return False

    def _loop(self) -> None:
        while True:
            time.sleep(TICK)
            self._shut_expired(time.monotonic())

    def _shut_expired(self, now: float) -> None:
        with self.lock:
            expired = []
            while self.heap and (self.heap[0][1] in self.done or self.heap[0][0] <= now):
                _, ticket, sock = heapq.heappop(self.heap)
                if ticket in self.done:
                    self.done.discard(ticket)
                else:
                    self.fired.add(ticket)
                    expired.append(sock)
        for sock in expired:
            try:
                sock.shutdown(socket.SHUT_RD)
            except OSError:
                pass  # the client went away meanwhile


STARTING = threading.Lock()  # held for a few assignments only, never across a wait
WATCHDOG = Watchdog()


def read_body(seconds: float = BODY_SECONDS) -> bytes | None:
    """The request's body, read within `seconds`; None when it was not in by then."""
    sock = request.environ.get("gunicorn.socket")
    if sock is None:
        return request.get_data(cache=True)
    ticket = WATCHDOG.watch(sock, seconds)
    try:
        body = request.get_data(cache=True)
    except Exception:
        if not WATCHDOG.finish(ticket):
            raise  # too large (413), or a client that hung up: not ours to answer
        body = None
    else:
        body = None if WATCHDOG.finish(ticket) else body
    if body is None:
        DROPS.note(request.remote_addr, seconds)
    return body


def too_slow(seconds: float = BODY_SECONDS) -> Response:
    """The answer to a body that did not arrive in time (the connection is shut already)."""
    return refused(408, f"The request body did not arrive within {seconds:.0f} s.")


class Drops:
    """Dropped bodies, logged as one line per LOG_EVERY seconds with how many there were."""

    def __init__(self):
        self.count, self.next_line = 0, 0.0

    def note(self, address: str | None, seconds: float) -> None:
        self.count += 1
        if time.monotonic() >= self.next_line:
            log.warning("dropped %d request bodies not in after %.0f s (the last from %s)",
                        self.count, seconds, address)  # fmt: skip
            self.count, self.next_line = 0, time.monotonic() + LOG_EVERY


DROPS = Drops()


def room_for_connections(connections: int) -> None:
    """Raise this process's soft limit of open files (its workers inherit it) so that
    `connections` can be held at once; never past the hard limit an administrator set."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + 256  # the app's own files, Redis connections, logs
    if soft != resource.RLIM_INFINITY and soft < wanted:
        limit = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
