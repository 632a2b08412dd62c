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
    names = {r["vendorProject"] for r in catalog} | {r["product"] for r in catalog}
    names = {n for n in names if len(n) > 2 and n.lower() not in ("multiple products", "windows")}
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
        kept = [w if w not in STOP_WORDS and w not in ignore and len(w) > 2 else None for w in kept]
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
        now = math.log((count + alpha) / (n_recent + prior_size - count - alpha))
        before_count = background[term]
        before = math.log((before_count + alpha) / (n_back + prior_size - before_count - alpha))
        scores[term] = (now - before) / math.sqrt(1 / (count + alpha) + 1 / (before_count + alpha))
    return scores


def compute(inputs: FeedInputs, options: FeedKeywordsOptions, context: PanelContext) -> dict:
    """Trending keywords with mentions and score, the most mentioned CVEs, vendors, headlines."""
    start = (context.now - options.window).isoformat()
    recent = [e for e in inputs.entries if e["published"] >= start]
    older = [e for e in inputs.entries if e["published"] < start]
    ignore = {w.lower() for w in options.boilerplate} | {e["feed"].lower() for e in inputs.entries}
    count = lambda items: Counter(t for e in items for t in _entry_terms(e, ignore))  # noqa: E731
    now_counts, before_counts = count(recent), count(older)
    scores = log_odds(now_counts, before_counts) if now_counts else {}
    # ties broken the same way every time, so the treemap does not reshuffle between refreshes
    order = lambda t: (-round(scores[t], 9), -len(t.split()), t)  # noqa: E731
    frequent = (t for t in scores if now_counts[t] >= options.min_mentions)
    trending = sorted(frequent, key=order)
    return {
        "keywords": [{"term": t, "mentions": now_counts[t], "score": round(scores[t], 2)}
                     for t in _without_parts(trending)[: options.keywords]],
        "cves": _cves(recent, inputs.exploited, options.cves),
        "vendors": _mentions(recent, inputs.vocabulary)[:6],
        "headlines": [{"title": e["title"], "feed": e["feed"], "published": e["published"]}
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


def _without_parts(trending: list[str]) -> list[str]:
    """Drop a word when a phrase with it ranks above it ('netweaver' under 'sap netweaver')."""
    shown: list[str] = []
    for term in trending:
        if not any(term in phrase.split() for phrase in shown if " " in phrase):
            shown.append(term)
    return shown


def _cves(entries: list[dict], exploited: set[str], limit: int) -> list[dict]:
    mentions = Counter(cve for e in entries for cve in set(find_cves(_text(e))))
    ranked = sorted(mentions.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [{"cve": cve, "mentions": n, "exploited": cve in exploited} for cve, n in ranked]


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


def _headline(item: dict) -> html.Div:
    when = datetime.fromisoformat(item["published"]).strftime("%H:%M")
    return html.Div(className="feedwords-headline", title=item["title"], children=[
        html.Span(when, className="feedwords-time"), html.Span(item["title"]),
    ])  # fmt: skip
