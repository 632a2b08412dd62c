"""changes widget: running first with time left, upcoming by start, HBI hosts highlight."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from socwall.feeds.inventory import parse_inventory
from socwall.widgets import changes as widget
from socwall.widgets.context import PanelContext, View

NOW = datetime(2026, 3, 25, 12, 0, tzinfo=UTC)
CONTEXT = PanelContext(now=NOW, tz=ZoneInfo("Europe/Berlin"), source_id="cal")
ASSETS = parse_inventory(
    b"ip,name,criticality,role,owner\n"
    b"10.0.1.21,db-02,HBI,PostgreSQL primary,dba team\n"
    b"10.0.1.30,fw-01,high,firewall,netops\n"
)


def change(ident, start_min, end_min, hosts, end_known=True):
    return {"id": ident, "title": f"title {ident}", "hosts": hosts, "services": [],
            "start": (NOW + timedelta(minutes=start_min)).isoformat(),
            "end": (NOW + timedelta(minutes=end_min)).isoformat(),
            "end_known": end_known, "state": "scheduled", "recurring": False}  # fmt: skip


CHANGES = [
    change("past", -300, -60, ["db-02"]),
    change("later", 120, 180, ["web-09"]),
    change("soon", 30, 90, ["fw-01"]),
    change("running-long", -60, 200, ["fw-01"]),
    change("running-db", -20, 45, ["db-02", "db-01"]),
    change("too-far", 600, 660, ["db-02"]),
    change("open", -10, 230, ["san-01"], end_known=False),
]


def test_running_first_by_end_then_upcoming_by_start():
    data = widget.compute(widget.ChangesInputs(CHANGES, ASSETS), widget.ChangesOptions(), CONTEXT)
    assert [r["id"] for r in data["rows"]] == [
        "running-db", "running-long", "open", "soon", "later"]  # fmt: skip
    assert (data["running"], data["upcoming"], data["more"]) == (3, 2, 0)
    db = data["rows"][0]
    assert db["minutes"] == 45 and db["hbi"] and db["ours"]
    assert [h["hbi"] for h in db["hosts"]] == [True, False]
    assert data["rows"][3]["minutes"] == 30  # starts in 30 min
    assert data["highlight"] is True


def test_calm_without_hbi_and_limit_counts_the_rest():
    calm = [c for c in CHANGES if "db-02" not in c["hosts"]]
    options = widget.ChangesOptions(limit=2)
    data = widget.compute(widget.ChangesInputs(calm, ASSETS), options, CONTEXT)
    assert data["highlight"] is False and len(data["rows"]) == 2 and data["more"] == 2


def text_of(component) -> str:
    children = getattr(component, "children", component)
    if isinstance(children, str):
        return children
    if isinstance(children, list):
        return " ".join(text_of(c) for c in children)
    return "" if children is None else text_of(children)


def test_render_says_now_left_and_no_end():
    data = widget.compute(widget.ChangesInputs(CHANGES, ASSETS), widget.ChangesOptions(), CONTEXT)
    text = text_of(widget.render(data, widget.ChangesOptions(), View()))
    assert "left 45 min" in text and "no end given, 3 h 50 min" in text and "in 30 min" in text
    assert "db-02 HBI" in text and "3 running · 2 in the next 8 h" in text


def test_empty_says_what_it_knows():
    data = widget.compute(widget.ChangesInputs([], {}), widget.ChangesOptions(), CONTEXT)
    shown = text_of(widget.render(data, widget.ChangesOptions(), View()))
    assert "the calendar lists none" in shown
    data = widget.compute(widget.ChangesInputs(CHANGES[:1], {}), widget.ChangesOptions(), CONTEXT)
    assert "(1 known)" in text_of(widget.render(data, widget.ChangesOptions(), View()))


def test_never_read_is_not_an_empty_calendar():
    inputs = widget.ChangesInputs([], {}, read=False)
    data = widget.compute(inputs, widget.ChangesOptions(), CONTEXT)
    shown = text_of(widget.render(data, widget.ChangesOptions(), View()))
    assert shown == "no calendar or ticket export read yet"


def test_a_change_running_on_a_crown_jewel_is_a_notice_never_an_alarm():
    data = widget.compute(widget.ChangesInputs(CHANGES, ASSETS), widget.ChangesOptions(), CONTEXT)
    assert data["facts"] == [{"kind": "hbi_change", "severity": "notice", "row": "running-db",
                              "text": "title running-db running on db-02 (HBI)"}]  # fmt: skip
    data["verdict"] = {"state": "notice", "reasons": [], "rows": {
        "running-db": {"state": "notice", "because": None}}}  # fmt: skip
    rows = widget.render(data, widget.ChangesOptions(), View()).children
    assert rows[0].className == "change running hbi notice"
    assert "alert" not in " ".join(r.className or "" for r in rows)
