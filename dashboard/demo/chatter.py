"""The demo's chatter: five weeks of generated talk, then live talk through local stand-ins.

Generated people talk in two IRC channels, on Mastodon tags and on Bluesky about products,
CVEs and ransomware gangs at a steady rate; since yesterday evening the SAP NetWeaver
exploitation (CVE-2025-31324) takes off in chat some hours before the demo news carry it.
History is written straight into the store (what the live connections would have stored);
from then on the real transports run: socwall's IRC listener joins a local IRC server, the
Mastodon source polls a local API replay, the Jetstream client reads a local replay, and a
talker thread keeps all three busy.
"""

import logging
import threading
from datetime import UTC, datetime, timedelta

import numpy as np

from socwall.dashboard.demo.chat_servers import JetstreamReplay, LocalIrc, MastodonReplay
from socwall.dashboard.live import LiveSources
from socwall.feeds.chat_message import Message, message_id
from socwall.feeds.chat_sink import KIND

log = logging.getLogger(__name__)
IRC_PORT, MASTODON_PORT, JETSTREAM_PORT = 16667, 18082, 18083  # as config.yaml's chatter says
HISTORY = timedelta(days=35)
PEOPLE = ["mk", "anna_n", "ruben", "ioc_hunter", "blue_kai", "sarah_dfir", "tomw", "pwnfox",
          "lena", "jdoe", "marco", "yuki"]  # fmt: skip
EVERYDAY = [
    "anyone else seeing {thing} noise in the proxy logs today?",
    "{thing}: advisory out, no exploitation seen so far",
    "patched {thing} on the test boxes, prod tonight",
    "LockBit leak site lists another manufacturer",
    "Akira ransomware affiliates still going after VPNs without MFA",
    "coffee first, then triage",
    "new Sigma rule for {thing} in the team repo",
    "Citrix Bleed CVE-2023-4966 scans from the usual ASNs",
    "PAN-OS CVE-2024-3400 honeypot hits are down this week",
    "quiet night, two phishing reports, both blocked",
]  # fmt: skip
THINGS = ["Ivanti Connect Secure CVE-2025-0282", "FortiOS CVE-2024-55591", "PAN-OS",
          "MOVEit Transfer", "Confluence", "Exchange Server"]  # fmt: skip
SURGE = [
    "SAP NetWeaver Visual Composer CVE-2025-31324: web shells in servlet_jsp, check yours",
    "seeing POSTs to /developmentserver/metadatauploader on SAP NetWeaver",
    "CVE-2025-31324 is an unauthenticated upload, CVSS 10, patch 3594142",
    "our SAP team confirms: NetWeaver Visual Composer is installed on two hosts",
    "IOC list for the SAP NetWeaver web shells is up on the MISP",
    "CVE-2025-31324 exploitation from at least 3 ASNs since last night",
]  # fmt: skip


def conversation(anchor: datetime, seed: int) -> list[tuple[datetime, str, str]]:
    """(time, person, text) for five weeks up to `anchor`: everyday talk, and the surge."""
    rng = np.random.default_rng([seed, 27])
    lines = []
    moment = anchor - HISTORY
    while moment < anchor:
        moment += timedelta(minutes=float(rng.exponential(40)))
        text = EVERYDAY[rng.integers(len(EVERYDAY))].format(
            thing=THINGS[rng.integers(len(THINGS))])
        lines.append((moment, PEOPLE[rng.integers(len(PEOPLE))], text))
    for n in range(30):  # from 22 h ago, faster towards now: chat before the news (17.5 h)
        ago = timedelta(hours=22 * (1 - (n / 30) ** 0.7))
        lines.append((anchor - ago, PEOPLE[(n * 5) % len(PEOPLE)], SURGE[n % len(SURGE)]))
    return sorted(line for line in lines if line[0] < anchor)


def history_records(config, lines) -> list[dict]:
    """The conversation spread over the source's IRC channels, Mastodon tags and Bluesky."""
    places = [("irc", c.name, channel) for c in config.irc for channel in c.channels]
    places += [("mastodon", c.name, f"#{tag}") for c in config.mastodon for tag in c.tags]
    places += [("bluesky", c.name, c.name) for c in config.bluesky]
    records = []
    for n, (moment, person, text) in enumerate(lines):
        source, via, channel = places[(n * 7) % len(places)]
        author = _author(source, person)
        records.append(Message(message_id("demo", str(n)), source, via, channel, author, moment,
                               text, _url(source, person, n)).record())  # fmt: skip
    return records


def _author(source: str, person: str) -> str:
    return {"irc": person, "mastodon": f"{person}@infosec.example"}.get(
        source, f"did:plc:{message_id('demo', person)[:24]}")


