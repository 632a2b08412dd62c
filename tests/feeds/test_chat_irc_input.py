"""IRC bad input against a local stand-in server: a 64 KB line, control and colour codes,
malformed UTF-8, a flood, a silent link, SASL; and the listener never says anything."""

import time

import pytest

from socwall.dashboard.demo.chat_servers import LocalIrc
from socwall.feeds import chat
from socwall.feeds.chat_sink import status_name
from tests.feeds.chat_live import Running, stored, wait_until


@pytest.fixture
def irc():
    server = LocalIrc()
    yield server
    server.close()


def listen(irc, store, **extra):
    connection = {"name": "local", "host": "127.0.0.1", "port": irc.port, "tls": False,
                  "channels": ["#soc"], "reconnect": "1s", **extra.pop("connection", {})}  # fmt: skip
    config = chat.ChatConfig(type="chat", irc=[connection], **extra)
    running = Running(config, store)
    wait_until(lambda: irc.joined("#soc"), what="the listener in #soc")
    return running


def status(store) -> dict:
    return store.document("chatter", status_name("local"))


def test_oversized_unreadable_and_garbled_lines_are_skipped_counted_and_the_rest_stored(irc, store):
    running = listen(irc, store)
    try:
        irc.say("mallory", "#soc", b"A" * 65536)  # 64 KB: no IRC line is that long
        irc.send(b" no command, a leading space\r\n")
        irc.say("eve", "#soc", b"\x0304,01red\x03 \x1fCVE-2024-3400\x1f \x00\x07bell \xff\xfe")
        irc.say("eve", "#soc", "\u202egnp.exe\u202c benign".encode())
        irc.say("eve", "#soc", b"last line")
        wait_until(lambda: len(stored(store)) == 3, what="3 lines")
        time.sleep(0.3)  # nothing more arrives (the long line is not stored late)
        assert [r["text"] for r in stored(store)] == [
            "red CVE-2024-3400 bell ÿþ", "gnp.exe benign", "last line"]
        running.stop.set()
        wait_until(lambda: status(store)["state"] == "stopped", what="stopped")
        assert status(store)["skipped"] == {"oversized": 1, "unreadable": 1,
                                            "not UTF-8 (read as CP1252)": 1}
    finally:
        running.close()


def test_a_flood_is_capped_at_max_rate_and_the_rest_counted(irc, store):
    running = listen(irc, store, max_rate=100)
    try:
        started = time.monotonic()
        irc.send(b"".join(b":flood!u@h PRIVMSG #soc :line %d\r\n" % n for n in range(5000)))
        flood = "over 100 a minute (flood)"
        wait_until(lambda: status(store)["stored"] + status(store)["skipped"].get(flood, 0) == 5000,
                   what="every line stored or counted")  # fmt: skip
        elapsed = time.monotonic() - started
        kept = len(stored(store))
        assert 100 <= kept <= 100 + elapsed * 100 / 60 + 1
        assert [r["text"] for r in stored(store)][:100] == [f"line {n}" for n in range(100)]
        irc.say("alice", "#soc", "still listening")
        running.stop.set()
    finally:
        running.close()
    assert status(store)["state"] == "stopped"


def test_the_listener_sends_only_what_the_protocol_needs(irc, store):
    running = listen(irc, store)
    try:
        irc.say("eve", "#soc", b"\x01VERSION\x01")
        irc.send(b":eve!u@h PRIVMSG socwall :hello? who are you\r\n")
        irc.send(b":eve!u@h PRIVMSG socwall :\x01PING 123\x01\r\n")
        irc.send(b"PING :local\r\n")
        wait_until(lambda: any(h.startswith(b"PONG") for h in irc.heard), what="PONG")
        irc.say("eve", "#soc", b"done")
        wait_until(lambda: len(stored(store)) == 1, what="1 line")
    finally:
        running.close()
    verbs = {line.split(b" ")[0] for line in irc.heard}
    assert verbs <= {b"NICK", b"USER", b"JOIN", b"PONG", b"PING", b"QUIT"}, verbs
    assert [r["text"] for r in stored(store)] == ["done"]  # private messages are no chatter


def test_a_silent_link_is_pinged_then_dropped_and_joined_again(irc, store):
    running = listen(irc, store, connection={"idle_timeout": "2s"})
    try:
        irc.mute = True  # half-open: the TCP link stays, nothing answers
        wait_until(lambda: any(h.startswith(b"PING") for h in irc.heard), what="our PING")
        wait_until(lambda: status(store)["state"] == "reconnecting", what="dropped")
        irc.mute = False
        wait_until(lambda: status(store)["state"] == "connected" and irc.joined("#soc"),
                   what="joined again")  # fmt: skip
        assert status(store)["reconnects"] == 1 and len(status(store)["outages"]) == 1
    finally:
        running.close()


@pytest.mark.parametrize("password, joins", [("s3cret", True), ("wrong", False)])
def test_sasl_plain_logs_in_and_a_refused_login_stops_without_joining(store, password, joins):
    irc = LocalIrc(sasl={"socwall": "s3cret"})
    connection = {"name": "local", "host": "127.0.0.1", "port": irc.port, "tls": False,
                  "channels": ["#soc"], "account": "socwall", "password": password}  # fmt: skip
    running = Running(chat.ChatConfig(type="chat", irc=[connection]), store)
    try:
        if joins:
            wait_until(lambda: irc.joined("#soc"), what="joined after SASL")
        else:
            wait_until(lambda: (status(store) or {}).get("state") == "failed", what="failed")
            assert status(store)["error"] == "SASL login as socwall failed: SASL authentication failed"
            time.sleep(1.5)  # no retry, no JOIN
            assert not any(h.startswith(b"JOIN") for h in irc.heard)
    finally:
        running.close()
        irc.close()
    assert b"AUTHENTICATE PLAIN" in irc.heard
    assert not any(h.startswith(b"PASS") for h in irc.heard)  # the password only inside SASL
