"""Which known-exploited vulnerabilities concern a product we run: whole names, aliases, words.

A name from the inventory ("Cisco IOS XE", "Citrix NetScaler ADC", "Ivanti Connect Secure")
means a catalog record when the product part of the name occurs *whole* in one of the
record's products, word for word: "Cisco IOS XE" is in "IOS and IOS XE" and in "IOS XE
Software" but never in "IOS", and "Cisco IOS" is not in "IOS XE Software": a product whose
name starts with another's is a product of its own (the table's `distinct` rows). The vendor,
when the name starts with one, must be the record's vendor. Renamed products and vendors are
the same name (feeds/data/kev_aliases.tsv): "NetScaler ADC" is "Application Delivery
Controller", "Ivanti" is "Pulse Secure". Case, hyphens ("PAN-OS" = "PANOS"), versions
("2019") and edition words ("Server", "Software") do not matter; a long word may be
misspelled by a letter ("Confluance").
"""

import difflib
import re
from collections import Counter
from functools import lru_cache

from pydantic import Field

from socwall.feeds.subjects_text import read_table
from socwall.types import Strict

EDITION_WORDS = frozenset(
    """software server servers appliance appliances edition suite platform
multiple products product the for of firmware devices device""".split()
)
LIST_SPLIT = re.compile(r",\s*(?:and\s+)?|\s+and\s+|\s*/\s*|\s*&\s*")


class InventoryItem(Strict):
    product: str = Field(description="as we call it, e.g. 'SAP NetWeaver'")
    aliases: list[str] = Field(default_factory=list, description="other names, e.g. 'PAN-OS'")
    hosts: list[str] = Field(default_factory=list, description="high-impact hosts that run it")


def words(text: str) -> tuple[str, ...]:
    """A name as words to compare: lower case, hyphenated words joined ('PAN-OS' -> 'panos'),
    versions and edition words dropped ('Exchange Server 2019' -> ('exchange',))."""
    joined = re.sub(r"(?<=[A-Za-z0-9])[-.](?=[A-Za-z0-9])", "", text.lower())
    found = re.findall(r"[a-z0-9]+", joined)
    kept = tuple(w for w in found if w not in EDITION_WORDS and not w.isdigit())
    return kept or tuple(w for w in found if not w.isdigit())


def product_names(product: str) -> list[tuple[str, ...]]:
    """The products one catalog field names: 'IOS, XR, and XE Software' -> ios, ios xr, ios xe;
    'Endpoint Manager Mobile (EPMM)' -> endpoint manager mobile, epmm."""
    abbreviations = re.findall(r"\(([^)]*)\)", product)
    parts = [p for p in LIST_SPLIT.split(re.sub(r"\([^)]*\)", " ", product)) if p.strip()]
    names = [words(p) for p in parts + abbreviations]
    first = names[0] if names else ()
    if len(first) == 1:  # 'IOS, XR, and XE': the later parts leave out the first word
        names += [first + n for n in names[1:] if n and n[0] != first[0]]
    return [n for n in names if n]


def _similar(ours: str, theirs: str) -> bool:
    """The same word, or a long word misspelled by a letter ('confluance'); never a word with
    a letter in front ('vcenter' is not 'center')."""
    if ours == theirs:
        return True
    return (
        min(len(ours), len(theirs)) >= 6
        and abs(len(ours) - len(theirs)) <= 1
        and ours[0] == theirs[0]
        and difflib.SequenceMatcher(None, ours, theirs).ratio() >= 0.85
    )


def occurs(part: tuple[str, ...], whole: tuple[str, ...]) -> bool:
    """Does `part` occur in `whole` as whole words, in order, side by side?"""
    n = len(part)
    return any(
        all(_similar(a, b) for a, b in zip(part, whole[i : i + n], strict=True))
        for i in range(len(whole) - n + 1)
    )


@lru_cache(maxsize=1)
def aliases() -> dict[str, list[list[tuple[str, ...]]]]:
    """kind -> groups of names meaning the same vendor or product (shipped table)."""
    groups: dict[str, list[list[tuple[str, ...]]]] = {"vendor": [], "product": [], "distinct": []}
    for kind, names in read_table("kev_aliases.tsv"):
        groups[kind].append([words(n) for n in names.split("|")])
    return groups


def occurs_as_itself(product: tuple[str, ...], part: tuple[str, ...]) -> bool:
    """`occurs`, except where the words go on into a product of its own ('ios' in 'ios xe')."""
    longer = [d for group in aliases()["distinct"] for d in group]
    longer = [d for d in longer if len(d) > len(product) and d[: len(product)] == product]
    n = len(product)
    return any(
        occurs(product, part[i : i + n]) and not any(part[i : i + len(d)] == d for d in longer)
        for i in range(len(part) - n + 1)
    )


