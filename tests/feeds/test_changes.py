# ruff: noqa: E501 - ticket rows on one line each
"""The changes source: iCalendar recurrence across DST, ticket exports, bad input, incremental."""

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socwall.dashboard.config import ConfigError, parse_config
from socwall.dashboard.jobs import run_source
from socwall.feeds import changes

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 25, 12, 0, tzinfo=UTC)

# A weekly Friday-evening patch window in Berlin time; Europe moves to summer time on 29 March
# 2026, so the UTC start moves from 21:00 to 20:00 while the local time stays 22:00.
CALENDAR = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//socwall tests//EN\r
BEGIN:VTIMEZONE\r
TZID:Europe/Berlin\r
BEGIN:STANDARD\r
DTSTART:19701025T030000\r
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
END:STANDARD\r
BEGIN:DAYLIGHT\r
DTSTART:19700329T020000\r
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
END:DAYLIGHT\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
UID:patch-window@example.org\r
DTSTAMP:20260301T000000Z\r
DTSTART;TZID=Europe/Berlin:20260313T220000\r
DTEND;TZID=Europe/Berlin:20260314T000000\r
RRULE:FREQ=WEEKLY;BYDAY=FR\r
SUMMARY:Weekly patch window\r
LOCATION:db-01, db-02\r
CATEGORIES:patching,database\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:CHG-1042@example.org\r
DTSTAMP:20260301T000000Z\r
DTSTART:20260325T110000Z\r
DTEND:20260325T130000Z\r
SUMMARY:CHG-1042 PostgreSQL upgrade\r
X-HOSTS:db-02\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:CHG-0999@example.org\r
DTSTAMP:20260301T000000Z\r
DTSTART:20260324T110000Z\r
DTEND:20260324T130000Z\r
SUMMARY:Cancelled change\r
STATUS:CANCELLED\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_weekly_recurrence_keeps_local_time_across_the_dst_change():
    found, bad = changes.parse_ics(CALENDAR, NOW - timedelta(days=14), NOW + timedelta(days=14),
                                   BERLIN)  # fmt: skip
    patches = [c for c in found if c["title"] == "Weekly patch window"]
    starts = [c["start"] for c in patches]
    assert starts == [
        "2026-03-13T21:00:00+00:00",
        "2026-03-20T21:00:00+00:00",
        "2026-03-27T21:00:00+00:00",
        "2026-04-03T20:00:00+00:00",  # summer time: still 22:00 in Berlin
    ]
    assert all(c["recurring"] and c["hosts"] == ["db-01", "db-02"] for c in patches)
    assert patches[0]["services"] == ["patching", "database"]
    assert len({c["id"] for c in patches}) == 4  # each occurrence its own id
    assert bad == 0 and "Cancelled change" not in [c["title"] for c in found]
    upgrade = next(c for c in found if c["id"] == "CHG-1042@example.org")
    assert (upgrade["start"], upgrade["end"], upgrade["hosts"]) == (
        "2026-03-25T11:00:00+00:00", "2026-03-25T13:00:00+00:00", ["db-02"])


