"""Readers against the real public corpora in ../shared/data, when that folder is there."""

from pathlib import Path

import pytest

from socwall.feeds import flow_readers, flow_rules, flow_sums, flows

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not beside the repo")


def test_real_zeek_conn_log_reads_every_row():
    chunk = flow_readers.read_zeek_tsv((SHARED / "zeek" / "conn_sample.log").read_bytes())
    assert (chunk.table.num_rows, chunk.bad_rows) == (92, 0)  # the README says 92 rows
    assert set(chunk.table["proto"].to_pylist()) <= {"tcp", "udp", "icmp"}
    cleaned, _ = flow_rules.repair_direction(flow_rules.clear_portless(chunk.table), flow_rules.SERVICE_PORTS)
    pairs, invalid = flow_sums.boundary_pairs(cleaned, flow_rules.Networks(flow_rules.PRIVATE_NETWORKS, []), 300)
    assert invalid == 0
    assert pairs.num_rows == 0  # a competition LAN capture: every address here is private


def test_real_kev_catalog_parses_whole():
    from socwall.feeds import kev

    records, bad, version = kev.parse_catalog(
        (SHARED / "intel" / "kev_2025-01-29.json").read_bytes()
    )
    assert (len(records), bad, version) == (1253, 0, "2025.01.29")
    assert all(r["vendorProject"] == r["vendorProject"].strip() for r in records)


def test_real_zeek_ssh_log():
    from socwall.feeds import auth_formats

    events, bad = auth_formats.parse_zeek_ssh((SHARED / "zeek" / "ssh.log").read_bytes())
    assert bad == 0
    assert sum(e.count for e in events if e.outcome == "success") == 5
    assert all(e.user is None and e.src_ip for e in events)  # Zeek sees addresses, not users


def test_real_conn_log_rotated_and_compressed_is_read_exactly_once(
    tmp_path, store, redis_url, prefix
):
    """A week of real Zeek conn.log, written in two halves, rotated and gzipped between reads:
    the rows the source read equal the data lines a plain loop counts in the file."""
    import gzip
    from datetime import UTC, datetime

    from socwall.dashboard.config import parse_config

    text = (SHARED / "zeek" / "conn_trickbot_2018-11.log").read_text()
    header = [line for line in text.splitlines(keepends=True) if line.startswith("#")]
    rows = [line for line in text.splitlines(keepends=True) if not line.startswith("#")]
    half = len(rows) // 2
    logs = tmp_path / "logs"
    logs.mkdir()
    raw = {"store": {"url": redis_url, "prefix": prefix},
           "sources": {"net": {"type": "flows", "path": str(logs / "conn.log*"), "format": "zeek"},
                       "kev": {"type": "kev", "location": "kev.json"}},
           "pages": [{"id": "p", "title": "P", "panels": [
               {"id": "k", "widget": "exploited_recent", "title": "K", "source": "kev",
                "at": [1, 1]}]}]}  # fmt: skip
    source = flows.Source(parse_config(raw).sources["net"], "net")
    now = datetime(2018, 11, 10, tzinfo=UTC)
    opening = [line for line in header if not line.startswith("#close")]
    (logs / "conn.log").write_text("".join(opening) + "".join(rows[:half]))
    first = source.ingest(store, now)
    with open(logs / "conn.log", "a") as handle:
        handle.write("".join(rows[half:]))
    with open(logs / "conn.log", "rb") as plain, gzip.open(logs / "conn.log.1.gz", "wb") as packed:
        packed.write(plain.read())  # rotated and compressed before the next read
    (logs / "conn.log").unlink()
    second = source.ingest(store, now)
    third = source.ingest(store, now)
    read = sum(s["rows"] + s["bad_rows"] for s in (first, second, third))
    assert read == len(rows) == 13001


