"""The `probe` source: TCP ports and HTTP(S) URLs checked from the worker, up/down history kept.

Every check has its own deadline (a hanging service costs `timeout`, never more), at most
`concurrency` run at once, and an HTTP redirect to another host counts as down.
"""

import asyncio
import os
import ssl
import time
from datetime import datetime, timedelta
from urllib.parse import urljoin, urlsplit

from socwall.feeds.probe_config import (  # noqa: F401  (the registry reads probe.Config)
    Config,
    ProbeConfig,
    Target,
)

MAX_REDIRECTS = 3


async def check_tcp(address: str, timeout: float) -> tuple[bool, str]:
    """Up when host:port accepts a connection within the timeout."""
    host, _, port = address.rpartition(":")
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host.strip("[]"), int(port)),
                                           timeout)  # fmt: skip
    except TimeoutError:
        return False, f"no answer within {timeout:g} s"
    except OSError as error:
        return False, _reason(error)
    writer.close()
    return True, "open"


async def _status_line(url: str, context: ssl.SSLContext | None) -> tuple[int, str | None]:
    """GET one URL; its status code and Location header."""
    parts = urlsplit(url)
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    reader, writer = await asyncio.open_connection(parts.hostname, port,
                                                   ssl=context if secure else None)  # fmt: skip
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUser-Agent: socwall-probe"
                     f"\r\nConnection: close\r\n\r\n".encode())  # fmt: skip
        await writer.drain()
        status = (await reader.readline()).decode("latin-1").split()
        if len(status) < 2 or not status[1].isdigit():
            raise ValueError("not an HTTP answer")
        location = None
        while line := (await reader.readline()).decode("latin-1").strip():
            name, _, value = line.partition(":")
            if name.strip().lower() == "location":
                location = value.strip()
        return int(status[1]), location
    finally:
        writer.close()


def tls_context(verify: bool) -> ssl.SSLContext:
    """One TLS context per round: building one loads the CA store, which blocks the event loop
    long enough to eat other checks' deadlines if done per check."""
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    return context


async def check_url(url: str, timeout: float, context: ssl.SSLContext) -> tuple[bool, str]:
    """Up when the URL answers below 400, following redirects only on the same host."""
    host = urlsplit(url).hostname

    async def follow() -> tuple[bool, str]:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            code, location = await _status_line(current, context)
            if code not in (301, 302, 303, 307, 308) or not location:
                return code < 400, f"HTTP {code}"
            current = urljoin(current, location)
            if urlsplit(current).hostname != host:
                return False, f"redirects to another host ({urlsplit(current).hostname})"
        return False, f"more than {MAX_REDIRECTS} redirects"

    try:
        return await asyncio.wait_for(follow(), timeout)
    except TimeoutError:
        return False, f"no answer within {timeout:g} s"
    except ssl.SSLError as error:
        return False, f"TLS: {error.reason or error}"
    except (OSError, ValueError) as error:
        return False, _reason(error)


def _reason(error: Exception) -> str:
    """'Connection refused' rather than asyncio's "Connect call failed ('10.0.0.5', 5432)"."""
    if isinstance(error, OSError) and error.errno:
        return os.strerror(error.errno)
    return str(error) or type(error).__name__


async def check_all(targets: list[Target], timeout: float, concurrency: int,
                    verify: bool) -> dict[str, dict]:  # fmt: skip
    """Every target checked, at most `concurrency` at once; name -> up, detail, latency_ms."""
    gate = asyncio.Semaphore(concurrency)
    context = tls_context(verify) if any(t.url for t in targets) else None

    async def one(target: Target) -> tuple[str, dict]:
        async with gate:
            started = time.perf_counter()
            if target.tcp is not None:
                up, detail = await check_tcp(target.tcp, timeout)
            else:
                up, detail = await check_url(target.url, timeout, context)
            latency = round((time.perf_counter() - started) * 1000)
            return target.name, {"up": up, "detail": detail, "latency_ms": latency}

    return dict(await asyncio.gather(*(one(t) for t in targets)))


def merge(previous: dict, results: dict[str, dict], targets: list[Target], now: datetime,
          history: timedelta) -> dict:  # fmt: skip
    """The new state per target: `since` moves only when up/down changed; flips kept `history`."""
    cutoff, stamp = (now - history).isoformat(), now.isoformat()
    state = {}
    for target in targets:
        result, before = results[target.name], previous.get(target.name) or {}
        changed = before.get("up") is not result["up"]
        flips = [f for f in before.get("flips", []) if f >= cutoff]
        if changed and before:
            flips.append(stamp)
        state[target.name] = {
            **result,
            "host": target.host or target.name.split()[0],
            "kind": "tcp" if target.tcp else "http",
            "since": stamp if changed else before.get("since", stamp),
            "checked_at": stamp,
            "flips": flips,
        }
    return state


class Source:
    """Checks every target once per refresh and keeps each target's state and flips."""

    def __init__(self, config: ProbeConfig, source_id: str):
        self.config, self.source_id = config, source_id

    def ingest(self, store, now: datetime) -> dict:
        """Run the checks; write the merged up/down state (targets no longer configured go)."""
        config = self.config
        results = asyncio.run(check_all(config.targets, config.timeout.total_seconds(),
                                        config.concurrency, config.verify_tls))  # fmt: skip
        previous = store.document(self.source_id, "status") or {}
        state = merge(previous, results, config.targets, now, config.history)
        store.write_document(self.source_id, "status", state)
        down = sum(not s["up"] for s in state.values())
        return {"rows": len(state), "bad_rows": 0, "newest": now.isoformat(), "down": down}