@pytest.mark.parametrize("data,match", [
    (b"this is not a calendar", "not an iCalendar file"),
    (b"<html><body>login</body></html>", "not an iCalendar file"),
    (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20260325\r\n", "not an iCalendar file"),
])  # fmt: skip
def test_malformed_calendar_is_a_clear_error(data, match):
    with pytest.raises(ValueError, match=match):
        changes.parse_ics(data, NOW, NOW + timedelta(days=1), BERLIN)


TICKETS_CSV = """id,title,start,end,hosts,services,state
CHG-2001,Firewall rule cleanup,2026-03-25 10:00,2026-03-25 14:00,fw-01,firewall,implementing
CHG-2002,Storage firmware,2026-03-25T13:30:00Z,,san-01;san-02,,scheduled
CHG-2003,Never mind,2026-03-25 10:00,2026-03-25 11:00,web-01,,cancelled
CHG-2004,Ends before it starts,2026-03-25 10:00,2026-03-25 09:00,web-02,,scheduled
,No id,2026-03-25 10:00,2026-03-25 11:00,web-03,,scheduled
CHG-2006,Bad time,next tuesday,,web-04,,scheduled
"""


def test_ticket_csv_without_end_gets_the_open_end_and_bad_rows_are_counted():
    found, bad = changes.parse_tickets(TICKETS_CSV.encode(), "csv", BERLIN, timedelta(hours=4))
    by_id = {c["id"]: c for c in found}
    assert sorted(by_id) == ["CHG-2001", "CHG-2002"] and bad == 3
    assert by_id["CHG-2001"]["start"] == "2026-03-25T09:00:00+00:00"  # Berlin local, winter
    open_ended = by_id["CHG-2002"]
    assert open_ended["end_known"] is False
    assert open_ended["end"] == "2026-03-25T17:30:00+00:00"
    assert open_ended["hosts"] == ["san-01", "san-02"]


def test_ticket_json_export_in_both_shapes():
    rows = [{"id": "CHG-1", "title": "Patch", "start": "2026-03-25T10:00:00Z",
             "end": "2026-03-25T11:00:00Z", "hosts": ["db-01"]}]  # fmt: skip
    for data in (json.dumps(rows), json.dumps({"changes": rows})):
        found, bad = changes.parse_tickets(data.encode(), "json", BERLIN, timedelta(hours=4))
        assert [c["hosts"] for c in found] == [["db-01"]] and bad == 0
    with pytest.raises(ValueError, match="not JSON"):
        changes.parse_tickets(b"{oops", "json", BERLIN, timedelta(hours=4))


def raw_wall(redis_url, prefix, locations, **source):
    return {
        "timezone": "Europe/Berlin",
        "store": {"url": redis_url, "prefix": prefix},
        "sources": {"cal": {"type": "changes", "locations": locations, "allow_hosts": ["127.0.0.1"], "timezone": "Europe/Berlin",
                            **source}},
        "pages": [{"id": "ctx", "title": "Context", "panels": [
            {"id": "chg", "widget": "changes", "title": "Changes", "source": "cal", "at": [1, 1]},
        ]}],
    }  # fmt: skip


def wall(tmp_path, redis_url, prefix, locations):
    return parse_config(raw_wall(redis_url, prefix, locations), tmp_path)


class FixedClock:
    def __init__(self, now):
        self.moment = now

    def now(self):
        return self.moment


def test_ingest_merges_tickets_by_id_and_keeps_the_last_good_list_on_a_broken_file(
    tmp_path, redis_url, prefix, store
):
    (tmp_path / "cal.ics").write_bytes(CALENDAR)
    (tmp_path / "tickets.csv").write_text(TICKETS_CSV)
    config = wall(tmp_path, redis_url, prefix, ["cal.ics", "tickets.csv"])
    clock = FixedClock(NOW)
    status = run_source(config, "cal", store, clock)
    assert status["status"] == "ok" and status["bad_rows"] == 3
    first = store.document("cal", "changes")
    ids = [c["id"] for c in first]
    assert "CHG-2001" in ids and "CHG-1042@example.org" in ids
    assert ids == [c["id"] for c in sorted(first, key=lambda c: (c["start"], c["id"]))]

    # the export now carries only a new ticket: the earlier tickets stay (merged by id)
    (tmp_path / "tickets.csv").write_text(
        "id,title,start,end,hosts\nCHG-2010,New one,2026-03-25 15:00,2026-03-25 16:00,db-01\n"
    )
    clock.moment = NOW + timedelta(minutes=5)
    run_source(config, "cal", store, clock)
    ids = {c["id"] for c in store.document("cal", "changes")}
    assert {"CHG-2001", "CHG-2002", "CHG-2010"} <= ids

    # a broken calendar: the source reports it, the last good list stays
    (tmp_path / "cal.ics").write_bytes(b"garbage")
    clock.moment = NOW + timedelta(minutes=10)
    status = run_source(config, "cal", store, clock)
    assert status["status"] == "error" and "not an iCalendar file" in status["error"]
    assert "cal.ics" in status["error"]
    assert "CHG-1042@example.org" in {c["id"] for c in store.document("cal", "changes")}
    # unchanged and still broken: said again (not "ok"), even when recurrences are due
    clock.moment = NOW + timedelta(hours=2)
    assert run_source(config, "cal", store, clock)["status"] == "error"
    (tmp_path / "cal.ics").write_bytes(CALENDAR + b"\r\n")  # repaired
    clock.moment = NOW + timedelta(hours=3)
    assert run_source(config, "cal", store, clock)["status"] == "ok"


def test_recurrences_move_with_the_clock_without_a_file_change(tmp_path, redis_url, prefix, store):
    (tmp_path / "cal.ics").write_bytes(CALENDAR)
    config = wall(tmp_path, redis_url, prefix, ["cal.ics"])
    run_source(config, "cal", store, FixedClock(NOW))
    later = NOW + timedelta(days=20)  # the file is unchanged, but new Fridays come into reach
    run_source(config, "cal", store, FixedClock(later))
    starts = [c["start"] for c in store.document("cal", "changes") if c["recurring"]]
    assert "2026-04-24T20:00:00+00:00" in starts  # 20 + 14 days ahead
    assert min(starts) >= (later - timedelta(days=36, hours=2)).isoformat()[:10]


def test_config_errors_name_the_key(tmp_path, redis_url, prefix):
    with pytest.raises(ConfigError, match=r"sources\.cal\.timezone"):
        parse_config(raw_wall(redis_url, prefix, ["x.ics"], timezone="Mars/Olympus"), tmp_path)
    with pytest.raises(ConfigError, match=r"sources\.cal\.locations"):
        parse_config(raw_wall(redis_url, prefix, []), tmp_path)


def test_duration_and_all_day_events():
    data = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n"
            b"BEGIN:VEVENT\r\nUID:d\r\nDTSTART:20260325T220000Z\r\nDURATION:PT2H\r\n"
            b"SUMMARY:with a duration\r\nEND:VEVENT\r\n"
            b"BEGIN:VEVENT\r\nUID:a\r\nDTSTART;VALUE=DATE:20260326\r\nSUMMARY:all day\r\n"
            b"END:VEVENT\r\nEND:VCALENDAR\r\n")  # fmt: skip
    found, bad = changes.parse_ics(data, NOW, NOW + timedelta(days=3), BERLIN)
    spans = {c["title"]: (c["start"], c["end"]) for c in found}
    assert spans["with a duration"] == ("2026-03-25T22:00:00+00:00", "2026-03-26T00:00:00+00:00")
    assert spans["all day"] == ("2026-03-25T23:00:00+00:00", "2026-03-26T23:00:00+00:00")  # Berlin