def _plain_zeek_top(path: Path, by: str) -> list[tuple[str, int]]:
    """An independent count: a plain loop over the TSV, the stdlib's notion of private space."""
    import ipaddress
    from collections import Counter

    lines = path.read_text().splitlines()
    names = next(line for line in lines if line.startswith("#fields")).split("\t")[1:]
    totals: Counter = Counter()
    for line in lines:
        if line.startswith("#"):
            continue
        row = dict(zip(names, line.split("\t"), strict=False))
        orig, resp = ipaddress.ip_address(row["id.orig_h"]), ipaddress.ip_address(row["id.resp_h"])
        inside = [a.is_private and not (a.is_link_local or a.is_loopback or a.is_multicast) for a in (orig, resp)]
        outside = [a.is_global and not a.is_multicast for a in (orig, resp)]  # 224/4 is "global"
        if inside[0] and outside[1]:
            host, sent, opened = row["id.orig_h"], row["orig_ip_bytes"], 1  # what the reader maps
        elif outside[0] and inside[1]:
            host, sent, opened = row["id.resp_h"], row["resp_ip_bytes"], 0
        else:
            continue
        totals[host] += int(sent) if (by == "bytes" and sent != "-") else (opened if by == "opened" else 0)
    return [(h, v) for h, v in totals.most_common() if v][:10]


def _socwall_top(path: Path, by: str, direction: str) -> list[tuple[str, int]]:
    import pandas as pd

    from socwall.widgets import top_talkers

    config = flows.FlowsConfig(type="flows", path=str(path))
    networks = flow_rules.Networks(config.internal, config.exclude)
    pairs, _ = flows.pairs_from_bytes(path.read_bytes(), str(path), "zeek", config, networks)
    ranked = top_talkers.rank(pd.DataFrame(pairs.to_pandas()), by, direction)
    return [(r.host, int(getattr(r, by))) for r in ranked.head(10).itertuples()]


def test_real_trickbot_week_top_talkers_match_a_plain_count():
    path = SHARED / "zeek" / "conn_trickbot_2018-11.log"
    ours = _socwall_top(path, "bytes", "both")
    plain = _plain_zeek_top(path, "bytes")
    assert [h for h, _ in ours] == [h for h, _ in plain] and ours == plain
    opened = _socwall_top(path, "connections", "out")
    assert opened == _plain_zeek_top(path, "opened")


def test_real_json_capture_has_no_multicast_or_link_local_talker():
    import ipaddress

    path = SHARED / "zeek" / "conn_json_2020-06.log"
    assert flows.content_format(path.read_bytes()[:64], "auto") == "zeek-json"  # named .log
    config = flows.FlowsConfig(type="flows", path=str(path))
    networks = flow_rules.Networks(config.internal, config.exclude)
    pairs, stats = flows.pairs_from_bytes(path.read_bytes(), str(path), "zeek-json", config, networks)
    addresses = set(pairs["host"].to_pylist()) | set(pairs["peer"].to_pylist())
    assert all(ipaddress.ip_address(a).is_multicast is False for a in addresses)
    assert all(not ipaddress.ip_address(a).is_link_local for a in addresses)
    multicast_rows = sum('"ff02::' in line or '"224.0.0.' in line or '"239.' in line
                         for line in path.read_text().splitlines())  # fmt: skip
    assert stats["special"] >= multicast_rows > 0


def test_real_malspam_capture_unset_bytes_and_connections_out():
    path = SHARED / "zeek" / "conn_malspam_2016-12.log"
    ours = _socwall_top(path, "connections", "out")
    assert ours == _plain_zeek_top(path, "opened")
    assert all(value >= 0 for _, value in _socwall_top(path, "bytes", "both"))


def test_real_pam_only_log_counts_every_failure_once_with_its_source():
    """loghub's Linux_2k: 489 old-style PAM failures are the only record of each attempt; an
    independent regular expression over the file counts them and their sources."""
    import re
    from collections import Counter
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from socwall.feeds import auth_readers

    path = SHARED / "auth" / "loghub_Linux_2k.log"
    text = path.read_text(errors="replace")
    pattern = re.compile(r"sshd\(pam_unix\)\[\d+\]: authentication failure;.*rhost=(\S*)")
    expected = Counter(m.group(1) for m in pattern.finditer(text))
    assert sum(expected.values()) == 489
    events, _ = auth_readers.parse_syslog(text.encode(), datetime(2005, 7, 28, tzinfo=UTC), ZoneInfo("UTC"))
    failures = [e for e in events if e.outcome == "failure" and e.method == "sshd"]
    assert Counter(e.src_ip or "" for e in failures) == expected
    assert not any(e.privileged for e in events if e.outcome == "failure")


