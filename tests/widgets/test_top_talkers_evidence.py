"""top_talkers' message: facts for the verdict, the outside addresses of a NEW host on its row,
the denominator, the drawer of one host, links at the desk only."""

from socwall.widgets import top_talkers as tt
from socwall.widgets.context import View
from tests.widgets.test_changes import text_of
from tests.widgets.test_top_talkers import CONTEXT, HAND, T, inputs, options
from tests.widgets.test_top_talkers_context import find

# h5 is NEW this hour (550 bytes to w); give it a second, bigger outside peer
EXFIL = [*HAND, (T + 1500, "h5", "203.0.113.9", 4000, 3)]


def words(component) -> str:
    return " ".join(text_of(component).split()).replace(" ,", ",")


def test_top_peers_per_shown_host_by_hand():
    data = tt.compute(inputs(EXFIL), options(), CONTEXT)
    rows = {r["host"]: r for r in data["rows"]}
    assert rows["h5"]["top_peers"] == [
        {"peer": "203.0.113.9", "bytes": 4000.0, "connections": 3},
        {"peer": "w", "bytes": 550.0, "connections": 2},
    ]
    assert rows["h1"]["top_peers"] == [  # x twice in the hour: 300 + 100, then y
        {"peer": "x", "bytes": 400.0, "connections": 11},
        {"peer": "y", "bytes": 200.0, "connections": 1},
    ]
    by_connections = tt.compute(inputs(EXFIL), options(by="connections"), CONTEXT)
    h5 = next(r for r in by_connections["rows"] if r["host"] == "h5")
    assert [p["peer"] for p in h5["top_peers"]] == ["203.0.113.9", "w"]


def test_a_new_entrant_is_a_fact_about_its_host_naming_its_top_address():
    data = tt.compute(inputs(EXFIL, {"h5": "hr-files-02"}), options(), CONTEXT)
    (fact,) = data["facts"]
    assert fact["kind"] == "new_talker" and fact["severity"] == "alarm" and fact["row"] == "h5"
    assert fact["hosts"] == ["h5", "hr-files-02"]
    assert fact["text"] == "hr-files-02 (h5) NEW at #1, most to 203.0.113.9 (4.0 kB)"
    assert (fact["start"], fact["end"]) == ("2013-04-01T08:00:00+00:00", CONTEXT.now.isoformat())


def test_the_new_row_shows_where_it_sends_and_the_footer_the_denominator():
    data = tt.compute(inputs(EXFIL, {"h5": "hr-files-02"}), options(), CONTEXT)
    tree = tt.render(data, options(), View())
    (evidence,) = find(tree, "talker-evidence")
    assert words(evidence) == "→ 203.0.113.9 4.0 kB, w 550 B"
    assert "ranks 1-4 of 4 hosts talking to the outside" in words(tree)
    assert [e.children for e in find(tree, "ident talker-ip")] == ["h5"]  # the address, whole


def test_a_calm_new_row_names_its_peers_in_the_top_10_and_only_in_the_drawer_below():
    data = tt.compute(inputs(EXFIL, {"h5": "hr-files-02"}), options(), CONTEXT)
    data["facts"], (h5,) = [], [r for r in data["rows"] if r["host"] == "h5"]
    h5["alert"] = False  # NEW, and nothing the verdict calls an alarm
    top, below = (tt.render(data, options(ranks=r), View()) for r in ([1, 10], [11, 20]))
    assert [words(e) for e in find(top, "talker-evidence")] == ["→ 203.0.113.9 4.0 kB, w 550 B"]
    assert find(below, "talker-evidence") == []
    assert "203.0.113.9 4.0 kB" in words(tt.drawer(data, "h5", options(ranks=[11, 20]), View()))
    h5["alert"] = True  # an alarm names its evidence on any panel
    assert len(find(tt.render(data, options(ranks=[11, 20]), View()), "talker-evidence")) == 1


def test_the_verdict_decides_the_row_class_and_says_why():
    data = tt.compute(inputs(EXFIL), options(), CONTEXT)
    because = "explained by CHG-7"
    data["verdict"] = {"state": "explained", "reasons": [because],
                       "rows": {"h5": {"state": "explained", "because": because}}}  # fmt: skip
    tree = tt.render(data, options(), View())
    row = next(r for r in tree.children if "new" in (r.className or "").split())
    assert row.className == "talker new explained" and because in words(row)


def test_the_drawer_lists_the_hosts_outside_peers_and_links_only_at_the_desk():
    data = tt.compute(inputs(EXFIL, {"h5": "hr-files-02"}), options(), CONTEXT)
    desk = View(links={"host": "https://siem/?q={ip}"}, desk=True)
    drawer = tt.drawer(data, "h5", options(), desk)
    text = words(drawer)
    assert "hr-files-02 h5" in text and "203.0.113.9 4.0 kB 3 conn. 88%" in text
    assert "w 550 B 2 conn. 12%" in text
    assert [a.href for a in find(drawer, "ident entity")] == [
        "https://siem/?q=h5", "https://siem/?q=203.0.113.9", "https://siem/?q=w"]
    assert "no longer in the list" in words(tt.drawer(data, "gone", options(), desk))
    wall = tt.render(data, options(), View())
    assert find(wall, "ident talker-name entity") == []  # no link on a kiosk
    rows = [r for r in find(wall, "talker new alert")]
    assert not any(hasattr(r, "tabIndex") and r.tabIndex for r in rows)
    at_desk = [r for r in find(tt.render(data, options(), desk), "talker new alert")]
    assert at_desk[0].tabIndex == "0" and at_desk[0].role == "button"
