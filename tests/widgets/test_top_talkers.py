"""top_talkers: ranks, shares, peers, rank change and NEW on a data set worked out by hand."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from pydantic import ValidationError

from socwall.widgets import top_talkers as tt
from socwall.widgets.context import PanelContext, View

NOW = datetime(2013, 4, 1, 8, 59, 59, tzinfo=UTC)  # the window ends now, its last bucket filling
T = 1364803200  # 08:00Z: the current 1h window is [08:00, now], the one before [07:00, 08:00)
CONTEXT = PanelContext(now=NOW, tz=ZoneInfo("UTC"), source_id="net")


def pairs(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["bucket", "host", "peer", "bytes", "connections"])


def inputs(rows, names=None) -> tt.TalkerInputs:
    return tt.TalkerInputs(pairs(rows), names or {}, 300)


HAND = [
    # previous hour: h1 500, h2 400, h3 300, h4 200 -> ranks 1, 2, 3, 4
    (T - 3600, "h1", "x", 500, 5), (T - 3600, "h2", "x", 400, 4),
    (T - 1800, "h3", "y", 300, 3), (T - 300, "h4", "z", 200, 2),
    # this hour: h2 1000, h1 300 + 300 (peers x, y, x again), h5 550 (new), h3 100
    (T, "h2", "x", 1000, 1), (T, "h1", "x", 300, 10), (T + 600, "h1", "y", 200, 1),
    (T + 900, "h1", "x", 100, 1), (T + 1200, "h5", "w", 550, 2), (T + 3300, "h3", "y", 100, 1),
]  # fmt: skip


def options(**overrides) -> tt.TopTalkersOptions:
    return tt.TopTalkersOptions(**overrides)


def test_ranks_shares_peers_and_changes_by_hand():
    data = tt.compute(inputs(HAND), options(), CONTEXT)
    rows = {r["host"]: r for r in data["rows"]}
    assert [r["host"] for r in data["rows"]] == ["h2", "h1", "h5", "h3"]
    assert data["total"] == 2250 and data["hosts"] == 4 and data["repaired"] == 0
    assert rows["h1"]["value"] == 600 and rows["h1"]["peers"] == 2  # x counted once
    assert rows["h2"]["share"] == 44.4 and rows["h5"]["share"] == 24.4  # 1000/2250, 550/2250
    assert (rows["h2"]["change"], rows["h1"]["change"], rows["h3"]["change"]) == (1, -1, -1)
    assert rows["h5"]["new"] is True and rows["h5"]["change"] is None
    assert rows["h5"]["alert"] is True and not rows["h2"]["alert"]
    assert data["highlight"] is True  # because of the NEW entrant


def test_tiny_new_entrants_are_marked_but_not_highlighted():
    # h5 has 24.4 % of the total: below a 30 % floor it is still NEW, but calm
    data = tt.compute(inputs(HAND), options(min_share=30), CONTEXT)
    h5 = next(r for r in data["rows"] if r["host"] == "h5")
    assert h5["new"] is True and h5["alert"] is False and data["highlight"] is False


def test_by_connections():
    data = tt.compute(inputs(HAND), options(by="connections"), CONTEXT)
    assert [(r["host"], r["value"]) for r in data["rows"]] == [
        ("h1", 12), ("h5", 2), ("h2", 1), ("h3", 1)
    ]  # fmt: skip


def test_ranks_11_to_20_and_new_means_not_in_the_previous_top_20():
    previous = [(T - 3600, f"p{i:02d}", "x", 1000 - i, 1) for i in range(1, 26)]  # p01 .. p25
    current = [(T, f"p{i:02d}", "x", 1000 - i, 1) for i in range(1, 26) if i != 22]
    current.append((T, "p22", "x", 5000, 1))  # was rank 22: now first, and NEW
    data = tt.compute(inputs(previous + current), options(ranks=[11, 20]), CONTEXT)
    assert [r["rank"] for r in data["rows"]] == list(range(11, 21))
    assert [r["host"] for r in data["rows"]] == [f"p{i:02d}" for i in range(10, 20)]
    assert all(r["change"] == -1 for r in data["rows"])  # everyone below p22 moved down one
    top = tt.compute(inputs(previous + current), options(), CONTEXT)["rows"][0]
    assert (top["host"], top["new"]) == ("p22", True)


def test_big_riser_highlights_without_new_entrants():
    previous = [(T - 3600, f"h{i}", "x", 100 - i, 1) for i in range(1, 10)]  # h9 is 9th
    current = [(T, f"h{i}", "x", 100 - i, 1) for i in range(1, 9)] + [(T, "h9", "x", 150, 1)]
    data = tt.compute(inputs(previous + current), options(jump=5), CONTEXT)
    h9 = next(r for r in data["rows"] if r["host"] == "h9")
    assert (h9["rank"], h9["change"], h9["new"]) == (1, 8, False)
    assert data["highlight"] is True
    assert tt.compute(inputs(previous + current), options(jump=9), CONTEXT)["highlight"] is False


def test_first_window_of_data_marks_nobody_new():
    current = [row for row in HAND if row[0] >= T]
    data = tt.compute(inputs(current), options(), CONTEXT)
    assert not any(r["new"] for r in data["rows"]) and data["first_window"] is True


def test_names_from_the_inventory_file(tmp_path):
    inventory = tmp_path / "hosts.csv"
    inventory.write_text("ip,name\nh2,mail-01\n h5 , backup-07\n")
    names = tt.read_inventory(str(inventory))
    assert names == {"h2": "mail-01", "h5": "backup-07"}
    rows = tt.compute(inputs(HAND, names), options(), CONTEXT)["rows"]
    assert [r["name"] for r in rows] == ["mail-01", None, "backup-07", None]


def test_render_marks_new_and_formats_units():
    data = tt.compute(inputs(HAND), options(), CONTEXT)
    tree = tt.render(data, options(), View())
    rows = [r for r in tree.children[1:] if r.className.split()[0] == "talker" and "filler" not in r.className]
    assert len(rows) == 4 and rows[2].className == "talker new alert"
    text = str(tree)
    assert "NEW" in text and "1.0 kB" in text and "44.4%" in text and "▲1" in text and "▼1" in text
    assert "bytes sent (opened by us + answers), last 1h" in text
    assert tt.format_value(1_234_567_890, "bytes") == "1.2 GB"
    assert tt.format_value(12_345, "connections") == "12.3k"
    assert (tt.abbreviate(11_747), tt.abbreviate(9_999), tt.abbreviate(2_300_000)) == ("11.7k", "9,999", "2.3M")


def test_empty_window_says_so():
    tree = tt.render(tt.compute(inputs([]), options(), CONTEXT), options(), View())
    assert "no traffic" in str(tree)


def test_ranks_option_is_checked():
    with pytest.raises(ValidationError, match="ranks must be"):
        options(ranks=[10, 5])
    with pytest.raises(ValidationError, match="ranks must be"):
        options(ranks=[1, 30])


def directed_pairs(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["bucket", "host", "peer", "bytes", "connections",
                                       "bytes_opened", "opened"])  # fmt: skip


def test_a_host_scanned_from_outside_never_ranks_in_connections_out():
    rows = [(T, "scanned", f"198.51.100.{i}", 60, 1, 0, 0) for i in range(50)]  # 50 inbound
    rows += [(T, "client", "203.0.113.9", 5000, 3, 5000, 3)]  # 3 it opened itself
    data = tt.compute(tt.TalkerInputs(directed_pairs(rows), {}, 300), options(by="connections"),
                      CONTEXT)  # fmt: skip
    assert [(r["host"], r["value"]) for r in data["rows"]] == [("client", 3)]
    assert data["header"] == "connections opened to the outside"
    both = tt.compute(tt.TalkerInputs(directed_pairs(rows), {}, 300),
                      options(by="connections", direction="both"), CONTEXT)  # fmt: skip
    assert [r["host"] for r in both["rows"]] == ["scanned", "client"]
    inbound = tt.compute(tt.TalkerInputs(directed_pairs(rows), {}, 300),
                         options(by="bytes", direction="in"), CONTEXT)  # fmt: skip
    assert [(r["host"], r["value"]) for r in inbound["rows"]] == [("scanned", 3000)]


def test_new_means_absent_from_the_top_20_of_several_windows_not_just_the_last():
    quiet_hour = [(T - 7200, "backup", "x", 900, 1), (T - 7200, "web", "x", 100, 1)]
    last_hour = [(T - 3600, "web", "x", 100, 1)]  # backup was quiet for one window only
    now_rows = [(T, "backup", "x", 900, 1), (T, "web", "x", 100, 1), (T, "fresh", "x", 500, 1)]
    data = tt.compute(inputs(quiet_hour + last_hour + now_rows), options(), CONTEXT)
    new = {r["host"]: r["new"] for r in data["rows"]}
    assert new == {"backup": False, "fresh": True, "web": False}
    once = tt.compute(inputs(quiet_hour + last_hour + now_rows), options(new_after=1), CONTEXT)
    assert {r["host"]: r["new"] for r in once["rows"]}["backup"] is True


def test_threshold_compares_the_unrounded_share():
    rows = [(T - 3600, "big", "x", 99_540, 1), (T, "big", "x", 99_540, 1), (T, "small", "x", 460, 1)]
    data = tt.compute(inputs(rows), options(min_share=0.5), CONTEXT)
    small = next(r for r in data["rows"] if r["host"] == "small")
    assert small["new"] is True and small["share"] == 0.5 and small["alert"] is False  # 0.46 %


def test_bars_of_ranks_11_to_20_are_scaled_to_rank_1():
    rows = [(T, f"h{i:02d}", "x", 10_000 - i * 400, 1) for i in range(20)]
    data = tt.compute(inputs(rows), options(ranks=[11, 20]), CONTEXT)
    tree = tt.render(data, options(ranks=[11, 20]), View())
    widths = [float(row.children[2].children[0].style["width"].rstrip("%"))
              for row in tree.children[1:] if row.className == "talker"]
    assert data["top"] == 10_000 and widths[0] == pytest.approx(6000 / 10_000 * 100, abs=0.1)
    assert max(widths) <= 60  # rank 11 of 20 is not drawn as long as rank 1


def test_the_current_bucket_is_part_of_the_window():
    now = datetime(2013, 4, 1, 9, 2, 30, tzinfo=UTC)  # 2.5 minutes into the 09:00 bucket
    context = PanelContext(now=now, tz=ZoneInfo("UTC"), source_id="net")
    rows = [(T + 3600, "late", "x", 700, 1)]  # the bucket still filling
    data = tt.compute(inputs(rows), options(), context)
    assert [r["host"] for r in data["rows"]] == ["late"]
    assert data["partial_from"] == "2013-04-01T09:00:00+00:00"
    assert tt.window_buckets(int(now.timestamp()), 300, 3600, 1)[0] == T + 3600
