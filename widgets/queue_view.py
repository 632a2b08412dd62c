"""How the `queue` payload looks: a tile per severity, the breaches by name, time to acknowledge."""

from socwall.durations import duration_words
from socwall.widgets.components import html
from socwall.widgets.context import View


def wait_words(minutes: float) -> str:
    """'15 min', '1 h', '4 h', '1 d' for round times (SLAs), else duration_words."""
    whole = round(minutes)
    if whole and whole % 1440 == 0:
        return f"{whole // 1440} d"
    if whole >= 60 and whole % 60 == 0:
        return f"{whole // 60} h"
    return duration_words(whole)


def render_queue(payload: dict, view: View):
    """The queue, or, when it cannot be read, why: in words, never as zeros."""
    if not payload["known"]:
        last = (f"last known at {payload['as_of']}: {payload['waiting']} waiting"
                if payload["as_of"] else "never read: no count to show")  # fmt: skip
        return html.Div(className="queue unknown", children=[
            html.Div("Queue unknown", className="queue-unknown-head"),
            html.Div(payload["problem"], className="queue-unknown-why"),
            html.Div(last, className="queue-unknown-last"),
        ])  # fmt: skip
    return html.Div(className="queue", children=[
        html.Div(className="queue-tiles", children=[_tile(lv) for lv in payload["levels"]]),
        html.Div(className="queue-breaches", children=_breaches(payload)),
        html.Div(_mtta(payload["mtta"]), className="queue-mtta"),
        *([html.Div("more items than one answer holds: counts are too low",
                    className="queue-note")] if payload["truncated"] else []),
    ])  # fmt: skip


def _tile(level: dict) -> "html.Div":
    oldest = "none waiting"
    if level["oldest"] is not None:
        oldest = f"oldest {duration_words(level['oldest'])}"
    sla = "no SLA" if level["sla"] is None else f"SLA {wait_words(level['sla'])}"
    classes = "queue-tile " + level["severity"] + (" breach" if level["breach"] else "")
    return html.Div(className=classes, children=[
        html.Div(level["severity"], className="queue-severity"),
        html.Div(str(level["waiting"]), className="queue-count"),
        html.Div(className="queue-ages", children=[
            html.Div(oldest, className="queue-oldest"), html.Div(sla, className="queue-sla")]),
        html.Div(f"{level['acknowledged']} being handled", className="queue-acked"),
    ])  # fmt: skip


def _breaches(payload: dict) -> list:
    if not payload["breaches"]:
        return [html.Div("no item waits longer than its SLA", className="queue-calm")]
    lines = [html.Div(className="queue-breach", children=[
        html.Span(b["severity"], className="queue-breach-severity"),
        html.Span(duration_words(b["minutes"]), className="queue-breach-age"),
        html.Span(b["title"], className="queue-breach-title"),
    ]) for b in payload["breaches"]]  # fmt: skip
    if payload["more_breaches"]:
        lines.append(html.Div(f"and {payload['more_breaches']} more over their SLA",
                              className="queue-note"))  # fmt: skip
    return lines


def _mtta(mtta: dict) -> str:
    today = ("no acknowledgement yet today" if mtta["today"] is None else
             f"time to acknowledge today {duration_words(mtta['today'])} ({mtta['today_n']})")
    week = ("a week ago: none" if mtta["week_ago"] is None else
            f"a week ago {duration_words(mtta['week_ago'])} ({mtta['week_ago_n']})")
    return f"{today} · {week}"
