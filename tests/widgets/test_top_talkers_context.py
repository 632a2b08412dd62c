"""top_talkers with the context of issue 14: HBI hosts and hosts in maintenance."""

from dataclasses import replace
from datetime import timedelta

from socwall.feeds.changes import running_by_host
from socwall.widgets import top_talkers as tt
from socwall.widgets.context import View
from tests.widgets.test_changes import text_of
from tests.widgets.test_top_talkers import CONTEXT, HAND, NOW, T, inputs, options

TINY_NEW = [*HAND, (T + 60, "h9", "q", 1, 1)]  # h9: NEW with a share far below min_share


def test_a_tiny_new_hbi_host_is_highlighted_a_tiny_new_workstation_is_not():
    plain = tt.compute(inputs(TINY_NEW), options(), CONTEXT)
    h9 = next(r for r in plain["rows"] if r["host"] == "h9")
    assert h9["new"] and not h9["alert"] and not h9["hbi"]
    marked = tt.compute(replace(inputs(TINY_NEW), hbi=frozenset({"h9", "h2"})), options(), CONTEXT)
    rows = {r["host"]: r for r in marked["rows"]}
    assert rows["h9"]["alert"] and rows["h9"]["hbi"]
    assert rows["h2"]["hbi"] and not rows["h2"]["alert"]  # HBI but steady: calm


def find(component, class_name: str) -> list:
    """Every component under `component` with this class."""
    found = [component] if getattr(component, "className", None) == class_name else []
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str):
            found += find(child, class_name)
    return found


def test_maintenance_marks_from_running_changes():
    changes = [
        {"title": "CHG-1042 failover", "hosts": ["DB-02"],
         "start": (NOW - timedelta(minutes=5)).isoformat(),
         "end": (NOW + timedelta(minutes=5)).isoformat()},
        {"title": "done", "hosts": ["h1"], "start": (NOW - timedelta(hours=3)).isoformat(),
         "end": (NOW - timedelta(hours=2)).isoformat()},
    ]  # fmt: skip
    assert running_by_host(changes, NOW) == {"db-02": "CHG-1042 failover"}
    data = tt.compute(replace(inputs(HAND), maintenance={"h2": "CHG-1042 failover"}), options(),
                      CONTEXT)  # fmt: skip
    view = tt.render(data, options(), View())
    assert "maint. CHG-1042" in text_of(view)
    assert [m.title for m in find(view, "talker-maint")] == ["in maintenance: CHG-1042 failover"]
