"""The demo's context: a change calendar and ticket export, local services the probe checks.

The story: database server db-02 is in maintenance (CHG-1042, a PostgreSQL failover) and its
port is down, which explains a firewall-block spike on the Threats page; a weekly patch window
recurs every week at the same local time; a ticket without an end is being worked on.
"""

import logging
import socket
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)
MAINTENANCE = (timedelta(minutes=-50), timedelta(minutes=40))  # CHG-1042 around the anchor
DOWN_TARGET = "db-02 postgres"
HTTP_PORT, TCP_PORT, CLOSED_PORT = 18080, 18081, 18079  # as config.yaml's probe targets say


def _stamp(moment: datetime) -> str:
    return f"{moment:%Y%m%dT%H%M%S}Z"


def calendar_text(anchor: datetime, tz: ZoneInfo) -> str:
    """An iCalendar with a weekly patch window (local time, 5 weeks back) and two changes."""
    local = anchor.astimezone(tz)
    window = (local + timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
    first = window - timedelta(weeks=5)
    begin, end = (anchor + d for d in MAINTENANCE)
    deploy = anchor + timedelta(hours=2)
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//socwall demo//changes//EN",
        "BEGIN:VEVENT", "UID:patch-window@demo.socwall", f"DTSTAMP:{_stamp(anchor)}",
        f"DTSTART;TZID={tz.key}:{first:%Y%m%dT%H%M%S}",
        f"DTEND;TZID={tz.key}:{first + timedelta(hours=2):%Y%m%dT%H%M%S}",
        f"RRULE:FREQ=WEEKLY;BYDAY={first.strftime('%a')[:2].upper()}",
        "SUMMARY:Weekly patch window (web tier)", "LOCATION:web-01, web-02",
        "CATEGORIES:patching", "END:VEVENT",
        "BEGIN:VEVENT", "UID:CHG-1042@demo.socwall", f"DTSTAMP:{_stamp(anchor)}",
        f"DTSTART:{_stamp(begin)}", f"DTEND:{_stamp(end)}",
        "SUMMARY:CHG-1042 PostgreSQL failover db-02", "X-HOSTS:db-02",
        "CATEGORIES:database", "END:VEVENT",
        "BEGIN:VEVENT", "UID:CHG-1047@demo.socwall", f"DTSTAMP:{_stamp(anchor)}",
        f"DTSTART:{_stamp(deploy)}", f"DTEND:{_stamp(deploy + timedelta(minutes=30))}",
        "SUMMARY:CHG-1047 Firewall ruleset deploy", "LOCATION:fw-01", "END:VEVENT",
        "END:VCALENDAR",
    ]  # fmt: skip
    return "\r\n".join(lines) + "\r\n"


def tickets_text(anchor: datetime) -> str:
    """A ticket export (CSV): one being worked on without an end, one done, one cancelled."""
    iso = lambda d: (anchor + d).isoformat()  # noqa: E731
    return (
        "id,title,start,end,hosts,services,state\n"
        f"CHG-1051,SAN firmware update,{iso(timedelta(minutes=-20))},,backup-01,storage,"
        "implementing\n"
        f"CHG-1038,Mail relay certificate,{iso(timedelta(days=-2))},"
        f"{iso(timedelta(days=-2, hours=1))},mail-01,,closed\n"
        f"CHG-1049,Proxy upgrade,{iso(timedelta(hours=5))},{iso(timedelta(hours=6))},"
        "proxy-01,,cancelled\n"
    )


def write_demo_changes(directory: Path, anchor: datetime, tz: ZoneInfo) -> None:
    """The calendar and the ticket export the demo's `changes` source reads."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "calendar.ics").write_text(calendar_text(anchor, tz))
    (directory / "tickets.csv").write_text(tickets_text(anchor))


class _Answer(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the http.server API
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


class LocalServices:
    """An HTTP server and a TCP listener on 127.0.0.1 that the demo's probe checks: the wall's
    probe never goes anywhere else in the demo. Port 0 picks a free port (tests)."""

    def __init__(self, http_port: int = HTTP_PORT, tcp_port: int = TCP_PORT):
        self.http = ThreadingHTTPServer(("127.0.0.1", http_port), _Answer)
        self.tcp = socket.create_server(("127.0.0.1", tcp_port))
        self.http_port, self.tcp_port = self.http.server_address[1], self.tcp.getsockname()[1]
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.tcp.accept()
            except OSError:  # closed
                return
            connection.close()

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()
        self.tcp.close()


def start_local_services() -> LocalServices | None:
    """The demo's listeners; None (tiles then show down, with the reason) when a port is taken."""
    try:
        return LocalServices()
    except OSError as error:
        log.warning("demo probe listeners not started: %s", error)
        return None


def seed_probe_history(store, source_id: str, anchor: datetime, names: list[str]) -> None:
    """As if the probe had been running: everything up for days, db-02 down since CHG-1042."""
    down_since = anchor + MAINTENANCE[0] + timedelta(minutes=3)
    state = {
        name: {"up": name != DOWN_TARGET, "detail": "", "latency_ms": 1, "host": name.split()[0],
               "kind": "tcp", "flips": [down_since.isoformat()] if name == DOWN_TARGET else [],
               "since": (down_since if name == DOWN_TARGET else anchor - timedelta(days=2)
                         ).isoformat(), "checked_at": anchor.isoformat()}
        for name in names
    }  # fmt: skip
    store.write_document(source_id, "status", state)
