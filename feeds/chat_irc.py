"""IRC: a listener on one network (jaraco `irc`), in its own thread, joined to the configured
channels. It only ever sends what the protocol needs (NICK, USER, CAP/AUTHENTICATE for SASL,
JOIN, PONG, a PING when the link is quiet, QUIT): no reply to any message or CTCP request.

IRC keeps no history and has no message ids: what is said while the listener is away is lost
(each outage is recorded with its span), and a line is stored once under an id made of the
network, channel, nick, receive time and text.
"""

import socket
import ssl
import threading
import time

import irc.bot
import irc.client

from socwall.feeds.chat_config import IrcConfig
from socwall.feeds.chat_irc_lines import BoundedLines, irc_text
from socwall.feeds.chat_message import Message, clean_text, message_id

MAX_BACKOFF = 300


class GuardedConnection(irc.client.ServerConnection):
    """A server connection whose line handling never takes the listener down."""

    def _process_line(self, line):  # the library's per-line entry point (irc 20.x)
        try:
            super()._process_line(line)
        except Exception:  # a line the library's handlers choke on: skipped, counted
            self.buffer._count("unreadable")


class GuardedReactor(irc.client.Reactor):
    connection_class = GuardedConnection


def connect_factory(config: IrcConfig, failed, timeout: float = 15):
    """Open the TCP (and TLS) connection with a deadline, so a dead host never hangs a thread;
    `failed(words)` hears why it could not (the library only says "disconnected")."""
    context = None
    if config.tls:
        context = ssl.create_default_context(cafile=config.ca_file)

    def connect(address):
        try:
            sock = socket.create_connection(address, timeout=timeout)
            if context is not None:
                sock = context.wrap_socket(sock, server_hostname=config.host)
        except OSError as error:
            failed(f"cannot connect to {address[0]}:{address[1]}: {_reason(error)}")
            raise
        sock.settimeout(60)  # reads follow select(); a send to a stuck server gives up
        return sock

    return connect


def _reason(error: OSError) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted ({error.verify_message})"
    if isinstance(error, ssl.SSLError):
        return f"TLS failed ({error.reason or error})"
    if isinstance(error, TimeoutError | socket.timeout):
        return "no answer (timed out)"
    return error.strerror or str(error)