def test_a_file_recognised_under_one_percent_says_so(tmp_path, store, redis_url, prefix):
    from datetime import UTC, datetime

    from socwall.dashboard.config import parse_config
    from socwall.feeds import auth

    lines = [f"Jun 14 15:16:{i % 60:02d} combo kernel: usb {i} connected" for i in range(300)]
    (tmp_path / "messages").write_text("\n".join(lines) + "\n")
    raw = {"store": {"url": redis_url, "prefix": prefix},
           "sources": {"a": {"type": "auth", "path": str(tmp_path / "messages")},
                       "kev": {"type": "kev", "location": "kev.json"}},
           "pages": [{"id": "p", "title": "P", "panels": [
               {"id": "k", "widget": "exploited_recent", "title": "K", "source": "kev", "at": [1, 1]}]}]}  # fmt: skip
    stats = auth.Source(parse_config(raw).sources["a"], "a").ingest(store, datetime(2005, 7, 1, tzinfo=UTC))
    said = "messages: 300 lines read, 0 recognised as sshd, su, sudo, Windows or Zeek; is `format` right?"
    assert said in stats["warnings"] and stats["blind"] == said
    assert stats["per_file"] == {"messages": {"read": 300, "recognised": 0, "skipped": 0, "format": "syslog"}}


def test_real_zeek_kerberos_and_ntlm_logs_are_told_apart_by_their_path_header():
    from socwall.feeds import auth, auth_formats

    for name, kind in (("kerberos.log", "zeek-kerberos"), ("ntlm.log", "zeek-ntlm"), ("ssh.log", "zeek-ssh")):
        assert auth.content_format((SHARED / "zeek" / name).read_bytes()[:1024], "auto") == kind
    ntlm = (SHARED / "zeek" / "ntlm.log").read_text().splitlines()
    names = next(line for line in ntlm if line.startswith("#fields")).split("\t")[1:]
    expected = sum(1 for line in ntlm if not line.startswith("#")
                   and dict(zip(names, line.split("\t"), strict=False))["success"] == "T")
    events, bad = auth_formats.parse_zeek_ntlm((SHARED / "zeek" / "ntlm.log").read_bytes())
    assert bad == 0 and sum(e.outcome == "success" for e in events) == expected == 206
    assert all(e.user == e.user.lower() for e in events if e.user)
    kerberos, _ = auth_formats.parse_zeek_kerberos((SHARED / "zeek" / "kerberos.log").read_bytes())
    assert [(e.outcome, e.reason) for e in kerberos] == [("failure", "KDC_ERR_WRONG_REALM")]
    try:
        auth.content_format((SHARED / "zeek" / "conn_sample.log").read_bytes()[:1024], "auto")
    except ValueError as error:
        assert "Zeek 'conn' log is not an authentication log" in str(error)
    else:
        raise AssertionError("a conn.log must not be read as authentication")


def test_real_windows_samples_give_the_same_events_from_evtx_and_from_evtx_dump():
    """Every .evtx sample and its evtx_dump JSON lines give the same events; the 4624/4625
    counts equal a plain loop over the JSON that leaves out machine and built-in accounts."""
    import json
    import re

    from socwall.feeds import auth, auth_formats

    builtin = re.compile(r"^(SYSTEM|LOCAL SERVICE|NETWORK SERVICE|ANONYMOUS LOGON|DWM-\d+|UMFD-\d+|-)$", re.I)
    samples = sorted((SHARED / "auth" / "windows").glob("*.evtx"))
    assert len(samples) == 7
    for path in samples:
        binary = path.read_bytes()
        assert auth.content_format(binary[:64], "auto") == "evtx"
        from_evtx, bad = auth_formats.parse_evtx(binary)
        dump = Path(f"{path}_dump.jsonl").read_bytes()
        from_json, _ = auth_formats.parse_windows_json(dump)
        assert bad == 0 and from_evtx == from_json, path.name
        expected = 0
        for line in dump.decode().splitlines():
            event = json.loads(line)["Event"]
            if event["System"]["EventID"] in (4624, 4625):
                user = (event.get("EventData") or {}).get("TargetUserName") or ""
                expected += not (user.endswith("$") or builtin.match(user))
        got = sum(1 for e in from_json if e.program in ("windows-4624", "windows-4625"))
        assert got == expected, path.name
