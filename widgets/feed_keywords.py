"""feed_keywords: what news and threat feeds talk about more now than usual, CVEs, headlines."""

import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from dash import dcc, html
from pydantic import Field
from socwall.dashboard.types import Duration, Strict
from socwall.widgets import theme
from socwall.widgets.context import PanelContext, View

needs_source = True
source_types = ("news",)
CVE = re.compile(r"\bCVE-(\d{4})-(\d{4,7})\b", re.IGNORECASE)
WORD = re.compile(r"(?<![\w./@:])[a-z][a-z0-9]*(?:-[a-z0-9]+)*(?![\w./@:]*[\w/@])")
# URLs, e-mail, domains, paths, package coordinates, versions and hashes are not terms
NOT_TEXT = re.compile(
    r"\S+://\S*|\bwww\.\S+|\S+@\S+|\S*[/\\]\S*|\b[\w.-]+:\w[\w:.-]*"
    r"|\b[\w-]+(?:\.[\w-]+)+\b|\bv?\d+(?:\.\d+)+\S*|\b[0-9a-f]{7,}\b"
)
# the vocabulary of every advisory: true of all of them, so it names no subject
ADVISORY_WORDS = set("""
attacker attackers attack attacks vulnerability vulnerabilities vulnerable flaw flaws issue issues
user users configured configuration default access allow allows allowed allowing without fix
fixed fixes patch patched patches version versions affected affects affect impact impacts
summary details detail references reference upgrade release released releases later earlier
prior before via could may might can leads lead leading result results resulting causing cause
causes file files path paths name names request requests server service services code data
input value values function functions method methods parameter parameters call calls user's
crafted malicious arbitrary remote local unauthenticated authenticated specially sensitive
information exploit exploited exploitation exploiting successful successfully able allows
when where which there their within including include includes contains containing used
application applications system systems support supported required requires check checks
valid validation validate proper properly improper improperly insufficient missing lack
vendor vendors product products component components package packages library libraries
issue found discovered reported report advisory advisories researcher researchers security
poc proof concept steps reproduce workaround workarounds mitigation mitigations credits
intended directly due exists added addressed accepted accepts let don following handling
potential possible allowing ensure ensures instead rather another other however even
""".split())  # fmt: skip
GENERIC_PRODUCTS = set("""
core kernel project frontend backend server client agent gateway portal manager framework
platform api web app application plugin module library tool tools console firmware router
reader edge office word explorer windows docker linux google
""".split())  # fmt: skip
BOILERPLATE_SHARE = 0.5  # a term in half of one feed's entries is that feed's boilerplate
STOP_WORDS = set("""
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had
has have having he her here hers him his how i if in into is it its itself just may me might more
most must my new no nor not now of off on once only or other our ours out over own same she
should so some such than that the their theirs them then there these they this those through to
too under until up very via was we were what when where which while who whom why will with would
you your yours says said say one two three first last week year years today yesterday update
updates news report reports read more continue reading post appeared full story article blog
https http www com html amp nbsp via click here new also use used using like get see
""".split())  # fmt: skip


class FeedKeywordsOptions(Strict):
    window: Duration = Field("24h", description="trending = more frequent in this window...")
    background: Duration = Field("30d", description="...than in this much time before it")
    keywords: int = Field(20, ge=5, le=40, description="keywords in the treemap")
    min_mentions: int = Field(3, ge=1, description="entries a keyword must appear in to trend")
    cves: int = Field(6, ge=0, le=15, description="most mentioned CVEs shown")
    headlines: int = Field(6, ge=0, le=15, description="latest headlines shown")
    kev: str | None = Field(None, description="a kev source: marks exploited CVEs, names vendors")
    products: list[str] = Field(default_factory=list, description="more vendor/product names")
    boilerplate: list[str] = Field(default_factory=list, description="words to ignore (site names)")


Options = FeedKeywordsOptions


@dataclass(frozen=True)
class FeedInputs:
    entries: list[dict]  # plain-text entries of the window and the background
    exploited: set[str]  # CVE ids on the known-exploited list
    vocabulary: list[str]  # vendor and product names to count