def _url(source: str, person: str, n: int) -> str | None:
    if source == "mastodon":
        return f"https://infosec.example/@{person}/{113800000000000000 + n}"
    return f"https://bsky.app/profile/{_author(source, person)}/post/3demo{n}" \
        if source == "bluesky" else None  # fmt: skip


class DemoChatter:
    """The stand-in servers, the live connections and a talker that keeps them busy."""

    def __init__(self, config, chats: list, store, clock, seed: int,
                 every: tuple[float, float] = (4, 12)):  # fmt: skip
        self.rng, self.every = np.random.default_rng([seed, 28]), every
        self.stop = threading.Event()
        self.irc = _started(LocalIrc, IRC_PORT)
        tags = {f"tag:{t}": [] for chat in chats for c in chat.mastodon for t in c.tags}
        self.mastodon = _started(MastodonReplay, tags, MASTODON_PORT)
        self.jetstream = _started(JetstreamReplay, [], JETSTREAM_PORT)
        self.channels = [ch for chat in chats for c in chat.irc for ch in c.channels] or ["#soc"]
        self.live = LiveSources(config, store, clock)
        self.live.start()
        threading.Thread(target=self._talk, name="demo-talker", daemon=True).start()

    def _talk(self) -> None:
        n = 0
        while not self.stop.wait(float(self.rng.uniform(*self.every))):
            n += 1
            person = PEOPLE[self.rng.integers(len(PEOPLE))]
            pool = SURGE if self.rng.random() < 0.35 else EVERYDAY
            text = pool[self.rng.integers(len(pool))].format(thing=THINGS[n % len(THINGS)])
            try:
                self._say(n, person, text)
            except Exception:  # a stand-in went away: the source shows it, the demo goes on
                log.debug("demo talker could not say line %d", n, exc_info=True)

    def _say(self, n: int, person: str, text: str) -> None:
        where, now = n % 4, datetime.now(UTC)
        if where < 2 and self.irc:
            self.irc.say(person, self.channels[n % len(self.channels)], text)
        elif where == 2 and self.mastodon and self.mastodon.statuses:
            tag = sorted(self.mastodon.statuses)[n % len(self.mastodon.statuses)]
            self.mastodon.statuses[tag].append(_status(n, person, text, now))
        elif self.jetstream:
            self.jetstream.add(_post(n, person, text, now))

    def close(self) -> None:
        self.stop.set()
        self.live.stop()
        for server in (self.irc, self.mastodon, self.jetstream):
            if server:
                server.close()


def _status(n: int, person: str, text: str, now: datetime) -> dict:
    """A status in the Mastodon API's shape (entities/Status)."""
    ident = str(113900000000000000 + n)
    return {"id": ident, "created_at": now.isoformat().replace("+00:00", "Z"),
            "uri": f"https://infosec.example/users/{person}/statuses/{ident}",
            "url": f"https://infosec.example/@{person}/{ident}", "content": f"<p>{text}</p>",
            "spoiler_text": "", "reblog": None, "edited_at": None, "visibility": "public",
            "account": {"acct": f"{person}@infosec.example", "username": person}}  # fmt: skip


def _post(n: int, person: str, text: str, now: datetime) -> dict:
    """A Jetstream v1 commit event of a new post."""
    return {"did": _author("bluesky", person), "time_us": int(now.timestamp() * 1e6),
            "kind": "commit", "commit": {"rev": f"3demo{n}", "operation": "create",
            "collection": "app.bsky.feed.post", "rkey": f"3live{n}",
            "record": {"$type": "app.bsky.feed.post", "text": text, "langs": ["en"],
                       "createdAt": now.isoformat()}}}  # fmt: skip


def _started(server_class, *args):
    try:
        return server_class(*args)
    except OSError as error:
        log.warning("demo chatter: %s not started: %s", server_class.__name__, error)
        return None


def start_demo_chatter(config, store, clock, seed: int, **talk) -> DemoChatter | None:
    """Five weeks of chatter in the store for each chat source, then the live demo."""
    sources = {sid: s for sid, s in config.sources.items() if s.type == "chat"}
    if not sources:
        return None
    anchor = clock.now()
    for source_id, source in sources.items():
        records = history_records(source, conversation(anchor, seed))
        store.add_records(source_id, KIND, records, anchor, source.retention, id_field="id")
        store.write_document(source_id, "coverage", {"since": (anchor - HISTORY).isoformat()})
        log.info("demo chatter: %s messages written to %s", f"{len(records):,}", source_id)
    return DemoChatter(config, list(sources.values()), store, clock, seed, **talk)
