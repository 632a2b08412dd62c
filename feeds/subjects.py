"""The subjects a feed entry is about: named things, never the vocabulary of security news.

A subject is a product or vendor (the KEV catalog, the inventory, configured names), a threat
actor, malware, tool or campaign (MITRE ATT&CK and MISP galaxy names, feeds/data/names.tsv),
a vulnerability's nickname ("ToolShell", with its CVEs, feeds/data/nicknames.tsv), a package
an advisory is about ("[org.keycloak:keycloak-services] Keycloak ..."), or a rare capitalised
name in a headline ("Clorox", "Cognizant"). Names are matched on whole words, longest first;
a name that is also an ordinary word ("Play", "Royal") only next to a word saying what it is
("Play ransomware", "Group: play").
"""

import re
from dataclasses import dataclass, field
from functools import lru_cache

from socwall.feeds.feed_parse import find_cves
from socwall.feeds.subjects_text import (
    _data,
    background,
    fold,
    read_table,
    squash,
    tokens,
)

KIND_WORDS = frozenset(fold(w) for w in """ransomware gang group malware botnet apt actor hackers
stealer infostealer loader rat backdoor trojan campaign operators affiliates variant worm wiper
spyware crew extortion leak""".split())  # fmt: skip
SPECIFIC = {"nickname": 5, "cve": 4, "actor": 4, "malware": 4, "ransomware": 4, "campaign": 4,
            "tool": 3, "package": 3, "product": 3, "name": 2, "vendor": 1}  # fmt: skip
RARE_DOCUMENTS = 3  # a capitalised word in this many background headlines or fewer is a name
LIST_SPLIT = re.compile(r",\s*(?:and\s+)?|\s+and\s+|\s*&\s*")  # not '/': 'HTTP/2', 'TCP/IP'
PACKAGE = re.compile(r"^\[([^\]\s]{2,120})\]\s*")
GENERIC_PRODUCTS = frozenset("""core kernel project frontend backend server windows office
framework platform gateway router firmware client manager portal console agent suite library
plugin api app web cloud system systems database browser toolkit os multiple products engine
service services""".split())  # fmt: skip


@dataclass(frozen=True)
class Subject:
    """A named thing an entry is about; `key` joins its spellings ('Craft CMS' = 'CraftCMS')."""

    key: str
    label: str
    kind: str
    product: str = ""  # the product a nickname or a CVE concerns
    cves: tuple[str, ...] = ()
    ours: bool = False  # a product of our inventory
    needs_context: bool = False  # an ordinary word too: only next to 'ransomware', 'group'...
    needs_capital: bool = False  # written with a capital, or next to such a word


@lru_cache(maxsize=1)
def ordinary_words() -> frozenset[str]:
    """Words that are ordinary English or used in lower case in security news."""
    found = set()
    for name in ("ordinary_words.txt", "english_words.txt"):
        found |= {w for w in _data(name).split() if not w.startswith("#")}
    return frozenset(found)


def is_rare(word: str) -> bool:
    """Hardly ever in security headlines (the shipped background): a name, not vocabulary."""
    return (
        background()[1].get(fold(word), 0) <= RARE_DOCUMENTS and fold(word) not in ordinary_words()
    )


def name_key(name: str) -> str:
    """One key for every spelling of a name: 'Craft CMS', 'CraftCMS' -> 'craftcm'."""
    return fold(squash(tokens(name)))


@dataclass
class Finder:
    """Finds subjects in entries; built once per computation from the tables and the config."""

    index: dict[tuple[str, ...], Subject] = field(default_factory=dict)
    squashed: dict[str, Subject] = field(default_factory=dict)
    by_cve: dict[str, Subject] = field(default_factory=dict)
    longest: int = 1

    def add(self, name: str, subject: Subject, context_free: bool = False) -> None:
        words = tuple(fold(t) for t in tokens(name))
        if not words or (len(words) == 1 and len(words[0]) < 3):
            return
        if not context_free:
            plain = all(w in ordinary_words() for w in words)
            subject = Subject(**{**subject.__dict__,
                                 "needs_context": len(words) == 1 and (plain or len(words[0]) <= 3),
                                 "needs_capital": plain or len(words) == 1})  # fmt: skip
        current = self.index.get(words)
        if current is None or SPECIFIC[subject.kind] > SPECIFIC[current.kind] or subject.ours:
            self.index[words] = subject
            self.squashed.setdefault(squash(words), subject)
        self.longest = max(self.longest, len(words))

    def find(self, entry: dict) -> dict[str, Subject]:
        """The subjects of one entry (title and summary), by key."""
        found: dict[str, Subject] = {}
        text = f"{entry['title']} . {entry.get('summary', '')}"
        for subject in self._names(tokens(text)) + self._package(entry["title"]):
            found.setdefault(subject.key, subject)
        for cve in entry.get("cves") or find_cves(text):
            if cve in self.by_cve:
                found.setdefault(self.by_cve[cve].key, self.by_cve[cve])
        for subject in capitalised_names(entry["title"]):
            if not any(subject.key in key or key in subject.key for key in found):
                found.setdefault(subject.key, subject)
        return found

    def _names(self, words: list[str]) -> list[Subject]:
        lowered = [fold(w) for w in words]
        hits, i = [], 0
        while i < len(words):
            for size in range(min(self.longest, len(words) - i), 0, -1):
                subject = self._lookup(tuple(lowered[i : i + size]))
                if subject and _fits(subject, words[i : i + size], _in_context(lowered, i, size)):
                    hits.append(subject)
                    i += size
                    break
            else:
                i += 1
        return hits

    def _lookup(self, words: tuple[str, ...]) -> Subject | None:
        subject = self.index.get(words)
        if subject is None and len(words) == 1:  # 'incransom', 'lockbit3', 'panos'
            squashed = squash(words)
            subject = self.squashed.get(squashed) or self.squashed.get(
                squashed.rstrip("0123456789")
            )
        return subject

    def _package(self, title: str) -> list[Subject]:
        """The package an advisory names in brackets, under the name its title gives it."""
        found = PACKAGE.match(title)
        if not found:
            return []
        package = found.group(1).lower()
        lead = []
        for word in tokens(title[found.end() :])[:4]:
            if word.lower() not in package or word.lower() in " ".join(lead).lower():
                break
            lead.append(re.split(r"[/:]", word)[-1])
        name = " ".join(lead) or re.split(r"[/:]", re.sub(r"/v\d+$", "", package))[-1]
        key = name_key(name)
        known = self._lookup(tuple(fold(w) for w in tokens(name)))
        return [known] if known else [Subject(key, name, "package")]


