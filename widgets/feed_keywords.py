"""feed_keywords: what news and threat feeds talk about more now than usual, CVEs, headlines."""

import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from dash import dcc, html
from pydantic import Field

from socwall.types import Duration, Strict
from socwall.widgets import theme
from socwall.widgets.context import PanelContext, View

needs_source = True
source_types = ("news",)
CVE = re.compile(r"\bCVE-(\d{4})-(\d{4,7})\b", re.IGNORECASE)
WORD = re.compile(r"[a-z][a-z0-9]*(?:[-.][a-z0-9]+)*")
STOP_WORDS = set("""
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had
has have having he her here hers him his how i if in into is it its itself just may me might more
most must my new no nor not now of off on once only or other our ours out over own same she
should so some such than that the their theirs them then there these they this those through to
too under until up very via was we were what when where which while who whom why will with would
you your yours says said say one two three first last week year years today yesterday update
updates news report reports read more continue reading post appeared full story article blog
https http www com html amp nbsp via click here new also use used using like get
impact patches patch workarounds workaround references description summary details severity
credits affected versions version package packages vulnerability advisory fixed fix
attacker attackers arbitrary crafted vulnerable data request requests file files access
security user users service server code module call result form header main url api paths
configured authenticated authentication validation example accepted connected checks commit
improper releases release allowing allows allow issue issues tests regression later affects
""".split())  # fmt: skip
NOT_A_TERM = re.compile(  # URLs, domains, paths, versions, hashes and numbers are not subjects
    r"(?:[a-z0-9-]+\.)+(?:com|org|net|io|dev|gov|edu|co|uk|de|html?|php|json|xml|md)\b"
    r"|/|^v?\d+(?:\.\d+)+[a-z0-9-]*$|^[0-9a-f]{7,}$|^\d+$|^v\d|^ghsa-|^cwe-"
)
GENERIC_PRODUCTS = set("""core kernel project frontend backend server windows office framework
platform gateway router firmware client manager portal console agent suite library plugin api
app web cloud system systems database browser toolkit os ios multiple products engine service
services""".split())  # fmt: skip
BOILERPLATE_SHARE = 0.5  # a term in half of one feed's entries is that feed's boilerplate


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


def check_sources(options: FeedKeywordsOptions, sources: dict) -> list[tuple[str, str]]:
    """`kev` names a source of type kev."""
    if options.kev is None:
        return []
    source = sources.get(options.kev)
    if source is None:
        known = ", ".join(sorted(sources)) or "none are defined"
        return [("kev", f"unknown source '{options.kev}' (sources: {known})")]
    if source.type != "kev":
        return [("kev", f"'{options.kev}' is a {source.type} source, not a kev source")]
    return []


def load(reader, panel, context: PanelContext) -> FeedInputs:
    options: FeedKeywordsOptions = panel.options
    since = context.now - options.window - options.background
    catalog = (reader.document(options.kev, "catalog") if options.kev else None) or []
    names = set()
    for record in catalog:  # a generic product word ("Core", "Kernel") only with its vendor
        vendor, product = record["vendorProject"], record["product"]
        names.add(vendor)
        generic = product.lower() in GENERIC_PRODUCTS or product.lower() == vendor.lower()
        names.add(f"{vendor} {product}" if generic else product)
    names = {n for n in names if len(n) > 2 and n.lower() not in GENERIC_PRODUCTS}
    return FeedInputs(
        reader.entries_since(context.source_id, since),
        {r["cveID"] for r in catalog},
        sorted(names | set(options.products)),
    )


def find_cves(text: str) -> list[str]:
    """CVE ids in a text, normalized: 'cve-2024-3400' -> 'CVE-2024-3400'; at least 4 digits."""
    return [f"CVE-{year}-{number}" for year, number in CVE.findall(text)]


def terms(text: str, ignore: set[str]) -> list[str]:
    """Words and two-word phrases of a text, stop words and boilerplate left out; a phrase never
    spans punctuation or a stop word."""
    words, phrases = [], []
    for clause in re.split(r"[.,:;!?()\[\]\"|]+\s|\s[-–—]\s", CVE.sub(" ", text.lower())):
        kept = [w.strip(".-") for w in WORD.findall(clause)]
        kept = [w if _is_term(w) and w not in ignore else None for w in kept]
        words += [w for w in kept if w]
        phrases += [f"{a} {b}" for a, b in zip(kept, kept[1:], strict=False) if a and b]
    return words + phrases


def _is_term(word: str) -> bool:
    return len(word) > 2 and word not in STOP_WORDS and not NOT_A_TERM.search(word)


def log_odds(recent: Counter, background: Counter, prior_size: float = 500.0) -> dict[str, float]:
    """z-scores of weighted log-odds with an informative Dirichlet prior (Monroe et al. 2008):
    high for terms more frequent now than in the background, near 0 for the always-frequent."""
    total = recent + background
    n_total, n_recent, n_back = sum(total.values()), sum(recent.values()), sum(background.values())
    scores = {}
    for term, count in recent.items():
        alpha = prior_size * total[term] / n_total
        now = math.log((count + alpha) / max(n_recent + prior_size - count - alpha, 1e-9))
        before_count = background[term]
        rest = max(n_back + prior_size - before_count - alpha, 1e-9)
        before = math.log((before_count + alpha) / rest)
        scores[term] = (now - before) / math.sqrt(1 / (count + alpha) + 1 / (before_count + alpha))
    return scores


