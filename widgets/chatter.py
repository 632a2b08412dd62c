"""chatter: what people say on IRC, Mastodon and Bluesky, per subject, against its usual level.

Mentions per subject (the intel page's subjects: products, CVEs, actors, nicknames, found by
the same code as the news feeds) over the window, beside the same window a week ago and the
usual level (the median of the same window in the past weeks the source was listening); the
channels they came from; the newest lines as text. A subject that jumps above its usual level,
from several people, is the alarm. Without weeks of listening there is no usual level, and
none is claimed.
"""

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from socwall.durations import format_duration
from socwall.feeds.chat_message import where
from socwall.feeds.chat_sink import KIND
from socwall.feeds.chat_subjects import Mentions, mentions
from socwall.feeds.subjects import build_finder
from socwall.widgets.chatter_options import (  # noqa: F401  (the widget's parts)
    ChatterOptions,
    Options,
    check,
    check_sources,
    needs_source,
    source_types,
)
from socwall.widgets.chatter_view import render_panel
from socwall.widgets.context import PanelContext, View

TICKER_CHARS = 280  # a line of the ticker: a long message is cut here, on screen only


@dataclass(frozen=True)
class ChatterInputs:
    now: list[dict]  # messages of the window
    weeks: list[list[dict] | None]  # the same window 1..N weeks ago; None: not listening then
    catalog: list[dict]
    connections: dict  # the source's summary of its connections


def load(reader, panel, context: PanelContext) -> ChatterInputs:
    options: ChatterOptions = panel.options
    source, end = context.source_id, context.now
    since = (reader.document(source, "coverage") or {}).get("since")
    weeks = []
    for week in range(1, options.weeks + 1):
        start = end - options.window - timedelta(weeks=week)
        listening = since is not None and since <= start.isoformat()
        weeks.append(reader.records(source, KIND, start, start + options.window)
                     if listening else None)  # fmt: skip
    catalog = (reader.document(options.kev, "catalog") if options.kev else None) or []
    return ChatterInputs(reader.records(source, KIND, end - options.window, end), weeks,
                         catalog, reader.document(source, "connections") or {})  # fmt: skip


def compute(inputs: ChatterInputs, options: ChatterOptions, context: PanelContext) -> dict:
    """Subjects by jump, then mentions against the usual level; channels; the newest lines."""
    ours = [[item.product, *item.aliases] for item in options.inventory]
    finder = build_finder(inputs.catalog, ours, options.products)
    now = mentions(inputs.now, finder)
    past = [None if week is None else mentions(week, finder) for week in inputs.weeks]
    rows = [_row(found, past, options, context) for found in now.values()]
    rows.sort(key=lambda r: (not r["jump"], -r["ratio"], -r["mentions"], r["label"]))
    shown = rows[: options.subjects]
    observed = sum(week is not None for week in inputs.weeks)
    return {
        "subjects": shown,
        "more_subjects": len(rows) - len(shown),
        "messages": len(inputs.now),
        "about": len({m["id"] for r in now.values() for m in r.messages}),
        "channels": _channels(inputs.now),
        "lines": [_line(m, context) for m in _newest(inputs.now, options.lines)],
        "window": window_words(options.window),
        "weeks": observed,
        "weeks_asked": options.weeks,
        "outages": _outages(inputs.connections, context, options.window),
        "facts": _facts(shown, options),
        "highlight": any(r["jump"] for r in shown),
    }


def _row(found: Mentions, past: list[dict | None], options: ChatterOptions, context) -> dict:
    """One subject: mentions now, a week ago, usually (weeks the source listened only: None
    is a week it did not), and whether it jumped: several people, enough mentions, `jump`
    times the usual level."""
    key = found.subject.key
    counts = [None if week is None else len(week[key].messages) if key in week else 0
              for week in past]  # fmt: skip
    observed = [c for c in counts if c is not None]
    usual = statistics.median(observed) if observed else None
    mentioned, authors = len(found.messages), found.authors
    busy = mentioned >= options.min_mentions and authors >= options.min_authors
    jump = busy and usual is not None and mentioned >= options.jump * max(usual, 1)
    return {
        "key": found.subject.key,
        "label": found.subject.label,
        "kind": found.subject.kind,
        "ours": found.subject.ours,
        "cves": sorted(found.cves)[:4],
        "mentions": mentioned,
        "authors": authors,
        "week_ago": counts[0] if counts else None,
        "usual": usual,
        "ratio": round(mentioned / max(usual or 0, 1), 2),
        "jump": jump,
        "new": busy and usual is None,
        "channels": _channels(found.messages)[:3],
        "first": found.first,
        "latest": found.latest,
        "first_local": _local(found.first, context.tz),
    }


def window_words(window: timedelta) -> str:
    """'24h', '3d': hours up to two days, as the intel page says its window."""
    hours = window.total_seconds() / 3600
    return f"{hours:g}h" if hours <= 48 else format_duration(window)


def _channels(messages: list[dict]) -> list[dict]:
    counts: dict[str, int] = {}
    for message in messages:
        counts[where(message)] = counts.get(where(message), 0) + 1
    return [{"where": w, "messages": n} for w, n in sorted(counts.items(), key=lambda i: -i[1])]


def _newest(messages: list[dict], count: int) -> list[dict]:
    return sorted(messages, key=lambda m: m["time"], reverse=True)[:count]


def _line(message: dict, context) -> dict:
    text = message["text"]
    return {
        "time": _local(message["time"], context.tz),
        "where": where(message),
        "author": message["author"],
        "text": text if len(text) <= TICKER_CHARS else text[: TICKER_CHARS - 1] + "…",
        "url": message.get("url"),
    }


def _local(stamp: str, tz) -> str:
    return datetime.fromisoformat(stamp).astimezone(tz).strftime("%H:%M")


def _outages(connections: dict, context, window: timedelta) -> list[dict]:
    """Spans of the window in which a connection without replay was not listening."""
    start = (context.now - window).isoformat()
    found = []
    for name, status in connections.items():
        for span in (status.get("outages") or []) + (status.get("gaps") or []):
            if span["end"] >= start:
                found.append({"via": name, "source": status.get("source"), **span,
                              "from": _local(span["start"], context.tz),
                              "to": _local(span["end"], context.tz)})  # fmt: skip
    return sorted(found, key=lambda s: s["start"])


def _facts(rows: list[dict], options: ChatterOptions) -> list[dict]:
    """A jump is the alarm; a subject busy in chat with no usual level yet is a notice."""
    facts = []
    for row in rows:
        said = f"{row['label']}: {row['mentions']} mentions from {row['authors']} people in " \
               f"{window_words(options.window)}"  # fmt: skip
        if row["jump"]:
            text = f"{said}, usually {row['usual']:g}"
            facts.append({"kind": "chat_jump", "severity": "alarm", "text": text,
                          "row": row["key"], "at": row["latest"]})  # fmt: skip
        elif row["new"]:
            facts.append({"kind": "chat_busy", "severity": "notice",
                          "text": f"{said} (no usual level yet)", "row": row["key"],
                          "at": row["latest"]})  # fmt: skip
    return facts


def render(payload: dict, options: ChatterOptions, view: View):
    """Subjects with bars against their usual level, and the newest lines, as text."""
    return render_panel(payload, options, view)
