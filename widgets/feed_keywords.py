"""feed_keywords: the stories news and threat feeds carry, named by their subject; CVEs, headlines.

A tile is a story: the entries that share a subject (a product, vendor, actor, malware,
campaign, a vulnerability's nickname, a package, an organisation named in several headlines),
sized by the number of sources carrying it, several sources first. Generic words of security
news are never a subject (feeds/subjects.py). Colour says what the legend says.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from socwall.durations import format_duration
from socwall.feeds.chat_sink import KIND as CHAT_KIND
from socwall.feeds.feed_parse import find_cves
from socwall.feeds.kev_match import Catalog, unmatched
from socwall.feeds.subjects import build_finder, name_key
from socwall.feeds.subjects_story import Story, concerns, group, is_new, score
from socwall.widgets import feed_keywords_chat
from socwall.widgets.context import PanelContext, View
from socwall.widgets.feed_keywords_options import (  # noqa: F401  (the widget's parts)
    FeedKeywordsOptions,
    Options,
    advise,
    check,
    check_sources,
    needs_source,
    source_types,
)
from socwall.widgets.feed_keywords_view import render_panel

FURNITURE_SHARE = 0.5  # a subject in half of a feed's older entries is that feed's furniture


@dataclass(frozen=True)
class FeedInputs:
    entries: list[dict]  # plain-text entries of the window and the background
    catalog: list[dict]  # the KEV catalog's records ([] without a kev source)
    chat: list[dict] = ()  # chat messages of the window and 8 days before ([] without `chat`)
    chat_since: str | None = None  # since when the chat source listens


def load(reader, panel, context: PanelContext) -> FeedInputs:
    options: FeedKeywordsOptions = panel.options
    since = context.now - options.window - options.background
    catalog = (reader.document(options.kev, "catalog") if options.kev else None) or []
    chat, chat_since = [], None
    if options.chat:
        start = context.now - options.window - feed_keywords_chat.LOOKBACK
        chat = reader.records(options.chat, CHAT_KIND, start, context.now)
        chat_since = (reader.document(options.chat, "coverage") or {}).get("since")
    return FeedInputs(reader.entries_since(context.source_id, since), catalog, chat, chat_since)


def compute(inputs: FeedInputs, options: FeedKeywordsOptions, context: PanelContext) -> dict:
    """Stories ranked by sources then surprise, CVEs by sources then recency, the headlines."""
    start, now = (context.now - options.window).isoformat(), context.now.isoformat()
    recent = [
        e
        for e in inputs.entries  # an undated entry of a first read is history, not news
        if start <= e["published"] <= now and not e.get("backfill")
    ]
    history = [e for e in inputs.entries if e["published"] < start]
    ours = [[item.product, *item.aliases] for item in options.inventory]
    finder = build_finder(inputs.catalog, ours, options.products)
    ignored = _furniture(history, finder) | {name_key(n) for n in options.boilerplate}
    ignored |= {name_key(e["feed"]) for e in inputs.entries}
    stories = [
        s
        for s in group(recent, finder, ignored)
        if len(s.feeds) > 1 or len(s.entries) >= options.min_mentions
    ]
    score(stories, len(recent), history, finder)
    stories.sort(key=lambda s: (-len(s.feeds), -round(s.surprise, 9), -len(s.entries), s.label))
    kev = _kev_facts(inputs.catalog, options, context)
    shown = [_story(s, kev, options, history, context) for s in stories[: options.keywords]]
    cves = _cves(recent, kev, options.cves)
    feed_keywords_chat.join(inputs.chat, inputs.chat_since, stories[: options.keywords], shown,
                            cves, finder, start)  # fmt: skip
    return {
        "stories": shown,
        "more_stories": max(0, len(stories) - len(shown)),
        "cves": cves,
        "headlines": [
            {
                "title": e["title"],
                "feed": e["feed"],
                "published": e["published"],
                "local_time": _local_time(e["published"], context.tz),
            }
            for e in _latest(recent, options.headlines)
        ],
        "entries": len(recent),
        "history": len(history),
        "feeds": len({e["feed"] for e in recent}),
        "window": _window(options),
        "year": context.now.year,
        "facts": _facts(shown, cves) + feed_keywords_chat.facts(shown),
        "warnings": _unmatched(inputs.catalog, options),
        "highlight": any(s["colour"] == "ours" for s in shown) or any(c["alarm"] for c in cves),
    }


def _unmatched(catalog: list[dict], options: FeedKeywordsOptions) -> list[str]:
    return unmatched(options.inventory, Catalog(catalog)) if catalog and options.inventory else []


def _furniture(history: list[dict], finder) -> set[str]:
    """Subjects in half of a feed's older entries (8 or more): the feed's own name, the one
    product a vendor's blog is about. They are the feed's furniture, not news."""
    by_feed: dict[str, list[dict]] = {}
    for entry in history:
        by_feed.setdefault(entry["feed"], []).append(entry)
    furniture = set()
    for items in by_feed.values():
        if len(items) >= 8:
            counts: dict[str, int] = {}
            for entry in items:
                for key in finder.find(entry):
                    counts[key] = counts.get(key, 0) + 1
            furniture |= {k for k, n in counts.items() if n >= FURNITURE_SHARE * len(items)}
    return furniture


@dataclass(frozen=True)
class KevFacts:
    records: dict[str, dict]  # cveID -> record
    ours: dict[str, str]  # cveID -> our product name, for records our inventory names
    since: str  # dateAdded from which an entry is recent


def _kev_facts(catalog: list[dict], options: FeedKeywordsOptions, context) -> KevFacts:
    ours: dict[str, str] = {}
    if options.inventory and catalog:
        matcher = Catalog(catalog)
        for item in options.inventory:
            for name in (item.product, *item.aliases):
                ours.update({r["cveID"]: item.product for r in matcher.matching(name)})
    since = (context.now.date() - timedelta(days=options.kev_days)).isoformat()
    return KevFacts({r["cveID"]: r for r in catalog}, ours, since)


def _story(story: Story, kev: KevFacts, options, history: list[dict], context) -> dict:
    cves = sorted({c for e in story.entries for c in _entry_cves(e)})
    exploited = [c for c in cves if c in kev.records]
    names = [n for item in options.inventory for n in (item.product, *item.aliases)]
    our_product = next((kev.ours[c] for c in exploited if c in kev.ours), None)
    if our_product is None and concerns(story, names):
        our_product = next(
            i.product for i in options.inventory if concerns(story, [i.product, *i.aliases])
        )
    colour = "ours" if our_product else "exploited" if exploited else "seen"
    if colour == "seen" and is_new(story, history):
        colour = "new"
    latest = max(story.entries, key=lambda e: e["published"])
    return {
        "key": story.subject.key,
        "label": story.label,
        "kind": story.subject.kind,
        "sources": len(story.feeds),
        "feeds": story.feeds,
        "entries": len(story.entries),
        "latest": latest["published"],
        "headline": latest["title"],
        "cves": cves[:6],
        "exploited": exploited[:6],
        "our_product": our_product,
        "colour": colour,
        "surprise": round(story.surprise, 2),
    }


def _cves(entries: list[dict], kev: KevFacts, limit: int) -> list[dict]:
    """CVEs ranked by how many sources carry them (a story repeated per package in one feed
    counts once), then by the most recent mention; taken from the whole text kept."""
    feeds: dict[str, set[str]] = {}
    latest: dict[str, str] = {}
    for entry in entries:
        for cve in _entry_cves(entry):
            feeds.setdefault(cve, set()).add(entry["feed"])
            latest[cve] = max(latest.get(cve, ""), entry["published"])
    ranked = sorted(feeds, key=lambda c: (-len(feeds[c]), _desc(latest[c]), c))[:limit]
    rows = []
    for cve in ranked:
        record = kev.records.get(cve)
        added = record["dateAdded"] if record else None
        ours = kev.ours.get(cve)
        rows.append(
            {
                "cve": cve,
                "sources": len(feeds[cve]),
                "latest": latest[cve],
                "exploited": record is not None,
                "added": added,
                "ours": ours,
                "alarm": bool(ours and added and added >= kev.since),
            }
        )
    return rows


def _entry_cves(entry: dict) -> list[str]:
    return entry.get("cves") or find_cves(f"{entry['title']} {entry.get('summary', '')}")


def _window(options: FeedKeywordsOptions) -> str:
    """'24h', '3d': the window as the caption says it."""
    hours = options.window.total_seconds() / 3600
    return f"{hours:g}h" if hours <= 48 else format_duration(options.window)


def _desc(stamp: str) -> tuple:
    return tuple(-ord(c) for c in stamp)


def _facts(stories: list[dict], cves: list[dict]) -> list[dict]:
    """What the frame needs to decide the panel's state (contract item 2)."""
    facts = []
    for story in stories:
        if story["colour"] == "ours":
            text = f"{story['sources']} sources on {story['label']}: we run {story['our_product']}"
            facts.append(
                {
                    "kind": "news_about_our_product",
                    "severity": "alarm",
                    "text": text,
                    "row": story["key"],
                    "at": story["latest"],
                }
            )
        elif story["colour"] == "exploited":
            text = f"{story['label']}: known exploited ({', '.join(story['exploited'])})"
            facts.append(
                {
                    "kind": "exploited_in_news",
                    "severity": "notice",
                    "text": text,
                    "row": story["key"],
                    "at": story["latest"],
                }
            )
    for cve in cves:
        if cve["alarm"]:
            listed = f"added to the known-exploited list {cve['added']}"
            text = f"{cve['cve']} {listed}: we run {cve['ours']}"
            facts.append(
                {
                    "kind": "exploited_we_run",
                    "severity": "alarm",
                    "text": text,
                    "row": cve["cve"],
                    "at": cve["latest"],
                }
            )
    return facts


def _latest(entries: list[dict], limit: int) -> list[dict]:
    return sorted(entries, key=lambda e: e["published"], reverse=True)[:limit]


def _local_time(published: str, tz) -> str:
    """The wall's local time of an entry, like the clock beside it."""
    return datetime.fromisoformat(published).astimezone(tz).strftime("%H:%M")


def render(payload: dict, options: FeedKeywordsOptions, view: View):
    """Treemap of stories with its legend; beside it CVEs and the latest headlines, as text."""
    return render_panel(payload, options, view)