def _replace(name: tuple[str, ...], old: tuple[str, ...], new: tuple[str, ...]):
    n = len(old)
    for i in range(len(name) - n + 1):
        if name[i : i + n] == old:
            return name[:i] + new + name[i + n :]
    return None


def variants(name: str) -> set[tuple[str, ...]]:
    """The name and the same name with a renamed vendor or product written the other way."""
    found = {words(name)}
    for group in aliases()["vendor"] + aliases()["product"]:
        for current in list(found):
            for old in group:
                replaced = [_replace(current, old, new) for new in group if new != old]
                found |= {r for r in replaced if r}
    return found


class Catalog:
    """The KEV records, ready to say which of them an inventory name means."""

    def __init__(self, records: list[dict]):
        self.records = records
        self.parts = [product_names(r["product"]) for r in records]
        self.vendor_words = [self._vendor_names(r["vendorProject"]) for r in records]
        self.vendors = {v for names in self.vendor_words for v in names}

    @staticmethod
    def _vendor_names(vendor: str) -> set[tuple[str, ...]]:
        names = {words(vendor)} | {words(p) for p in re.findall(r"\(([^)]*)\)", vendor)}
        for group in aliases()["vendor"]:
            if names & set(group):
                names |= set(group)
        return names

    def _split(self, name: tuple[str, ...]) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
        """(vendor, product) of a name: its longest leading words that are a catalog vendor."""
        for size in range(len(name), 0, -1):
            if name[:size] in self.vendors:
                return name[:size], name[size:] or name
        return None, name

    def matching(self, name: str) -> list[dict]:
        """The records this name means, in catalog order."""
        base = words(name)
        # a vendor alone names no product, unless one is called so ('Git', 'PHP')
        wanted = (
            [(base, base)] if base in self.vendors else [self._split(v) for v in variants(name)]
        )
        hits = []
        for record, parts, vendor_names in zip(
            self.records, self.parts, self.vendor_words, strict=True
        ):
            if any(self._means(vendor, product, vendor_names, parts) for vendor, product in wanted):
                hits.append(record)
        return hits

    @staticmethod
    def _means(vendor, product, vendor_names, parts) -> bool:
        if vendor is not None and vendor not in vendor_names:
            return False
        if product == vendor:  # 'GitLab' is the product 'GitLab CE'; 'Ivanti' names none
            return any(part[: len(product)] == product for part in parts)
        return any(occurs_as_itself(product, part) for part in parts)

    def suggestions(self, name: str, limit: int = 4) -> list[str]:
        """Catalog products a name that matched nothing may have meant, most exploited first."""
        vendor, _ = self._split(words(name))
        counts = Counter(
            f"{r['vendorProject']} {r['product']}"
            for r, v in zip(self.records, self.vendor_words, strict=True)
            if vendor in v
        )
        if counts:
            return [n for n, _ in counts.most_common(limit)]
        every = sorted({f"{r['vendorProject']} {r['product']}" for r in self.records})
        return difflib.get_close_matches(name, every, n=limit, cutoff=0.5)


def matches(ours: str, vendor: str, product: str) -> bool:
    """Does our inventory name mean this one catalog vendor/product?"""
    return bool(Catalog([{"vendorProject": vendor, "product": product}]).matching(ours))


def item_matches(item: InventoryItem, vendor: str, product: str) -> bool:
    return any(matches(name, vendor, product) for name in (item.product, *item.aliases))


def local_catalog(source) -> Catalog | None:
    """The catalog of a kev source whose location is a readable local file (check-config
    reads no URL); None otherwise."""
    from socwall.feeds.kev import parse_catalog

    location = str(getattr(source, "location", "") or "")
    if getattr(source, "type", None) != "kev" or "://" in location:
        return None
    try:
        with open(location, "rb") as handle:
            return Catalog(parse_catalog(handle.read())[0])
    except (OSError, ValueError):
        return None


def advice(items: list[InventoryItem], source) -> list[tuple[str, str]]:
    """(option key, warning) for inventory lines that name nothing in a local KEV catalog."""
    catalog = local_catalog(source) if items else None
    return [("inventory", w) for w in unmatched(items, catalog)] if catalog else []


def unmatched(items: list[InventoryItem], catalog: Catalog) -> list[str]:
    """One warning per inventory line whose names match nothing in the whole catalog."""
    warnings = []
    for item in items:
        if any(catalog.matching(name) for name in (item.product, *item.aliases)):
            continue
        guesses = catalog.suggestions(item.product)
        hint = f"; did you mean {', '.join(guesses)}?" if guesses else ""
        warnings.append(f"{item.product}: no product of that name in the KEV catalog{hint}")
    return warnings