CELL = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.fixed_dictionaries({"id": CELL, "title": CELL, "start": CELL, "end": CELL,
                                       "hosts": CELL, "state": CELL}), max_size=8))  # fmt: skip
def test_any_ticket_rows_give_changes_or_bad_rows_never_an_exception(rows):
    found, bad = changes.parse_tickets(json.dumps(rows).encode(), "json", BERLIN,
                                       timedelta(hours=4))  # fmt: skip
    assert len(found) + bad <= len(rows)
    assert all(c["start"] <= c["end"] for c in found)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_are_a_calendar_or_a_clear_error(data):
    try:
        changes.parse_ics(data, NOW, NOW + timedelta(days=1), BERLIN)
    except ValueError as error:
        assert "iCalendar" in str(error) or "calendar" in str(error)


def test_a_calendar_url_on_a_local_server_and_its_outage(tmp_path, redis_url, prefix, store):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    state = {"status": 200}

    class Calendar(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            self.send_response(state["status"])
            self.send_header("Content-Type", "text/calendar")
            self.send_header("Content-Length", str(len(CALENDAR)))
            self.end_headers()
            self.wfile.write(CALENDAR)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Calendar)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/team/calendar.ics"
        config = wall(tmp_path, redis_url, prefix, [url])
        assert run_source(config, "cal", store, FixedClock(NOW))["status"] == "ok"
        assert "CHG-1042@example.org" in {c["id"] for c in store.document("cal", "changes")}
        state["status"] = 503
        status = run_source(config, "cal", store, FixedClock(NOW + timedelta(minutes=10)))
        assert status["status"] == "error" and "HTTP 503" in status["error"]
        assert "CHG-1042@example.org" in {c["id"] for c in store.document("cal", "changes")}
    finally:
        server.shutdown()
        server.server_close()


def test_a_bad_ticket_is_named_and_the_good_ones_of_the_same_file_are_kept(tmp_path, redis_url, prefix, store):
    """`end: 01` once raised OverflowError and lost the whole file; now it is one named row."""
    rows = [{"id": "CHG-1", "title": "Patch db", "start": "2026-03-25T10:00:00Z", "end": "01", "hosts": "db-01"},
            {"id": "CHG-2", "title": "Patch web", "start": "2026-03-25T10:00:00Z", "end": "2026-03-25T11:00:00Z"},
            {"id": "CHG-3", "title": "Someday", "start": "next tuesday"},
            {"title": "Nameless", "start": "2026-03-25T10:00:00Z"}]
    found, problems = changes.read_tickets(json.dumps(rows).encode(), "json", BERLIN, timedelta(hours=4))
    assert [c["id"] for c in found] == ["CHG-2"]
    assert problems == ["item 1 (CHG-1): end '01' is not a time", "item 3 (CHG-3): start 'next tuesday' is not a time",
                        "item 4: no id"]
    (tmp_path / "tickets.json").write_text(json.dumps(rows))
    status = run_source(wall(tmp_path, redis_url, prefix, ["tickets.json"]), "cal", store, FixedClock(NOW))
    assert status["status"] == "ok" and status["bad_rows"] == 3
    assert status["warnings"][0] == "tickets.json item 1 (CHG-1): end '01' is not a time"
    assert [c["id"] for c in store.document("cal", "changes")] == ["CHG-2"]


def test_an_inventory_line_without_an_ip_is_named_and_the_others_kept():
    from socwall.feeds.inventory import read_inventory_checked

    assets, problems = read_inventory_checked(b"ip,name,criticality\n10.0.1.21,db-02,HBI\n,web-01,low\n10.0.1.23,web-02,\n")
    assert sorted(assets) == ["10.0.1.21", "10.0.1.23"] and assets["10.0.1.21"].hbi
    assert problems == ["inventory line 3: no ip, left out"]
