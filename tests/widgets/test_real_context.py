"""hbi_contacts on a real week of Zeek conn.log (../shared/data), against a plain count."""

import ipaddress
import shutil
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from socwall.dashboard.config import parse_config
from socwall.dashboard.jobs import run_panel, run_source

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not beside the repo")
LOG = SHARED / "zeek" / "conn_trickbot_2018-11.log"
HOSTS = ["172.16.9.5", "172.16.9.233", "172.16.9.34"]  # the domain controller and two clients


class Clock:
    def __init__(self, now):
        self.moment = now

    def now(self):
        return self.moment


def plain_outside_peers(day: datetime) -> dict[str, set[str]]:
    """Per internal host: distinct public unicast addresses it exchanged a flow with that day."""
    start, end = day.timestamp(), (day + timedelta(days=1)).timestamp()
    private = ipaddress.ip_network("172.16.0.0/12")
    peers = defaultdict(set)
    for line in LOG.read_text().splitlines():
        if line.startswith("#"):
            continue
        fields = line.split("\t")
        ts, orig, resp = float(fields[0]), fields[2], fields[4]
        if not start <= ts < end:
            continue
        for host, peer in ((orig, resp), (resp, orig)):
            address = ipaddress.ip_address(peer)
            inside = ipaddress.ip_address(host) in private
            if inside and address.is_global and not address.is_multicast:
                peers[host].add(peer)
    return peers


def test_outside_peers_of_hbi_hosts_match_a_plain_count(tmp_path, store, redis_url, prefix):
    shutil.copy(LOG, tmp_path / "conn.log")
    (tmp_path / "assets.csv").write_text("ip,name,criticality,role,owner\n" + "".join(
        f"{ip},host-{i},HBI,,\n" for i, ip in enumerate(HOSTS)))  # fmt: skip
    raw = {"store": {"url": redis_url, "prefix": prefix},
           "sources": {"net": {"type": "flows", "path": str(tmp_path / "conn.log"),
                               "format": "zeek", "retention": "30d"}},
           "pages": [{"id": "p", "title": "P", "panels": [
               {"id": "hbi", "widget": "hbi_contacts", "title": "HBI", "source": "net",
                "at": [1, 1], "options": {"inventory": str(tmp_path / "assets.csv"),
                                          "window": "24h", "baseline": "1d"}}]}]}  # fmt: skip
    config = parse_config(raw, tmp_path)
    assert run_source(config, "net", store, Clock(datetime(2018, 11, 10, tzinfo=UTC)))["rows"]
    day = datetime(2018, 11, 5, tzinfo=UTC)
    panel = config.pages[0].panels[0]
    meta = run_panel(config, panel, store, Clock(day + timedelta(days=1) - timedelta(seconds=1)))
    assert meta["status"] == "ok", meta.get("error")
    rows = {r["host"]: r for r in store.panel_data("hbi")["rows"]}
    today, before = plain_outside_peers(day), plain_outside_peers(day - timedelta(days=1))
    assert any(today[h] for h in HOSTS)  # the check means something: there are outside peers
    for host in HOSTS:
        assert rows[host]["peers"] == len(today[host]), host
        assert rows[host]["peers_then"] == len(before[host]), host
        assert rows[host]["new"] == len(today[host] - before[host]), host
