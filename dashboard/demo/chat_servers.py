"""Local stand-ins for the chat services, on 127.0.0.1, for the demo and the tests.

- `LocalIrc`: a small IRC server (asyncio): registration (with SASL PLAIN when given an
  account), JOIN, PING/PONG, QUIT; it broadcasts what `say()` is given and records every
  line its clients send, so a test can check the listener never says anything.
- `JetstreamReplay`: Jetstream's v1 `/subscribe` (websockets): replays events from `cursor`
  (inclusive), honours `wantedCollections`, and can drop or stall once, or flood.
- `MastodonReplay`: the REST API's tag and account timelines with `min_id` pages (newest first,
  as Mastodon answers), account lookup, the tag RSS, and a "sign-in required" mode.
None of them is a real server; they speak the documented shapes to one client at a time.
"""

import asyncio
import base64
import json
import logging
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from websockets.asyncio.server import serve


class _LoopThread:
    """An asyncio loop in a daemon thread; `call(coro)` runs a coroutine in it."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def call(self, coro, timeout: float = 10):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


class LocalIrc(_LoopThread):
    """An IRC server for one network's worth of test and demo chatter."""

    def __init__(self, port: int = 0, sasl: dict[str, str] | None = None):
        super().__init__()
        self.sasl = sasl or {}
        self.heard: list[bytes] = []  # every line any client sent
        self.mute = False  # True: reads, answers nothing (a half-open link)
        self.clients: dict = {}  # writer -> {"nick", "channels"}
        self.server = self.call(asyncio.start_server(self._client, "127.0.0.1", port))
        self.port = self.server.sockets[0].getsockname()[1]

    async def _client(self, reader, writer) -> None:
        self.clients[writer] = {"nick": "*", "channels": set()}
        try:
            while line := await reader.readline():
                self.heard.append(line.rstrip(b"\r\n"))
                if not await self._command(writer, line.decode("utf-8", "replace").strip()):
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.clients.pop(writer, None)
            writer.close()

    async def _command(self, writer, line: str) -> bool:
        me = self.clients[writer]
        verb, _, rest = line.partition(" ")
        if self.mute:
            return True
        out = []
        if verb == "CAP" and rest.startswith("LS"):
            me["negotiating"] = True  # IRCv3: registration waits for CAP END
            out.append(":local CAP * LS :" + ("sasl" if self.sasl else ""))
        elif verb == "CAP" and "sasl" in rest:
            out.append(":local CAP * ACK :sasl")
        elif line == "AUTHENTICATE PLAIN":
            out.append("AUTHENTICATE +")
        elif verb == "AUTHENTICATE":
            _, account, password = base64.b64decode(rest).decode().split("\0")
            ok = self.sasl.get(account) == password
            said = "authentication successful" if ok else "authentication failed"
            out.append(f":local {'903' if ok else '904'} * :SASL {said}")
        elif verb == "NICK":
            me["nick"] = rest.lstrip(":")
        elif (verb == "USER" and not me.get("negotiating")) or (verb == "CAP" and rest == "END"):
            me["negotiating"] = False
            out.append(f":local 001 {me['nick']} :Welcome to the local network")
        elif verb == "JOIN":
            for channel in rest.lstrip(":").split(","):
                me["channels"].add(channel)
                out += [f":{me['nick']}!u@127.0.0.1 JOIN {channel}",
                        f":local 366 {me['nick']} {channel} :End of NAMES list"]  # fmt: skip
        elif verb == "PING":
            out.append(f":local PONG local {rest}")
        elif verb == "QUIT":
            return False
        await self._write(writer, "".join(f"{o}\r\n" for o in out).encode())
        return True

    @staticmethod
    async def _write(writer, data: bytes) -> None:
        if data:
            writer.write(data)
            await writer.drain()

    def joined(self, channel: str) -> int:
        """How many clients are in `channel`."""
        return sum(channel in c["channels"] for c in list(self.clients.values()))

    def say(self, nick: str, channel: str, text: bytes | str) -> None:
        """A channel message from `nick` to everyone in `channel`."""
        body = text.encode() if isinstance(text, str) else text
        self.send(b":%s!u@127.0.0.1 PRIVMSG %s :%s\r\n" % (nick.encode(), channel.encode(), body),
                  channel)  # fmt: skip

    def send(self, data: bytes, channel: str | None = None) -> None:
        """Raw bytes to every client (in `channel`)."""

        async def send_all():
            for writer, client in list(self.clients.items()):
                if channel is None or channel in client["channels"]:
                    writer.write(data)
                    await writer.drain()

        self.call(send_all(), timeout=60)

    def close(self) -> None:
        async def shut():  # in the loop's own thread: asyncio's Server is not thread-safe
            self.server.close()
            for writer in list(self.clients):
                writer.close()

        self.call(shut())
        super().close()