def _fits(subject: Subject, written: list[str], context: bool) -> bool:
    """A name that is also a word counts next to a kind word ('Play ransomware'); a plain
    name counts written with a capital ('Akira', not 'unsafe') or next to a kind word."""
    if context or not (subject.needs_context or subject.needs_capital):
        return True
    return not subject.needs_context and all(w != w.lower() for w in written)


def _in_context(words: list[str], start: int, size: int) -> bool:
    near = words[max(0, start - 1) : start] + words[start + size : start + size + 1]
    return any(w in KIND_WORDS for w in near)


def capitalised_names(title: str) -> list[Subject]:
    """Rare capitalised words of a headline, side by side ones joined: 'Clorox', 'MiVoice'."""
    words = tokens(PACKAGE.sub("", title))
    names, run = [], []
    for position, word in enumerate(words + [""]):
        capital = word[:1].isupper() or any(c.isupper() for c in word[1:])
        if (
            word
            and capital
            and word.isascii()
            and is_rare(word)
            and not _first_plain(position, word)
        ):
            run.append(word)
            continue
        if run:
            label = " ".join(run)
            strong = any(any(c.isupper() for c in w[1:]) for w in run) or len(run) > 1
            names.append(Subject(name_key(label), label, "name",
                                 needs_context=not strong))  # fmt: skip
            run = []
    return names


def _first_plain(position: int, word: str) -> bool:
    """The headline's first word capitalised only because it comes first."""
    return position == 0 and word[1:].islower()


def catalog_names(finder: Finder, records: list[dict]) -> None:
    """Vendors and products of the KEV catalog (a product field is a list: 'Connect Secure,
    Policy Secure, and ZTA Gateways'); a CVE of it names its first product."""
    for record in records:
        vendor = record["vendorProject"]
        finder.add(vendor, Subject(name_key(vendor), vendor, "vendor"))
        parts = [p.strip() for p in LIST_SPLIT.split(re.sub(r"\([^)]*\)", " ", record["product"]))]
        subjects = [_product(vendor, part) for part in parts if _is_product(part)]
        for part, subject in zip([p for p in parts if _is_product(p)], subjects, strict=True):
            finder.add(part, subject)
            finder.add(f"{vendor} {part}", subject, context_free=True)
        first = subjects[0] if subjects else _product(vendor, record["product"])
        finder.by_cve.setdefault(
            record["cveID"], Subject(**{**first.__dict__, "cves": (record["cveID"],)})
        )


def _is_product(part: str) -> bool:
    lowered = part.lower()
    return bool(part) and lowered not in GENERIC_PRODUCTS and not lowered.startswith("multiple")


def _product(vendor: str, part: str) -> Subject:
    """'NetWeaver' is a name; 'Connect Secure' (ordinary words) is 'Ivanti Connect Secure'."""
    plain = all(fold(w) in ordinary_words() for w in tokens(part))
    label = f"{vendor} {part}" if plain or part.lower() in GENERIC_PRODUCTS else part
    return Subject(name_key(label), label, "product", product=f"{vendor} {part}")


def shipped_names(finder: Finder) -> None:
    """Actors, malware, tools and campaigns; nicknames with their CVEs (they win on a CVE)."""
    for kind, label, aliases in read_table("names.tsv"):
        label = label.title() if label.islower() else label  # MISP writes some as 'lynx'
        subject = Subject(name_key(label), label, kind)
        for name in (label, *[a for a in aliases.split("|") if a]):
            finder.add(name, subject)
    for nickname, cves, product, aliases in read_table("nicknames.tsv"):
        subject = Subject(name_key(nickname), nickname, "nickname", product=product,
                          cves=tuple(cves.split("|")))  # fmt: skip
        for name in (nickname, *[a for a in aliases.split("|") if a]):
            finder.add(name, subject, context_free=True)
        for cve in subject.cves:
            finder.by_cve[cve] = subject


def build_finder(records: list[dict], ours: list[list[str]], extra: list[str]) -> Finder:
    """A finder for the shipped names, the catalog, our inventory (a list of names per item:
    the first is the label) and configured product names."""
    finder = Finder()
    shipped_names(finder)
    catalog_names(finder, records)
    for name in extra:
        finder.add(name, Subject(name_key(name), name, "product"), context_free=True)
    for names in ours:
        subject = Subject(name_key(names[0]), names[0], "product", product=names[0], ours=True)
        for name in names:
            finder.add(name, subject, context_free=True)
    return finder
