# ruff: noqa: E501, F811 - SQL and rows on one line each; `database` is an imported fixture
"""A query source on a real PostgreSQL says what it could not count: `inet` columns read as
addresses, rows from the future never move the watermark past the reading time, rows without a
time or out of range are bad rows, an empty table is blind, and a server that accepts and never
answers fails within `timeout`."""

import socket
import threading
import time
from datetime import UTC, datetime, timedelta

import ibis
import pytest

from socwall.dashboard.clock import Clock
from socwall.dashboard.jobs import run_source
from socwall.feeds import query
from socwall.feeds.query_engines import QueryError
from tests.feeds import query_data as qd
from tests.feeds.test_query_flows import BUCKETS, NOW, START, query_config, wall
from tests.feeds.test_query_postgres import database  # noqa: F401  (fixture)

pytestmark = pytest.mark.postgres
COLUMNS = {"src_ip": "src", "dst_ip": "dst", "bytes_out": "sent"}


def flows_table(con, name: str, rows: list[tuple], kind: str = "inet") -> None:
    con.raw_sql(f"CREATE TABLE {name} (ts timestamptz, src {kind}, dst {kind}, sent bigint)").close()
    if rows:
        values = ", ".join(f"({'NULL' if t is None else repr(t.isoformat())}, '{s}', '{d}', {b})" for t, s, d, b in rows)
        con.raw_sql(f"INSERT INTO {name} VALUES {values}").close()


def plain_rows(count: int, start: datetime = START) -> list[tuple]:
    """Flows from internal hosts to outside addresses, a few seconds apart."""
    return [(start + timedelta(seconds=7 * n), f"172.16.0.{n % 30 + 1}", f"203.0.113.{n % 20 + 1}", 100 + n)
            for n in range(count)]


def plain_sums(rows: list[tuple]) -> dict:
    """(host, peer) -> bytes, by a plain loop."""
    sums: dict = {}
    for _, src, dst, sent in rows:
        sums[(src, dst)] = sums.get((src, dst), 0) + sent
    return sums


def stored_sums(store, source_id: str) -> dict:
    sums: dict = {}
    for _, host, peer, sent, *_ in qd.stored_pairs(store, source_id, BUCKETS):
        sums[(host, peer)] = sums.get((host, peer), 0) + sent
    return sums


def test_inet_columns_are_read_as_addresses(database, store):
    rows = plain_rows(3000)
    flows_table(ibis.connect(database), "inet_flows", rows)
    config = query_config(engine="postgres", url=database, table="inet_flows", columns=COLUMNS)
    stats = query.Source(config, "lake").ingest(store, NOW)
    assert (stats["rows"], stats["bad_rows"]) == (3000, 0) and "blind" not in stats
    assert stored_sums(store, "lake") == plain_sums(rows)


def test_rows_from_the_future_never_move_the_watermark_and_are_counted(database, store):
    con = ibis.connect(database)
    now = START + timedelta(hours=6)
    rows = plain_rows(1000)  # 7 s apart: until about 01:56
    ahead = [(now + timedelta(days=2, minutes=n), "172.16.0.99", "198.51.100.99", 1) for n in range(50)]
    flows_table(con, "skewed", rows + ahead)
    config = query_config(engine="postgres", url=database, table="skewed", columns=COLUMNS, lag="10m")
    source = query.Source(config, "lake")
    stats = source.ingest(store, now)
    mark = store.document("lake", "watermark")["bucket"]
    assert mark <= (now + timedelta(minutes=10)).timestamp()
    assert stats["future"]["rows"] == 50 and stats["future"]["until"].startswith((now + timedelta(days=2, minutes=49)).strftime("%Y-%m-%dT%H:%M"))
    assert any("50 rows are dated after the reading time" in w for w in stats["warnings"])
    exfiltration = [(now + timedelta(minutes=1), "172.16.0.5", "198.51.100.66", 3_000_000_000)]
    con.raw_sql(f"INSERT INTO skewed VALUES ('{exfiltration[0][0].isoformat()}', '172.16.0.5', '198.51.100.66', 3000000000)").close()
    source.ingest(store, now + timedelta(minutes=2))
    assert stored_sums(store, "lake") == plain_sums(rows + exfiltration)  # the future rows wait


def test_rows_without_a_time_or_out_of_range_are_bad_rows_in_words(database, store):
    rows = plain_rows(500)
    broken = [(None, "172.16.0.7", "203.0.113.7", 1)] * 100 + [(datetime(2150, 1, 1, tzinfo=UTC), "172.16.0.8", "203.0.113.8", 1)] * 20
    flows_table(ibis.connect(database), "holes", rows + broken)
    config = query_config(engine="postgres", url=database, table="holes", columns=COLUMNS)
    stats = query.Source(config, "lake").ingest(store, NOW)
    assert stats["rows"] == 500 and stats["bad_rows_total"] == 120
    assert "100 rows have no time: never counted" in stats["warnings"]
    assert "20 rows are dated before 1990 or after 2100: never counted" in stats["warnings"]
    assert "future" not in stats


def test_an_empty_table_is_blind_and_says_so(database, store, redis_url, prefix):
    flows_table(ibis.connect(database), "nothing", [])
    lake = query_config(engine="postgres", url=database, table="nothing", columns=COLUMNS).model_dump(mode="json")
    config = wall(redis_url, prefix, {"lake": lake})
    status = run_source(config, "lake", store, Clock(replay_start=NOW, frozen=True))
    assert (status["status"], status["error"]) == ("blind", "table nothing has no rows")


def test_text_addresses_that_none_can_read_make_the_source_blind(database, store):
    bad = [(START + timedelta(seconds=n), "host-a", "host-b", 1) for n in range(40)]
    flows_table(ibis.connect(database), "names", bad, kind="text")
    config = query_config(engine="postgres", url=database, table="names", columns=COLUMNS)
    stats = query.Source(config, "lake").ingest(store, NOW)
    assert stats["blind"].startswith("none of the 40 rows read could be read")


class SilentServer:
    """A TCP listener that accepts connections and never says a word."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self):
        for conn in self.held:
            conn.close()
        self.sock.close()


@pytest.fixture
def silent():
    server = SilentServer()
    yield server
    server.close()


def test_a_server_that_accepts_and_never_answers_fails_within_the_timeout(silent, store):
    url = f"postgres://socwall@127.0.0.1:{silent.port}/flows"
    config = query_config(engine="postgres", url=url, table="t", columns=COLUMNS, timeout="2s")
    started = time.monotonic()
    with pytest.raises(QueryError, match=f"cannot connect to postgres://socwall@127.0.0.1:{silent.port}/flows"):
        query.Source(config, "lake").ingest(store, NOW)
    assert time.monotonic() - started < 6