class JetstreamReplay(_LoopThread):
    """Jetstream's `/subscribe`, replaying recorded events; faults are one-shot."""

    def __init__(self, events: list[dict], port: int = 0):
        super().__init__()
        self.events = events
        self.connects: list[dict] = []  # the query of every connection
        self.drop_after = self.stall_after = None
        self.raw: list[bytes | str] = []  # sent before the events (bad frames, floods)
        self.ws_server = self.call(self._start(port))
        self.port = self.ws_server.sockets[0].getsockname()[1]
        self.url = f"ws://127.0.0.1:{self.port}/subscribe"

    async def _start(self, port: int):
        quiet = logging.getLogger(f"{__name__}.jetstream")  # no line per connection in the demo
        quiet.setLevel(logging.WARNING)
        return await serve(self._handler, "127.0.0.1", port, max_size=1 << 22, logger=quiet)

    async def _handler(self, ws) -> None:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(ws.request.path).query)
        self.connects.append(query)
        cursor = int(query.get("cursor", ["0"])[0])
        wanted = query.get("wantedCollections", [])
        for frame in self.raw:
            await ws.send(frame)
        self.raw = []
        sent = at = 0
        while True:  # replay, then the live tail: events added later are sent as they come
            for event in self.events[at:]:
                at += 1
                if event["time_us"] < cursor or (wanted and event["kind"] == "commit"
                                                 and event["commit"]["collection"] not in wanted):
                    continue
                if self.drop_after == sent:
                    self.drop_after = None
                    ws.transport.abort()  # no close frame, as a dead link
                    return
                if self.stall_after == sent:
                    self.stall_after = None
                    await ws.wait_closed()  # silent, pings still answered
                    return
                await ws.send(json.dumps(event))
                sent += 1
            try:
                await asyncio.wait_for(ws.wait_closed(), 0.2)
                return
            except TimeoutError:
                continue

    def add(self, *events: dict) -> None:
        """Events that happen now: sent to every open subscription, and replayed later."""
        self.events.extend(events)

    def close(self) -> None:
        async def shutdown():
            self.ws_server.close()
            await asyncio.wait_for(self.ws_server.wait_closed(), 5)

        self.call(shutdown())
        super().close()


class MastodonReplay:
    """Mastodon's tag/account timelines and tag RSS over recorded statuses (newest id last)."""

    def __init__(self, statuses: dict[str, list[dict]], port: int = 0,
                 rss: dict[str, bytes] | None = None):  # fmt: skip
        self.statuses, self.rss = statuses, rss or {}
        self.locked = False  # the API answers 401 without a token (no public preview)
        self.rss_locked = False  # the RSS redirects to sign-in (limited federation mode)
        self.token: str | None = None
        self.requests: list[str] = []
        self.http = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.port = self.http.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def _handler(self):
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server API
                replay.requests.append(self.path)
                code, body, headers = replay.answer(self.path, self.headers.get("Authorization"))
                self.send_response(code)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler

    def answer(self, path: str, authorization: str | None) -> tuple[int, bytes, dict]:
        split = urllib.parse.urlsplit(path)
        query = urllib.parse.parse_qs(split.query)
        signed_in = self.token is not None and authorization == f"Bearer {self.token}"
        if split.path.endswith(".rss"):
            if self.rss_locked:
                return 302, b"", {"Location": f"{self.url}/auth/sign_in"}
            body = self.rss.get(split.path)
            return (200, body, {"Content-Type": "application/rss+xml"}) if body else (404, b"", {})
        if self.locked and not signed_in:
            return 401, b'{"error":"The access token is invalid"}', {}
        if split.path == "/api/v1/accounts/lookup":
            name = query.get("acct", [""])[0]
            found = f"account:{name}" in self.statuses
            return (200, json.dumps({"id": "1" + str(len(name)), "acct": name}).encode(), {}) \
                if found else (404, b'{"error":"Record not found"}', {})  # fmt: skip
        key = self._key(split.path)
        if key not in self.statuses:
            return 404, b'{"error":"Record not found"}', {}
        return 200, json.dumps(self._page(key, query)).encode(), {
            "Content-Type": "application/json; charset=utf-8"}  # fmt: skip

    def _key(self, path: str) -> str:
        if path.startswith("/api/v1/timelines/tag/"):
            return "tag:" + urllib.parse.unquote(path.rsplit("/", 1)[1]).lower()
        for key in self.statuses:
            name = key.partition(":")[2]
            if path == f"/api/v1/accounts/1{len(name)}/statuses" and key.startswith("account:"):
                return key
        return ""

    def _page(self, key: str, query: dict) -> list[dict]:
        """As Mastodon: with min_id the N oldest newer ones, else the N newest; newest first."""
        limit = min(40, int(query.get("limit", ["20"])[0]))
        ordered = sorted(self.statuses[key], key=lambda s: (len(s["id"]), s["id"]))
        if "min_id" in query:
            low = query["min_id"][0]
            newer = [s for s in ordered if (len(s["id"]), s["id"]) > (len(low), low)]
            return list(reversed(newer[:limit]))
        return list(reversed(ordered[-limit:]))

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()