def check(options: FeedKeywordsOptions, source) -> list[tuple[str, str]]:
    return []


def load(reader, panel, context: PanelContext) -> FeedInputs:
    options: FeedKeywordsOptions = panel.options
    since = context.now - options.window - options.background
    catalog = (reader.document(options.kev, "catalog") if options.kev else None) or []
    names = {r["vendorProject"] for r in catalog} | {_product_name(r) for r in catalog}
    names = {n for n in names if len(n) > 2 and n.lower() not in ("multiple products", "windows")}
    return FeedInputs(
        reader.entries_since(context.source_id, since),
        {r["cveID"] for r in catalog},
        sorted(names | set(options.products)),
    )


def _product_name(record: dict) -> str:
    """A product name that identifies it: 'Kernel' alone is anyone's, 'Linux Kernel' is not."""
    product, vendor = record["product"], record["vendorProject"]
    if product.lower() in GENERIC_PRODUCTS or vendor.lower() in product.lower():
        return product if vendor.lower() in product.lower() else f"{vendor} {product}"
    return product


def find_cves(text: str) -> list[str]:
    """CVE ids in a text, normalized: 'cve-2024-3400' -> 'CVE-2024-3400'; at least 4 digits."""
    return [f"CVE-{year}-{number}" for year, number in CVE.findall(text)]


def terms(text: str, ignore: set[str]) -> list[str]:
    """Words and two-word phrases of a text, stop words and boilerplate left out; a phrase never
    spans punctuation or a stop word."""
    words, phrases = [], []
    text = NOT_TEXT.sub(" | ", CVE.sub(" | ", text.lower()))
    for clause in re.split(r"[.,:;!?()\[\]\"|`*#=<>{}]+\s*|\s[-–—]\s", text):
        kept = [w.strip(".-") for w in WORD.findall(clause)]
        kept = [w if w not in STOP_WORDS and w not in ignore and len(w) > 2 else None for w in kept]
        kept = [None if w in ADVISORY_WORDS else w for w in kept]
        words += [w for w in kept if w]
        phrases += [f"{a} {b}" for a, b in zip(kept, kept[1:], strict=False) if a and b]
    return words + phrases


def log_odds(recent: Counter, background: Counter, prior_size: float = 500.0) -> dict[str, float]:
    """z-scores of weighted log-odds with an informative Dirichlet prior (Monroe et al. 2008):
    high for terms more frequent now than in the background, near 0 for the always-frequent."""
    total = recent + background
    n_total, n_recent, n_back = sum(total.values()), sum(recent.values()), sum(background.values())
    scores = {}
    for term, count in recent.items():
        alpha = prior_size * total[term] / n_total
        # the rest of each corpus, never zero (one word alone in a window with no background)
        now = math.log((count + alpha) / max(n_recent + prior_size - count - alpha, 0.5))
        before_count = background[term]
        before = math.log(
            (before_count + alpha) / max(n_back + prior_size - before_count - alpha, 0.5)
        )
        scores[term] = (now - before) / math.sqrt(1 / (count + alpha) + 1 / (before_count + alpha))
    return scores


