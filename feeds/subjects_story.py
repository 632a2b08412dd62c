"""Stories: the entries that share a subject, one per subject, sized by the sources carrying it.

Each entry goes to one story. The most specific subject carried by several sources is taken
first (a nickname before its product, a product before its vendor), then the next one over
the entries left, until every entry with a subject has its story. A story's rank is the number
of sources, then how much more often its subject occurs now than in the background (the shipped
corpus of security headlines and this wall's own older entries of the same feeds).
"""

import math
from collections import Counter
from dataclasses import dataclass

from socwall.feeds.kev_match import words as name_words
from socwall.feeds.subjects import SPECIFIC, Finder, Subject
from socwall.feeds.subjects_text import background, fold, tokens

NAMED_KINDS = ("nickname", "actor", "malware", "ransomware", "campaign", "tool")
HISTORY_FOR_NEW = 20  # older entries needed before "new today" is a claim


@dataclass
class Story:
    subject: Subject
    entries: list[dict]
    label: str = ""
    surprise: float = 0.0
    seen_before: int = 0

    @property
    def feeds(self) -> list[str]:
        return sorted({e["feed"] for e in self.entries})


def subject_share(subject: Subject) -> float:
    """How common the subject's name is in the shipped background corpus, as a share."""
    total, counts = background()
    folded = [fold(t) for t in tokens(subject.label)]
    term = " ".join(folded[:2])
    return counts.get(term, 0) / total


def _order(subject: Subject, members: list[int], entries: list[dict]) -> tuple:
    """Several sources first; a named thing before a capitalised word before a vendor; then
    the most sources, then the most specific (a nickname before its product)."""
    sources = len({entries[i]["feed"] for i in members})
    latest = max(entries[i]["published"] for i in members)
    tier = 2 if SPECIFIC[subject.kind] >= 3 else SPECIFIC[subject.kind] - 1
    return (-min(sources, 2), -tier, -sources, -SPECIFIC[subject.kind], -len(members),
            _neg(latest), subject.label)  # fmt: skip


def _neg(stamp: str) -> tuple:
    return tuple(-ord(c) for c in stamp)


def group(
    entries: list[dict], finder: Finder, ignored: frozenset | set = frozenset()
) -> list[Story]:
    """The stories of these entries (one per subject, each entry in one story); subjects of
    `ignored` keys (a feed's own name, configured boilerplate) are none."""
    found = [{k: s for k, s in finder.find(e).items() if k not in ignored} for e in entries]
    members: dict[str, list[int]] = {}
    subjects: dict[str, Subject] = {}
    for i, by_key in enumerate(found):
        for key, subject in by_key.items():
            members.setdefault(key, []).append(i)
            subjects.setdefault(key, subject)
    for key in [k for k, s in subjects.items() if s.kind == "name" and s.needs_context]:
        if len({entries[i]["feed"] for i in members[key]}) + len(members[key]) < 3:
            del members[key]  # one headline's capitalised word: not yet a name
    free = set(range(len(entries)))
    stories = []
    while True:
        open_members = {k: [i for i in m if i in free] for k, m in members.items()}
        open_members = {k: m for k, m in open_members.items() if m}
        if not open_members:
            return stories
        key = min(open_members, key=lambda k: _order(subjects[k], open_members[k], entries))
        taken = open_members[key]
        free -= set(taken)
        story = Story(subjects[key], [entries[i] for i in taken])
        story.label = _label(story, [found[i] for i in taken])
        stories.append(story)


def _label(story: Story, found: list[dict[str, Subject]]) -> str:
    """The subject's name, with what the story is about beside it: a nickname's product
    ('SharePoint · ToolShell'), or the nickname or actor most of a product's entries name."""
    subject, half = story.subject, (len(found) + 1) // 2
    others = Counter(s for by_key in found for s in by_key.values() if s.key != subject.key)
    if subject.kind in ("product", "package", "vendor"):
        named = [s for s, n in others.most_common() if n >= half and s.kind in NAMED_KINDS]
        return f"{subject.label} · {named[0].label}" if named else subject.label
    product = short_product(subject.product) if subject.product else ""
    if not product:
        products = [s for s, n in others.most_common() if n >= half and s.kind == "product"]
        product = products[0].label if products else ""
    return f"{product} · {subject.label}" if product else subject.label


def short_product(product: str) -> str:
    """'Microsoft SharePoint' -> 'SharePoint'; 'Linux kernel' stays whole."""
    first, _, rest = product.partition(" ")
    if rest and rest[:1].isupper():
        return rest
    return product


def score(stories: list[Story], recent: int, history: list[dict], finder: Finder) -> None:
    """Each story's surprise: its share of recent entries against the background and our own
    older entries (log ratio, smoothed), and how many older entries carried its subject."""
    seen: Counter = Counter()
    for entry in history:
        seen.update(finder.find(entry).keys())
    for story in stories:
        story.seen_before = seen[story.subject.key]
        now = (len(story.entries) + 0.5) / (recent + 1)
        before = (story.seen_before + 0.5) / (len(history) + 1)
        story.surprise = math.log(now / max(before, subject_share(story.subject), 1e-4))


def is_new(story: Story, history: list[dict]) -> bool:
    """New today: never carried by the older entries, when there are enough of them to say."""
    return len(history) >= HISTORY_FOR_NEW and story.seen_before == 0


def concerns(story: Story, names: list[str]) -> bool:
    """Does the story concern a product of these inventory names (whole words)?"""
    about = name_words(f"{story.label} {story.subject.product}")
    for name in names:
        ours = name_words(name)
        candidates = [ours, ours[1:]] if len(ours) > 1 else [ours]
        if any(c and _occurs(c, about) for c in candidates):
            return True
    return False


def _occurs(part: tuple[str, ...], whole: tuple[str, ...]) -> bool:
    n = len(part)
    return any(whole[i : i + n] == part for i in range(len(whole) - n + 1))