def compute(inputs: FeedInputs, options: FeedKeywordsOptions, context: PanelContext) -> dict:
    """Trending keywords with mentions and score, the most mentioned CVEs, vendors, headlines."""
    start, now = (context.now - options.window).isoformat(), context.now.isoformat()
    recent = [e for e in inputs.entries  # an undated entry of a first read is history, not news
              if start <= e["published"] <= now and not e.get("backfill")]  # fmt: skip
    older = [e for e in inputs.entries if e["published"] < start]
    ignore = {w.lower() for w in options.boilerplate} | {e["feed"].lower() for e in inputs.entries}
    learned = feed_boilerplate(inputs.entries, ignore)
    terms_of = lambda e: _entry_terms(e, ignore) - learned.get(e["feed"], set())  # noqa: E731
    now_counts = Counter(t for e in recent for t in terms_of(e))
    before_counts = Counter(t for e in older for t in terms_of(e))
    recent_terms = [terms_of(e) for e in recent]
    docs_of = {t: {i for i, found in enumerate(recent_terms) if t in found} for t in now_counts}
    feeds_of = {t: {recent[i]["feed"] for i in docs_of[t]} for t in now_counts}
    scores = log_odds(now_counts, before_counts) if now_counts else {}
    # more sources first, then the score; ties broken the same way every time, so the treemap
    # does not reshuffle between refreshes
    order = lambda t: (-min(len(feeds_of[t]), 2), -round(scores[t], 9), -len(t.split()), t)  # noqa: E731
    frequent = (t for t in scores if now_counts[t] >= max(options.min_mentions, 2))
    trending = sorted(frequent, key=order)
    return {
        "keywords": [{"term": t, "mentions": now_counts[t], "score": round(scores[t], 2)}
                     for t in _without_parts(trending, docs_of)[: options.keywords]],
        "cves": _cves(recent, inputs.exploited, options.cves),
        "vendors": _mentions(recent, inputs.vocabulary)[:6],
        "headlines": [{"title": e["title"], "feed": e["feed"], "published": e["published"],
                       "local_time": _local_time(e["published"], context.tz)}
                      for e in _latest(recent, options.headlines)],
        "entries": len(recent),
        "highlight": False,
    }  # fmt: skip


def _entry_terms(entry: dict, ignore: set[str]) -> set[str]:
    """An entry's terms, each counted once; title and summary never form a phrase together."""
    return set(terms(entry["title"], ignore)) | set(terms(entry["summary"], ignore))


def _latest(entries: list[dict], limit: int) -> list[dict]:
    return sorted(entries, key=lambda e: e["published"], reverse=True)[:limit]


def _text(entry: dict) -> str:
    return f"{entry['title']} {entry['summary']}"


def _without_parts(trending: list[str], docs_of: dict[str, set[int]] | None = None) -> list[str]:
    """One tile per subject: a term is that subject again when it shares a word with a term
    ranked above it ('netweaver' under 'sap netweaver'; 'openclaw gateway' under 'openclaw'),
    or when 80 % of the entries that mention it mention that term too (the same story)."""
    docs_of = docs_of or {}
    shown: list[str] = []
    taken: set[str] = set()
    for term in trending:
        words, docs = set(term.split()), docs_of.get(term, set())
        same_story = " " not in term and any(  # a lone word only ever seen with a subject
            docs and len(docs & docs_of.get(s, set())) >= 0.8 * len(docs) for s in shown
        )
        if not words & taken and not same_story:
            shown.append(term)
            taken |= words
    return shown


def feed_boilerplate(entries: list[dict], ignore: set[str]) -> dict[str, set[str]]:
    """Per feed, the terms in at least half of its entries (4 or more): section headings,
    slogans, the product a feed is about. They are that feed's furniture, not its news."""
    by_feed: dict[str, list[dict]] = {}
    for entry in entries:
        by_feed.setdefault(entry["feed"], []).append(entry)
    learned = {}
    for feed, items in by_feed.items():
        if len(items) >= 4:
            counts = Counter(t for e in items for t in _entry_terms(e, ignore))
            learned[feed] = {t for t, n in counts.items() if n >= BOILERPLATE_SHARE * len(items)}
    return learned


def _cves(entries: list[dict], exploited: set[str], limit: int) -> list[dict]:
    """CVEs ranked by how many sources talk about them (a story repeated per package in one
    feed counts once), then by entries; taken from the whole text the source kept."""
    feeds: dict[str, set[str]] = {}
    stories: Counter = Counter()
    for entry in entries:
        for cve in entry.get("cves") or find_cves(_text(entry)):
            feeds.setdefault(cve, set()).add(entry["feed"])
            stories[cve] += 1
    ranked = sorted(feeds, key=lambda c: (-len(feeds[c]), -stories[c], c))[:limit]
    return [{"cve": c, "mentions": len(feeds[c]), "entries": stories[c],
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
        html.Span(cve["cve"]), html.Span(f"{cve['mentions']}×"), html.Span(mark),
    ])  # fmt: skip


def _local_time(published: str, tz) -> str:
    """The wall's local time of an entry, like the clock beside it."""
    return datetime.fromisoformat(published).astimezone(tz).strftime("%H:%M")


def _headline(item: dict) -> html.Div:
    when = item.get("local_time") or datetime.fromisoformat(item["published"]).strftime("%H:%M")
    return html.Div(className="feedwords-headline", title=item["title"], children=[
        html.Span(when, className="feedwords-time"), html.Span(item["title"]),
    ])  # fmt: skip