def compute(inputs: FeedInputs, options: FeedKeywordsOptions, context: PanelContext) -> dict:
    """Trending keywords with mentions and score, the most mentioned CVEs, vendors, headlines."""
    start = (context.now - options.window).isoformat()
    # undated entries of a feed's first read are backlog: background, never the news of now
    recent = [e for e in inputs.entries if e["published"] >= start and not e.get("backfill")]
    older = [e for e in inputs.entries if e["published"] < start or e.get("backfill")]
    ignore = {w.lower() for w in options.boilerplate} | {e["feed"].lower() for e in inputs.entries}
    per_feed = learned_boilerplate(inputs.entries, ignore)
    # a subject is named in some headline; words only ever in body prose are how, not what
    # (a short summary such as RansomWatch's 'Group: play' is a label, not prose: kept)
    headline_terms = {t for e in inputs.entries for t in terms(e["title"], ignore)}
    count = lambda items: Counter(  # noqa: E731
        t for e in _stories(items)
        for t in _subject_terms(e, ignore | per_feed.get(e["feed"], set()), headline_terms)
    )
    now_counts, before_counts = count(recent), count(older)
    scores = log_odds(now_counts, before_counts) if now_counts else {}
    # ties broken the same way every time, so the treemap does not reshuffle between refreshes
    # near-equal scores (no background yet: every term is new) rank by how many entries say it
    order = lambda t: (-round(scores[t], 1), -now_counts[t], -len(t.split()), t)  # noqa: E731
    frequent = (t for t in scores if now_counts[t] >= options.min_mentions)
    trending = sorted(frequent, key=order)
    return {
        "keywords": [{"term": t, "mentions": now_counts[t], "score": round(scores[t], 2)}
                     for t in _without_parts(trending)[: options.keywords]],
        "cves": _cves(recent, inputs.exploited, options.cves),
        "vendors": _mentions(recent, inputs.vocabulary)[:6],
        "headlines": [{"title": e["title"], "feed": e["feed"], "published": e["published"],
                       "time": _local_time(e["published"], context),
                       "undated": bool(e.get("undated"))}
                      for e in _latest(recent, options.headlines)],
        "entries": len(recent),
        "boilerplate": {feed: sorted(words)[:20] for feed, words in per_feed.items()},
        "highlight": False,
    }  # fmt: skip


def learned_boilerplate(entries: list[dict], ignore: set[str], minimum: int = 8) -> dict:
    """Per feed, the terms in at least half of its entries (section headings, slogans, the
    publisher's own name): for that feed they are furniture, not news."""
    by_feed: dict[str, list[dict]] = {}
    for e in entries:
        by_feed.setdefault(e["feed"], []).append(e)
    learned = {}
    for feed, items in by_feed.items():
        if len(items) >= minimum:
            counts = Counter(t for e in items for t in _entry_terms(e, ignore))
            learned[feed] = {t for t, n in counts.items() if n >= BOILERPLATE_SHARE * len(items)}
    return learned


def _stories(entries: list[dict]) -> list[dict]:
    """One entry per story: an advisory repeated per package ('[pkg] title') counts once."""
    seen: dict[tuple[str, str], dict] = {}
    for e in entries:
        seen.setdefault((e["feed"], re.sub(r"^\[[^\]]*\]\s*", "", e["title"]).lower()), e)
    return list(seen.values())


def _local_time(published: str, context: PanelContext) -> str:
    return datetime.fromisoformat(published).astimezone(context.tz).strftime("%H:%M")


def _subject_terms(entry: dict, ignore: set[str], headline_terms: set[str]) -> set[str]:
    found = _entry_terms(entry, ignore)
    return found if len(entry["summary"]) <= 200 else found & headline_terms


def _entry_terms(entry: dict, ignore: set[str]) -> set[str]:
    """An entry's terms, each counted once; title and summary never form a phrase together."""
    return set(terms(entry["title"], ignore)) | set(terms(entry["summary"], ignore))


def _latest(entries: list[dict], limit: int) -> list[dict]:
    return sorted(entries, key=lambda e: e["published"], reverse=True)[:limit]


def _text(entry: dict) -> str:
    return f"{entry['title']} {entry['summary']}"


def _without_parts(trending: list[str]) -> list[str]:
    """One tile per subject: a term sharing a word with a higher-ranked one is that subject
    again ('netweaver' under 'sap netweaver', 'openclaw gateway' under 'openclaw')."""
    shown: list[str] = []
    seen: set[str] = set()
    for term in trending:
        parts = set(term.split())
        if not parts & seen:
            shown.append(term)
        seen |= parts
    return shown


