"""feed_keywords' view: the story treemap with its legend, the CVE list and the headlines."""

from datetime import date, datetime

from socwall.feeds.subjects_story import HISTORY_FOR_NEW
from socwall.widgets import theme
from socwall.widgets.components import dcc, html
from socwall.widgets.context import View

# what a tile's colour means, in the legend's order (Okabe-Ito, colour-blind safe)
COLOURS = {
    "ours": ("#D55E00", "about a product we run"),
    "exploited": ("#CC79A7", "known-exploited CVE"),
    "new": ("#56B4E9", "new today"),
    "seen": ("#4B5563", "seen before"),
}


def render_panel(payload: dict, options, view: View):
    """Treemap of stories with its legend; beside it CVEs and the latest headlines, as text."""
    if not payload["entries"]:
        return html.Div("no feed entries in this window yet", className="panel-empty")
    return html.Div(
        className="feedwords",
        children=[
            html.Div(
                className="feedstory-main",
                children=[
                    html.Div(_caption(payload), className="feedstory-caption"),
                    _stories(payload, view),
                    _legend(payload.get("history", 0)),
                ],
            ),
            html.Div(
                className="feedwords-side",
                children=[
                    html.Div("CVEs, most sources first", className="feedstory-heading"),
                    _cves(payload["cves"], payload.get("year")),
                    html.Div(
                        [_headline(h) for h in payload["headlines"]], className="feedwords-news"
                    ),
                ],
            ),
        ],
    )


def _caption(payload: dict) -> str:
    """The denominator: how many stories of how many entries from how many feeds."""
    stories = len(payload["stories"]) + payload.get("more_stories", 0)
    window = payload.get("window") or "window"
    text = (
        f"{stories} {'story' if stories == 1 else 'stories'} in {payload['entries']} entries "
        f"of {payload['feeds']} {'feed' if payload['feeds'] == 1 else 'feeds'}, last {window}"
    )
    if payload.get("more_stories"):
        text += f"; the {len(payload['stories'])} most carried shown"
    return text


def _stories(payload: dict, view: View):
    if not payload["stories"]:
        return html.Div(
            "no named subject in these entries: no product, actor, malware or "
            "name any of them shares",
            className="panel-empty",
        )
    return dcc.Graph(
        figure=_treemap(payload["stories"], view),
        config=theme.GRAPH_CONFIG,
        className="feedwords-map",
        responsive=True,
        style={"height": "100%"},
    )


def _treemap(stories: list[dict], view: View) -> dict:
    trace = {
        "type": "treemap",
        "ids": [s["key"] for s in stories],
        "labels": [s["label"] for s in stories],
        "parents": [""] * len(stories),
        "values": [s["sources"] for s in stories],
        "branchvalues": "total",
        "sort": False,
        "text": [_sources(s["sources"]) + _chat_first(s) for s in stories],
        "customdata": [s["headline"] for s in stories],
        "marker": {
            "colors": [COLOURS[s["colour"]][0] for s in stories],
            "line": {"width": view.line(2), "color": "#121821"},
        },
        "texttemplate": "<b>%{label}</b><br>%{text}",
        "textposition": "middle center",
        "textfont": {"size": view.px(22), "color": "#FFFFFF"},
        "hovertemplate": "%{label}: %{text}<br>%{customdata}<extra></extra>",
        "tiling": {"pad": view.px(2)},
        "pathbar": {"visible": False},
        "root": {"color": "rgba(0,0,0,0)"},
    }
    layout = theme.figure_layout(
        view,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        uniformtext={"minsize": view.px(16), "mode": "hide"},
    )
    return {"data": [trace], "layout": layout}


def _chat_first(story: dict) -> str:
    """A tile said in chat before the news says how much earlier."""
    hours = story.get("chat_first")
    return "" if hours is None else f"<br>in chat {hours:g} h earlier"


def _sources(count: int) -> str:
    return f"{count} {'source' if count == 1 else 'sources'}"


def _legend(history: int) -> "html.Div":
    """What the colours mean; grey says 'seen before' only when there is history to say so."""
    meaning = {name: words for name, (_, words) in COLOURS.items()}
    if history < HISTORY_FOR_NEW:
        meaning["new"] = "new today (needs history)"
        meaning["seen"] = "too little history to tell"
    keys = [
        html.Span(className="feedstory-key",
                  children=[html.Span(className=f"feedstory-swatch {name}"), html.Span(words)])
        for name, words in meaning.items()
    ]  # fmt: skip
    return html.Div(className="feedstory-legend", children=keys)


def _cves(cves: list[dict], year: int | None) -> "html.Div":
    if not cves:
        return html.Div("none in this window", className="feedstory-none")
    return html.Div([_cve_line(c, year) for c in cves], className="feedstory-cves")


def _cve_line(cve: dict, year: int | None) -> "html.Div":
    marks = []
    if cve["exploited"]:
        marks.append(
            f"exploited, listed {_day(cve['added'], year)}" if cve.get("added") else "exploited"
        )
    if cve.get("ours"):
        marks.append(f"we run {cve['ours']}")
    if cve.get("chat"):
        marks.append(f"{cve['chat']} in chat")
    state = "ours" if cve.get("ours") else "exploited" if cve["exploited"] else ""
    return html.Div(
        className=f"feedstory-cve {state}".strip(),
        children=[
            html.Span(cve["cve"], className="feedstory-cve-id"),
            html.Span(
                f"{cve['sources']}×", className="feedstory-cve-n", title=_sources(cve["sources"])
            ),
            html.Span(" · ".join(marks), className="feedstory-cve-mark"),
        ],
    )


def _day(iso: str, year: int | None) -> str:
    """'20 Jul' in the wall's year, '20 Jul 2024' otherwise: dates of other years say so."""
    day = date.fromisoformat(iso)
    return day.strftime("%d %b" if day.year == year else "%d %b %Y").lstrip("0")


def _headline(item: dict) -> "html.Div":
    when = item.get("local_time") or datetime.fromisoformat(item["published"]).strftime("%H:%M")
    return html.Div(
        className="feedwords-headline",
        title=item["title"],
        children=[
            html.Span(when, className="feedwords-time"),
            html.Span(item["title"]),
        ],
    )
