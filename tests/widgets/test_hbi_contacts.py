"""hbi_contacts: outside peers of each HBI host now vs the baseline window, first contact."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pandas as pd

from socwall.feeds.inventory import parse_inventory
from socwall.widgets import hbi_contacts as widget
from socwall.widgets.context import PanelContext, View
from tests.widgets.test_changes import text_of

CONTEXT = PanelContext(now=datetime(2026, 3, 25, 12, tzinfo=UTC), tz=ZoneInfo("UTC"),
                       source_id="netflow")  # fmt: skip
ASSETS = parse_inventory(
    b"ip,name,criticality,role,owner\n"
    b"10.0.1.20,hr-files-02,HBI,HR file server,hr-it\n"
    b"10.0.1.21,db-02,HBI,PostgreSQL primary,dba\n"
    b"10.0.1.22,erp-01,HBI,ERP,finance-it\n"
    b"10.0.3.50,ws-042,low,workstation,desk\n"
)


def pairs(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["host", "peer", "bytes", "connections"])


NOW = pairs(
    ("10.0.1.20", "203.0.113.9", 9_000_000_000, 40),  # hr-files-02: never talked outside before
    ("10.0.1.21", "198.51.100.1", 1000, 2), ("10.0.1.21", "198.51.100.2", 1000, 2),
    ("10.0.1.21", "198.51.100.3", 1000, 2), ("10.0.1.21", "198.51.100.4", 1000, 2),
    ("10.0.1.22", "192.0.2.10", 5000, 3),
    ("10.0.3.50", "192.0.2.99", 5000, 3),  # not HBI: not shown
)  # fmt: skip
THEN = pairs(
    ("10.0.1.21", "198.51.100.1", 900, 2),
    ("10.0.1.22", "192.0.2.10", 4000, 3),
    ("10.0.3.50", "192.0.2.98", 5000, 3),
)  # fmt: skip


def test_first_contact_and_new_peers_highlight_calm_ones_do_not():
    data = widget.compute(widget.ContactInputs(NOW, THEN, ASSETS, True),
                          widget.HbiContactsOptions(inventory="x.csv"), CONTEXT)  # fmt: skip
    by_name = {r["name"]: r for r in data["rows"]}
    assert [r["name"] for r in data["rows"]] == ["db-02", "hr-files-02", "erp-01"]
    hr = by_name["hr-files-02"]
    assert (hr["peers"], hr["peers_then"], hr["new"], hr["first_contact"], hr["alert"]) == (
        1, 0, 1, True, True)
    db = by_name["db-02"]
    assert (db["peers"], db["peers_then"], db["new"], db["alert"]) == (4, 1, 3, True)
    assert db["examples"] == [{"peer": "198.51.100.2", "bytes": 1000},
                              {"peer": "198.51.100.3", "bytes": 1000}]  # fmt: skip
    assert [f["row"] for f in data["facts"]] == ["10.0.1.21", "10.0.1.20"]
    assert data["facts"][1]["text"] == (
        "hr-files-02: first contact with the outside, 203.0.113.9 (9.0 GB)")
    erp = by_name["erp-01"]
    assert (erp["peers"], erp["new"], erp["alert"]) == (1, 0, False)
    assert (data["hbi_hosts"], data["talking"], data["highlight"]) == (3, 3, True)


def test_unknown_baseline_is_said_and_never_highlights():
    data = widget.compute(widget.ContactInputs(NOW, pairs(), ASSETS, False),
                          widget.HbiContactsOptions(inventory="x.csv"), CONTEXT)  # fmt: skip
    assert data["highlight"] is False
    assert all(r["peers_then"] is None and r["new"] is None for r in data["rows"])
    text = text_of(widget.render(data, widget.HbiContactsOptions(inventory="x.csv"), View()))
    assert "no flow data a week ago: nothing to compare with" in text and "no data" in text


def test_render_in_words():
    options = widget.HbiContactsOptions(inventory="x.csv", baseline="1d")
    data = widget.compute(widget.ContactInputs(NOW, THEN, ASSETS, True), options, CONTEXT)
    text = " ".join(text_of(widget.render(data, options, View())).split()).replace(" ,", ",")
    assert "first contact with the outside: 203.0.113.9 9.0 GB" in text
    assert "new: 198.51.100.2 1.0 kB, 198.51.100.3 1.0 kB and 1 more" in text
    assert "a day ago" in text and "3 of 3 HBI hosts talk to the outside (last 60 min)" in text
    workstation_only = pairs(("10.0.3.50", "192.0.2.99", 5000, 3))  # flows seen, none HBI
    silent = widget.compute(widget.ContactInputs(workstation_only, THEN, ASSETS, True), options,
                            CONTEXT)  # fmt: skip
    assert "no outside contact" in text_of(widget.render(silent, options, View()))


def test_peer_churn_without_growth_stays_calm():
    churn_now = pairs(*[("10.0.1.22", f"192.0.2.{i}", 100, 1) for i in range(10, 16)])
    churn_then = pairs(*[("10.0.1.22", f"198.51.100.{i}", 100, 1) for i in range(10, 16)])
    data = widget.compute(widget.ContactInputs(churn_now, churn_then, ASSETS, True),
                          widget.HbiContactsOptions(inventory="x.csv"), CONTEXT)  # fmt: skip
    erp = next(r for r in data["rows"] if r["name"] == "erp-01")
    assert (erp["new"], erp["alert"], data["highlight"]) == (6, False, False)


def test_a_window_without_any_flow_is_unknown_not_no_contact():
    options = widget.HbiContactsOptions(inventory="x.csv")
    data = widget.compute(widget.ContactInputs(pairs(), THEN, ASSETS, True), options, CONTEXT)
    text = text_of(widget.render(data, options, View()))
    assert "no flow data in the last 60 min: contacts unknown" in text
    assert "no outside contact" not in text and data["highlight"] is False
