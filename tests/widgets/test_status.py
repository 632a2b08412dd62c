"""status widget: down first with how long, flapping, HBI marks, the denominator."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from socwall.feeds.inventory import parse_inventory
from socwall.widgets import status as widget
from socwall.widgets.context import PanelContext, View
from tests.widgets.test_changes import text_of

NOW = datetime(2026, 3, 25, 12, 0, tzinfo=UTC)
CONTEXT = PanelContext(now=NOW, tz=ZoneInfo("Europe/Berlin"), source_id="probe")
ASSETS = parse_inventory(b"ip,name,criticality\n10.0.1.21,db-02,HBI\n10.0.1.22,web-01,low\n")


def state(up, since_min, host=None, flips=()):
    return {"up": up, "detail": "HTTP 200" if up else "Connection refused", "host": host,
            "since": (NOW - timedelta(minutes=since_min)).isoformat(),
            "flips": [(NOW - timedelta(minutes=m)).isoformat() for m in flips]}  # fmt: skip


STATE = {
    "web-01 https": state(True, 600, "web-01"),
    "db-02 postgres": state(False, 12, "db-02"),
    "mail smtp": state(False, 95, "mail-01"),
    "vpn": state(True, 3, "vpn-01", flips=[3, 20, 40]),
    "dns": state(True, 2000, "dns-01", flips=[90, 100, 110]),  # flips too long ago
    **{f"app-{i:02d}": state(True, 300, f"app-{i:02d}") for i in range(43)},
}


def test_down_first_longest_first_then_flapping_then_up():
    data = widget.compute(widget.StatusInputs(STATE, ASSETS), widget.StatusOptions(), CONTEXT)
    names = [t["name"] for t in data["tiles"]]
    assert names[:3] == ["mail smtp", "db-02 postgres", "vpn"]
    assert (data["down"], data["total"], data["hbi_down"], data["flapping"]) == (2, 48, 1, 1)
    assert data["tiles"][1]["hbi"] and data["tiles"][1]["minutes"] == 12
    assert data["highlight"] is True and data["more"] == 0


def test_render_says_down_for_and_the_denominator():
    options = widget.StatusOptions(max_tiles=10)
    data = widget.compute(widget.StatusInputs(STATE, ASSETS), options, CONTEXT)
    text = text_of(widget.render(data, options, View()))
    assert "2 of 48 down · 1 HBI · 1 flapping · 38 more not shown" in text
    assert "down for 12 min" in text and "down for 1 h 35 min" in text
    assert "flapping: 3 changes" in text


def test_all_up_is_calm_and_nothing_checked_says_so():
    up = {k: v for k, v in STATE.items() if v["up"] and k != "vpn"}
    data = widget.compute(widget.StatusInputs(up, ASSETS), widget.StatusOptions(), CONTEXT)
    assert data["highlight"] is False and data["down"] == 0
    empty = widget.compute(widget.StatusInputs({}, {}), widget.StatusOptions(), CONTEXT)
    shown = text_of(widget.render(empty, widget.StatusOptions(), View()))
    assert "nothing has been checked" in shown


def test_down_is_an_alarm_fact_since_it_went_down_flapping_a_notice():
    data = widget.compute(widget.StatusInputs(STATE, ASSETS), widget.StatusOptions(), CONTEXT)
    facts = {f["row"]: f for f in data["facts"]}
    assert set(facts) == {"mail smtp", "db-02 postgres", "vpn"}
    db = facts["db-02 postgres"]
    assert (db["kind"], db["severity"], db["hosts"], db["services"]) == (
        "down", "alarm", ["db-02"], ["postgres"])
    assert (db["start"], db["end"]) == ((NOW - timedelta(minutes=12)).isoformat(), NOW.isoformat())
    assert db["text"] == "db-02 postgres down for 12 min"
    assert (facts["vpn"]["kind"], facts["vpn"]["severity"]) == ("flapping", "notice")


def test_a_tile_in_maintenance_is_muted_with_the_reason_and_counted():
    options = widget.StatusOptions(max_tiles=10)
    data = widget.compute(widget.StatusInputs(STATE, ASSETS), options, CONTEXT)
    because = "in maintenance, CHG-1042, 36 min left"
    data["verdict"] = {"state": "alarm", "reasons": [], "rows": {
        "db-02 postgres": {"state": "explained", "because": because},
        "mail smtp": {"state": "alarm", "because": None}}}  # fmt: skip
    tree = widget.render(data, options, View())
    text = " ".join(text_of(tree).split()).replace(" ,", ",")
    assert "2 of 48 down · 1 HBI · 1 in maintenance · 1 flapping" in text
    assert "down for 12 min in maintenance, CHG-1042, 36 min left" in text
    db = next(t for t in tree.children[1].children if "db-02" in text_of(t))
    assert db.className == "tile down hbi explained"
    assert tree.children[0].className == "status-summary alert"  # mail-01 is still an alarm
