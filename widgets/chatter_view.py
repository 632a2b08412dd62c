"""chatter's view: subject rows with a bar against the usual level, and the newest lines.

Every message text is a Dash text child (escaped by React), never HTML. Lines wrap and are
clamped; nothing scrolls.
"""

from socwall.widgets.components import html
from socwall.widgets.context import View
from socwall.widgets.entity import entity, marked

KINDS = {"cve": "CVE", "product": "product", "vendor": "vendor", "nickname": "nickname",
         "actor": "actor", "malware": "malware", "ransomware": "ransomware", "tool": "tool",
         "campaign": "campaign", "package": "package", "name": "name"}  # fmt: skip


def render_panel(payload: dict, options, view: View):
    """Subjects on the left, the newest lines on the right, the denominator above."""
    if not payload["messages"]:
        return html.Div(_empty(payload), className="panel-empty")
    return html.Div(
        className="chatter",
        children=[
            html.Div(
                className="chatter-main",
                children=[
                    html.Div(_caption(payload), className="chatter-caption"),
                    _subjects(payload, view),
                    _footer(payload),
                ],
            ),
            html.Div(
                className="chatter-lines",
                children=[html.Div("Newest lines", className="chatter-heading")]
                + [_line(line, view) for line in payload["lines"]],
            ),
        ],
    )


def _empty(payload: dict) -> str:
    if payload.get("outages"):
        return f"no message in the last {payload['window']}; not listening part of the time"
    return f"no message in the last {payload['window']} on any channel listened to"


def _caption(payload: dict) -> str:
    """The denominator: messages, channels, how many name a subject, and the usual's base."""
    channels = len(payload["channels"])
    plural = "channel" if channels == 1 else "channels"
    text = (f"{payload['messages']:,} messages in {payload['window']} from {channels} {plural}; "
            f"{payload['about']:,} name a subject")
    if payload["weeks"]:
        text += f"; usual = median of the same {payload['window']} in {payload['weeks']} " \
                f"{'week' if payload['weeks'] == 1 else 'weeks'} before"  # fmt: skip
    else:
        text += "; no usual level yet (listening for less than a week)"
    return text


def _subjects(payload: dict, view: View) -> "html.Div":
    rows = payload["subjects"]
    if not rows:
        return html.Div("no product, CVE, actor or malware named in these messages",
                        className="chatter-none")  # fmt: skip
    top = max(max(r["mentions"], r["usual"] or 0) for r in rows) or 1
    return html.Div([_row(r, top, view) for r in rows], className="chatter-subjects")


def _row(row: dict, top: float, view: View) -> "html.Div":
    classes = "chatter-row" + (" jump" if row["jump"] else "") + (" ours" if row["ours"] else "")
    bar = html.Span(className="chatter-bar", style={"width": f"{100 * row['mentions'] / top:.1f}%"})
    marks = [bar]
    if row["usual"] is not None:
        marks.append(html.Span(className="chatter-usual", title=f"usually {row['usual']:g}",
                               style={"left": f"{100 * row['usual'] / top:.1f}%"}))  # fmt: skip
    label = entity(row["label"], "cve", view, "chatter-label") if row["kind"] == "cve" else \
        html.Span(row["label"], className="chatter-label")  # fmt: skip
    name = [label, html.Span(KINDS.get(row["kind"], row["kind"]), className="chatter-kind")]
    if row["cves"] and row["kind"] != "cve":
        name.append(html.Span([entity(c, "cve", view) for c in row["cves"]],
                              className="chatter-cves"))  # fmt: skip
    return html.Div(
        className=classes,
        children=[
            html.Div(name, className="chatter-name"),
            html.Div([html.Div(marks, className="chatter-track"),
                      html.Span(_numbers(row), className="chatter-numbers")],
                     className="chatter-measure"),  # fmt: skip
            html.Div(_where(row), className="chatter-where"),
        ],
    )


def _numbers(row: dict) -> str:
    """'14 from 6 people · usually 1 · week ago 0', or 'no usual level yet'."""
    text = f"{row['mentions']} from {row['authors']} " \
           f"{'person' if row['authors'] == 1 else 'people'}"  # fmt: skip
    if row["usual"] is None:
        return text + " · no usual level yet"
    text += f" · usually {row['usual']:g}"
    if row["week_ago"] is not None:
        text += f" · week ago {row['week_ago']}"
    return text


def _where(row: dict) -> str:
    channels = " · ".join(f"{c['where']} {c['messages']}" for c in row["channels"])
    return f"since {row['first_local']} · {channels}"


def _footer(payload: dict) -> "html.Div":
    parts = []
    if payload["more_subjects"]:
        parts.append(f"{payload['more_subjects']} more subjects not shown")
    for outage in payload["outages"][-2:]:
        lost = "not replayed: lines said then are lost" if outage["source"] == "irc" else \
            outage.get("why") or "not read"  # fmt: skip
        parts.append(f"{outage['via']} not listening {outage['from']}–{outage['to']} ({lost})")
    return html.Div(" · ".join(parts), className="chatter-footer")


def _line(line: dict, view: View) -> "html.Div":
    """Time, where, who and the text (CVE ids kept whole); at the desk the time links to the
    post when it has an http(s) address (a message's own link is never taken as a URL)."""
    when = html.Span(line["time"], className="chatter-time")
    url = line.get("url") or ""
    if view.desk and url.startswith(("https://", "http://")):
        when = html.A(line["time"], href=url, target="_blank", rel="noopener noreferrer",
                      className="chatter-time entity", title="open the post")  # fmt: skip
    return html.Div(
        className="chatter-line",
        title=line["text"],
        children=[
            when,
            html.Span(f"{line['where']} · {line['author']}", className="chatter-who"),
            html.Span(marked(line["text"]), className="chatter-text"),
        ],
    )
