"""What chat messages are about, through the news feeds' own subject finder (one pipeline).

A message is read like a headline by `feeds/subjects.py`: products and vendors (the KEV
catalog, the inventory, configured names), actors, malware and campaigns, vulnerability
nicknames, and CVE ids. A CVE is counted under the subject the finder gives it (its nickname
or product) when the message names that subject too, else as a subject of its own. The
finder's rare capitalised words (kind "name") are left out: they read headlines, and chat
capitalises its vocabulary ("IOC", "MISP", "ASNs").
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from socwall.feeds.feed_parse import find_cves
from socwall.feeds.subjects import Finder, Subject


@dataclass
class Mentions:
    """The messages that name one subject, and the CVE ids they name with it."""

    subject: Subject
    messages: list[dict] = field(default_factory=list)
    cves: set[str] = field(default_factory=set)

    @property
    def authors(self) -> int:
        return len({m["author"] for m in self.messages})

    @property
    def first(self) -> str:
        return min(m["time"] for m in self.messages)

    @property
    def latest(self) -> str:
        return max(m["time"] for m in self.messages)


def subjects_of(message: dict, finder: Finder) -> dict[str, tuple[Subject, set[str]]]:
    """The subjects one message names, by key, each with the CVE ids counted under it."""
    text = message["text"]
    cves = find_cves(text)
    named = finder.find({"title": text, "summary": "", "cves": cves})
    found = {key: (subject, set()) for key, subject in named.items() if subject.kind != "name"}
    for cve in cves:
        owner = finder.by_cve.get(cve)
        if owner is not None and owner.key in found:
            found[owner.key][1].add(cve)
        else:
            found[cve] = (Subject(cve, cve, "cve", cves=(cve,)), {cve})
    return found


def mentions(messages: Iterable[dict], finder: Finder) -> dict[str, Mentions]:
    """Per subject key, the messages naming it (each message once per subject)."""
    found: dict[str, Mentions] = {}
    for message in messages:
        for key, (subject, cves) in subjects_of(message, finder).items():
            entry = found.setdefault(key, Mentions(subject))
            entry.messages.append(message)
            entry.cves |= cves
    return found


def cve_sightings(messages: Iterable[dict]) -> dict[str, int]:
    """How many messages name each CVE id."""
    counts: dict[str, int] = {}
    for message in messages:
        for cve in find_cves(message["text"]):
            counts[cve] = counts.get(cve, 0) + 1
    return counts