def _cves(entries: list[dict], exploited: set[str], limit: int) -> list[dict]:
    """CVEs ranked by how many publishers (feeds) name them, then by distinct stories."""
    feeds: dict[str, set[str]] = {}
    stories: dict[str, set[str]] = {}
    for e in entries:
        story = f"{e['feed']}|{e['title'].lower()}"  # one advisory repeated per package: once
        for cve in e.get("cves") or find_cves(_text(e)):
            feeds.setdefault(cve, set()).add(e["feed"])
            stories.setdefault(cve, set()).add(story)
    ranked = sorted(feeds, key=lambda c: (-len(feeds[c]), -len(stories[c]), c))[:limit]
    return [{"cve": c, "mentions": len(feeds[c]), "stories": len(stories[c]),
             "exploited": c in exploited} for c in ranked]  # fmt: skip


def _mentions(entries: list[dict], vocabulary: list[str]) -> list[dict]:
    texts = [_text(e).lower() for e in entries]
    counts = []
    for name in vocabulary:
        pattern = re.compile(rf"(?<![a-z0-9]){re.escape(name.lower())}(?![a-z0-9])")
        hits = sum(1 for text in texts if pattern.search(text))
        if hits:
            counts.append({"name": name, "mentions": hits})
    counts.sort(key=lambda c: (-c["mentions"], -len(c["name"]), c["name"]))
    shown: list[dict] = []  # 'NetWeaver 8' adds nothing next to 'SAP NetWeaver 8'
    for c in counts:
        if not any(
            c["name"].lower() in s["name"].lower() and c["mentions"] == s["mentions"] for s in shown
        ):
            shown.append(c)
    return shown


def render(payload: dict, options: FeedKeywordsOptions, view: View):
    """Treemap of trending keywords; beside it CVEs, vendors and the latest headlines, as text."""
    if not payload["entries"]:
        return html.Div("no feed entries in this window yet", className="panel-empty")
    words = dcc.Graph(
        figure=_treemap(payload, view), config=theme.GRAPH_CONFIG, className="feedwords-map",
        responsive=True, style={"height": "100%"},
    )  # fmt: skip
    if not payload["keywords"]:
        words = html.Div(f"nothing trends yet: no keyword in {options.min_mentions}+ entries "
                         f"of the last {payload['entries']}", className="panel-empty")  # fmt: skip
    return html.Div(className="feedwords", children=[
        words,
        html.Div(className="feedwords-side", children=[
            html.Div([_cve_line(c) for c in payload["cves"]], className="feedwords-cves"),
            html.Div(" · ".join(f"{v['name']} {v['mentions']}" for v in payload["vendors"]),
                     className="feedwords-vendors"),
            html.Div([_headline(h) for h in payload["headlines"]], className="feedwords-news"),
        ]),
    ])  # fmt: skip


def _treemap(payload: dict, view: View) -> dict:
    words = payload["keywords"]
    trace = {
        "type": "treemap", "labels": [w["term"] for w in words], "parents": [""] * len(words),
        "values": [w["mentions"] for w in words], "branchvalues": "total",
        "marker": {"colors": [w["score"] for w in words], "colorscale": "Cividis", "cmin": 0},
        "textinfo": "label+value", "textfont": {"size": view.px(18)},
        "hovertemplate": "%{label}: %{value} mentions<extra></extra>",
        "tiling": {"pad": 2}, "pathbar": {"visible": False}, "root": {"color": "rgba(0,0,0,0)"},

    }  # fmt: skip
    return {
        "data": [trace],
        "layout": theme.figure_layout(view, margin={"l": 0, "r": 0, "t": 0, "b": 0}),
    }


def _cve_line(cve: dict) -> html.Div:
    mark = "exploited" if cve["exploited"] else ""
    classes = f"feedwords-cve {mark}".strip()
    return html.Div(className=classes, children=[
        html.Span(cve["cve"]),
        html.Span(f"{cve['mentions']} src" if cve["mentions"] > 1 else f"{cve.get('stories', 1)}×"),
        html.Span(mark),
    ])  # fmt: skip


def _headline(item: dict) -> html.Div:
    when = "undated" if item.get("undated") else item.get("time") or item["published"][11:16]
    return html.Div(className="feedwords-headline", title=item["title"], children=[
        html.Span(when, className="feedwords-time"), html.Span(item["title"]),
    ])  # fmt: skip
