"""IRC against Debian's real ngircd: lines counted exactly, a restart loses or doubles nothing
it had seen; the text hygiene on real protocol bytes."""

import re
from datetime import UTC, datetime

import pytest

from socwall.dashboard.clock import Clock
from socwall.dashboard.config import parse_config
from socwall.dashboard.jobs import run_panel
from socwall.feeds import chat
from socwall.feeds.chat_irc_lines import decode_line, irc_text
from socwall.feeds.chat_sink import status_name
from tests.feeds.chat_live import Running, stored, wait_until
from tests.feeds.ngircd import Ngircd, Talker


@pytest.fixture
def ngircd(tmp_path):
    server = Ngircd(tmp_path)
    yield server
    server.stop()


def irc_source(port: int, **extra) -> chat.ChatConfig:
    return chat.ChatConfig(type="chat", irc=[{
        "name": "testnet", "host": "127.0.0.1", "port": port, "tls": False, "nick": "socwall",
        "channels": ["#soc"], "reconnect": "1s", **extra}])  # fmt: skip


def test_lines_are_stored_once_each_across_a_server_restart_and_the_panel_counts_them(
        ngircd, store, redis_url):  # fmt: skip
    running = Running(irc_source(ngircd.port), store)
    alice = Talker(ngircd.port, "alice")
    try:
        alice.wait_for("socwall")
        first = [b"CVE-2024-3400 on PAN-OS GlobalProtect", b"\x02\x0304CVE-2025-0282\x0f Ivanti Connect Secure caf\xe9",
                 b"\x01ACTION saw Citrix Bleed CVE-2023-4966 scans\x01", b"\x01VERSION\x01",
                 b"zero\xe2\x80\x8bwidth \xe2\x80\xaeoverride"]  # fmt: skip
        alice.say(*first)
        wait_until(lambda: len(stored(store)) == 4, what="4 lines stored")
        ngircd.restart()  # every client gets ERROR and EOF; IRC replays nothing
        alice.close()
        bob = Talker(ngircd.port, "bob")
        bob.wait_for("socwall")  # the listener is back in #soc: what is said now is heard
        bob.say(b"SAP NetWeaver CVE-2025-31324 web shells", b"FortiOS CVE-2024-55591 again")
        wait_until(lambda: len(stored(store)) == 6, what="6 lines stored")
        bob.close()
    finally:
        running.close()
    texts = [r["text"] for r in stored(store)]
    assert texts == [
        "CVE-2024-3400 on PAN-OS GlobalProtect",
        "CVE-2025-0282 Ivanti Connect Secure café",
        "* saw Citrix Bleed CVE-2023-4966 scans",
        "zerowidth override",
        "SAP NetWeaver CVE-2025-31324 web shells",
        "FortiOS CVE-2024-55591 again",
    ]
    assert [r["author"] for r in stored(store)] == ["alice"] * 4 + ["bob"] * 2
    assert {(r["source"], r["channel"], r["via"]) for r in stored(store)} == {("irc", "#soc", "testnet")}
    status = store.document("chatter", status_name("testnet"))
    assert status["state"] == "stopped" and status["stored"] == 6 and status["reconnects"] == 1
    assert status["skipped"] == {"CTCP request": 1, "not UTF-8 (read as CP1252)": 1}
    [outage] = status["outages"]  # the span during which lines said in #soc were lost
    assert outage["start"] < outage["end"]
    rows = panel_rows(store, redis_url)
    for label, row in rows.items():  # against a plain substring count over what was said
        names = [label.lower(), *(c.lower() for c in row["cves"])]
        assert row["mentions"] == sum(any(n in t.lower() for n in names) for t in texts), label
    assert set(rows) == {"CVE-2024-3400", "PAN-OS", "CVE-2025-0282", "Ivanti Connect Secure",
                         "Citrix Bleed", "SAP NetWeaver", "CVE-2025-31324", "FortiOS", "CVE-2024-55591"}
    named = {c for t in texts for c in re.findall(r"CVE-\d{4}-\d+", t)}
    assert {c for label, r in rows.items() for c in (r["cves"] or [label]) if c.startswith("CVE")} == named


