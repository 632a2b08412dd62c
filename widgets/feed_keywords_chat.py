"""feed_keywords joined with a chat source: how often chat names each listed CVE, and which
stories trended in chat before the news.

A story is said in chat when a message names its subject, a name of its label ('SharePoint ·
ToolShell') or one of its CVEs, found by the news feeds' own finder. It trended in chat before
the news when, in the day before its first news entry, at least MIN_MESSAGES messages from as
many people named it, and that is RISE times its usual day in chat (the week before, counting
only the days the chat source was listening): routine talk about a product is no trend, and
without a day of listening before, no trend is claimed.
"""

from datetime import datetime, timedelta

from socwall.feeds.chat_subjects import cve_sightings, mentions
from socwall.feeds.subjects import name_key

LOOKBACK = timedelta(days=8)  # chat read before the window: the day before and a week before
MIN_MESSAGES, RISE = 3, 3


def join(chat: list[dict], since: str | None, stories: list, shown: list[dict],
         cves: list[dict], finder, start: str) -> None:  # fmt: skip
    """Add `chat` (sightings in the window) to CVE rows and stories, `chat_first` (hours) to
    stories that trended in chat before the news."""
    if not chat and since is None:
        return
    sightings = cve_sightings(m for m in chat if m["time"] >= start)
    for cve in cves:
        cve["chat"] = sightings.get(cve["cve"], 0)
    said = mentions(chat, finder)
    for story, row in zip(stories, shown, strict=True):
        keys = {story.subject.key, *row["cves"], *(name_key(p) for p in row["label"].split(" · "))}
        found = list({m["id"]: m for k in keys if k in said for m in said[k].messages}.values())
        row["chat"] = sum(m["time"] >= start for m in found)
        first = datetime.fromisoformat(min(e["published"] for e in story.entries))
        lead = _lead(found, first, since)
        if lead is not None:
            row["chat_first"] = lead


def _lead(found: list[dict], first: datetime, since: str | None) -> float | None:
    """Hours by which a trend in chat came before `first`, or None when there was none."""
    day, week = first - timedelta(days=1), first - LOOKBACK
    times = [(datetime.fromisoformat(m["time"]), m["author"]) for m in found]
    before = [(t, a) for t, a in times if day <= t < first]
    listened_from = max(week, datetime.fromisoformat(since)) if since else day
    days = (day - listened_from).total_seconds() / 86400
    if days < 1 or len(before) < MIN_MESSAGES or len({a for _, a in before}) < MIN_MESSAGES:
        return None
    usual = sum(listened_from <= t < day for t, _ in times) / days
    if len(before) < RISE * max(usual, 1):
        return None
    return round((first - min(t for t, _ in before)).total_seconds() / 3600, 1)


def facts(stories: list[dict]) -> list[dict]:
    """A story said in chat before the news is a notice for the frame."""
    return [{"kind": "chat_before_news", "severity": "notice", "row": s["key"], "at": s["latest"],
             "text": f"{s['label']}: said in chat {s['chat_first']:g} h before the news"}
            for s in stories if s.get("chat_first") is not None]  # fmt: skip