class Listener(irc.bot.SingleServerIRCBot):
    """Joins the channels and hands every channel line to `link`; never answers anything."""

    reactor_class = GuardedReactor

    def __init__(self, config: IrcConfig, link, limit: int):
        port = config.port or (6697 if config.tls else 6667)
        password = config.password.get_secret_value() if config.password else None
        extra = {"sasl_login": config.account} if config.account else {}
        self.why: str | None = None  # why the last connection attempt failed
        factory = connect_factory(config, lambda words: setattr(self, "why", words))
        super().__init__([irc.bot.ServerSpec(config.host, port, password)], config.nick,
                         config.nick, recon=self._backoff(config), connect_factory=factory,
                         **extra)  # fmt: skip
        self.config, self.link, self.limit = config, link, limit
        self.connection.buffer_class = self._buffer
        self.connection.set_rate_limit(2)  # at most 2 lines a second out: never flood a server
        self.connection.add_global_handler("all_raw_messages", self._heard, -30)
        self.last_heard = time.monotonic()
        self.pinged = False
        self.stopping = False

    def _buffer(self) -> BoundedLines:
        buffer = BoundedLines()
        buffer.counts = self.link.skipped
        return buffer

    @staticmethod
    def _backoff(config: IrcConfig):
        first = max(1, round(config.reconnect.total_seconds()))
        return irc.bot.ExponentialBackoff(min_interval=first, max_interval=MAX_BACKOFF)

    def _heard(self, connection, event) -> None:
        self.last_heard, self.pinged = time.monotonic(), False

    def on_welcome(self, connection, event) -> None:
        self.recon = self._backoff(self.config)  # the library's attempt count never resets
        for channel in self.config.channels:
            connection.join(channel)
        self.link.up(f"connected to {self.config.host}")

    def on_join(self, connection, event) -> None:
        if event.source.nick == connection.get_nickname():
            self.link.note(f"joined {event.target}")

    def on_nicknameinuse(self, connection, event) -> None:
        connection.nick(connection.get_nickname()[:28] + "_")

    def on_login_failed(self, connection, event) -> None:
        self.stopping = True  # the library would go on unauthenticated: a wrong account, stop
        said = event.arguments or event.target  # irc 20.5 passes the server's words as target
        reason = " ".join(said) if isinstance(said, list) else str(said or "refused")
        self.link.failed(f"SASL login as {self.config.account} failed: {reason}")
        connection.disconnect("")

    def on_error(self, connection, event) -> None:
        self.link.note("server said: " + clean_text(" ".join(event.arguments), 200)[0])

    def on_bannedfromchan(self, connection, event) -> None:
        self._refused(event, "banned")

    def on_inviteonlychan(self, connection, event) -> None:
        self._refused(event, "invite only")

    def on_badchannelkey(self, connection, event) -> None:
        self._refused(event, "needs a key")

    def _refused(self, event, why: str) -> None:
        channel = event.arguments[0] if event.arguments else "?"
        self.link.warn(f"cannot join {channel}: {why}")

    def on_kick(self, connection, event) -> None:
        if event.arguments and event.arguments[0] == connection.get_nickname():
            self.link.warn(f"kicked from {event.target} by {event.source.nick}")

    def on_ctcp(self, connection, event) -> None:
        """Never answered (the library would answer VERSION and PING); /me is chat."""
        if not event.arguments or event.arguments[0] != "ACTION":
            self.link.skip("CTCP request")

    def on_pubmsg(self, connection, event) -> None:
        self._said(event, event.arguments[0])

    def on_action(self, connection, event) -> None:
        if irc.client.is_channel(event.target):
            self._said(event, "\x01ACTION " + (event.arguments[0] if event.arguments else ""))

    def _said(self, event, raw: str) -> None:
        found = irc_text(raw, self.limit)
        if found is None:
            self.link.skip("CTCP request")
            return
        text, cut = found
        if not text:
            self.link.skip("empty after cleaning")
            return
        when, nick = self.link.now(), event.source.nick
        ident = message_id(self.config.name, event.target.lower(), nick, when.isoformat(), text)
        self.link.add(Message(ident, "irc", self.config.name, event.target, nick, when, text,
                              None, cut))  # fmt: skip

    def _on_disconnect(self, connection, event) -> None:
        if self.stopping:
            return
        self.link.down(self.why or " ".join(event.arguments) or "disconnected")
        self.why = None
        super()._on_disconnect(connection, event)

    def run(self, running) -> None:
        """Connect, listen while `running()`, and leave with QUIT."""
        self.link.connecting(f"{self.config.host}:{self.server_list_port()}")
        self._connect()
        idle = self.config.idle_timeout.total_seconds()
        while running():
            self.reactor.process_once(0.2)
            self.link.publish()
            quiet = time.monotonic() - self.last_heard
            if self.connection.is_connected() and quiet > idle / 2 and not self.pinged:
                self.connection.ping(self.connection.server)  # answered by any live server
                self.pinged = True
            elif self.connection.is_connected() and quiet > idle:
                self.connection.disconnect("")  # a half-open link: reconnect
        self.stopping = True
        if self.connection.is_connected():
            self.connection.disconnect("")
        self.link.stopped()

    def server_list_port(self) -> int:
        return self.config.port or (6697 if self.config.tls else 6667)

    def _connect(self) -> None:
        self.last_heard, self.pinged = time.monotonic(), False
        super()._connect()


def listen(config: IrcConfig, link, limit: int, stop: threading.Event) -> None:
    """Run one IRC network's listener until `stop` is set (or the link loses its lead)."""
    Listener(config, link, limit).run(lambda: not stop.is_set() and link.running())