def panel_rows(store, redis_url) -> dict:
    """The chatter panel computed by the job runner over what the source stored."""
    raw = {"store": {"url": redis_url, "prefix": store.keys.prefix},
           "sources": {"chatter": {"type": "chat", "irc": [
               {"name": "testnet", "host": "127.0.0.1", "channels": ["#soc"]}]}},
           "pages": [{"id": "p", "title": "P", "panels": [
               {"id": "talk", "widget": "chatter", "title": "Chatter", "source": "chatter", "at": [1, 1],
                "options": {"subjects": 20, "products": ["PAN-OS", "Ivanti Connect Secure",
                                                         "SAP NetWeaver", "FortiOS"]}}]}]}  # fmt: skip
    config = parse_config(raw)
    meta = run_panel(config, config.panels()[0], store, Clock())
    assert meta["status"] == "ok", meta
    return {row["label"]: row for row in store.panel_data("talk")["subjects"]}


def test_the_source_job_reports_the_live_connection_and_counts_once(ngircd, store):
    config = irc_source(ngircd.port)
    source = chat.Source(config, "chatter")
    with pytest.raises(ValueError, match="not listening"):  # no thread: no claim of silence
        source.ingest(store, datetime.now(UTC))
    running = Running(config, store)
    alice = Talker(ngircd.port, "alice")
    try:
        alice.wait_for("socwall")
        alice.say(b"one CVE-2021-44228", b"two")
        wait_until(lambda: len(stored(store)) == 2, what="2 lines")
        wait_until(lambda: store.document("chatter", status_name("testnet"))["stored"] == 2,
                   what="the status says 2")  # fmt: skip
        stats = source.ingest(store, datetime.now(UTC))
        assert stats["rows"] == 2 and stats["connections"] == {"testnet": "connected"}
        assert source.ingest(store, datetime.now(UTC))["rows"] == 0  # reported once
    finally:
        alice.close()
        running.close()


def test_irc_text_strips_formatting_and_drops_ctcp_requests():
    assert irc_text("\x02\x0304,01CVE-2025-0282\x0f Ivanti", 100) == ("CVE-2025-0282 Ivanti", False)
    assert irc_text("\x0312,345 x", 100) == ("5 x", False)  # colour 12 on 34, then '5'
    assert irc_text("\x04FF0000,00FF00hex\x04 ok", 100) == ("hex ok", False)
    assert irc_text("\x01ACTION looks at CVE-2024-3400\x01", 100) == ("* looks at CVE-2024-3400", False)
    assert irc_text("\x01VERSION\x01", 100) is None
    assert irc_text("a\u202eb\u200bc\x00d", 100) == ("abcd", False)
    assert irc_text("x" * 150, 100) == ("x" * 100, True)


def test_lines_decode_as_utf8_else_cp1252():
    assert decode_line(b"caf\xc3\xa9") == ("café", False)
    assert decode_line(b"caf\xe9 \x80uro") == ("café €uro", True)  # mIRC's CP1252, not C1 codes
    assert decode_line(b"bad \x81") == ("bad \ufffd", True)  # one of the 5 bytes CP1252 leaves out


def test_tls_with_the_server_certificate_verified_and_an_untrusted_one_said_in_words(tmp_path, store):
    server = Ngircd(tmp_path, tls=True)
    try:
        trusted = irc_source(server.tls_port, tls=True, ca_file=str(server.cert))
        running = Running(trusted, store)
        alice = Talker(server.port, "alice")  # plain port: the same network
        try:
            alice.wait_for("socwall")
            alice.say(b"over TLS: CVE-2024-3400")
            wait_until(lambda: [r["text"] for r in stored(store)] == ["over TLS: CVE-2024-3400"],
                       what="the line read over TLS")  # fmt: skip
        finally:
            alice.close()
            running.close()
        untrusted = Running(irc_source(server.tls_port, tls=True), store, source_id="other")
        try:
            wait_until(lambda: (store.document("other", status_name("testnet")) or {}).get("error"),
                       what="the refusal in words")  # fmt: skip
        finally:
            untrusted.close()
        error = store.document("other", status_name("testnet"))["error"]
        assert error.startswith(f"cannot connect to 127.0.0.1:{server.tls_port}: TLS certificate "
                                "not trusted (self-signed certificate")  # fmt: skip
    finally:
        server.stop()
