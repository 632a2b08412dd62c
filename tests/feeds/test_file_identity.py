"""Files that share their first bytes are still told apart: binary formats with a fixed header
(.evtx), similar text files, and a copy is skipped only with a note that says so."""

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from socwall.dashboard.config import parse_config
from socwall.feeds import auth, file_identity
from socwall.feeds.auth_formats import parse_evtx_after

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
WINDOWS = SHARED / "auth" / "windows"
NOW = datetime(2026, 1, 1, tzinfo=UTC)  # the samples span 2019-2020: kept by a long retention
PAGE = {"id": "p", "title": "P", "panels": [
    {"id": "k", "widget": "exploited_recent", "title": "K", "source": "kev", "at": [1, 1]}]}
real_data = pytest.mark.skipif(not WINDOWS.is_dir(), reason="../shared/data is not beside the repo")
BUILTIN = {"SYSTEM", "LOCAL SERVICE", "NETWORK SERVICE", "ANONYMOUS LOGON"}


def auth_source(folder: Path, redis_url: str, prefix: str, pattern: str) -> auth.Source:
    raw = {"store": {"url": redis_url, "prefix": prefix},
           "sources": {"win": {"type": "auth", "path": str(folder / pattern), "retention": "4000d"},
                       "kev": {"type": "kev", "location": "kev.json"}},
           "pages": [PAGE]}  # fmt: skip
    return auth.Source(parse_config(raw).sources["win"], "win")


def total(store, metric: str) -> int:
    span = [(datetime(2017, 1, 1, tzinfo=UTC), NOW + timedelta(days=1))]
    return int(store.metric_series("win", metric, span).sum())


def plain_count(folder: Path) -> dict:
    """Records, and 4624 logons of people, counted from the evtx_dump JSON with a plain loop."""
    records = logons = 0
    for dump in folder.glob("*.evtx_dump.jsonl"):
        for line in dump.read_text().splitlines():
            event = json.loads(line)["Event"]
            records += 1
            code = event["System"]["EventID"]
            user = (event.get("EventData") or {}).get("TargetUserName") or ""
            if code == 4624 and user not in BUILTIN and not user.endswith("$"):
                logons += 1
    return {"records": records, "logons": logons}


def test_two_leads_with_the_same_header_and_other_records_differ():
    header = b"ElfFile\x00" + bytes(4096 - 8)
    chunk = b"ElfChnk\x00" + bytes(504)
    first = file_identity.identity(header + chunk + b"**\x00\x00record one" * 50)
    second = file_identity.identity(header + chunk + b"**\x00\x00record two" * 50)
    assert first.skip == second.skip == 4608
    assert first.head != second.head
    grown = bytearray(header + chunk)
    grown[0x18] = 7  # the header's next record number, rewritten as records are added
    assert file_identity.identity(bytes(grown) + b"**\x00\x00record one" * 50) == first


def test_text_files_sharing_their_first_kib_are_two_files(tmp_path, store, redis_url, prefix):
    start = "".join(f"Jan  2 09:00:{n:02d} h sshd[{n}]: Failed password for root from 198.51.100.9 "
                    f"port {n} ssh2\n" for n in range(20))  # fmt: skip
    assert len(start) > 1024
    def tail(ip: str) -> str:
        return "".join(f"Jan  2 09:01:{n:02d} h sshd[9{n}]: Failed password for bob from {ip} "
                       f"port {n} ssh2\n" for n in range(10))  # fmt: skip

    (tmp_path / "a.log").write_text(start + tail("203.0.113.1"))
    (tmp_path / "b.log").write_text(start + tail("203.0.113.2"))
    source = auth_source(tmp_path, redis_url, prefix, "*.log")
    stats = source.ingest(store, datetime(2026, 1, 3, tzinfo=UTC))
    assert stats["rows"] == 60 and not stats["warnings"]


def test_a_copy_is_skipped_and_said(tmp_path, store, redis_url, prefix):
    text = "".join(f"Jan  2 09:00:{n:02d} h sshd[{n}]: Failed password for root from 198.51.100.9 "
                   f"port {n} ssh2\n" for n in range(30))  # fmt: skip
    (tmp_path / "a.log").write_text(text)
    (tmp_path / "b.log").write_text(text)
    source = auth_source(tmp_path, redis_url, prefix, "*.log")
    stats = source.ingest(store, datetime(2026, 1, 3, tzinfo=UTC))
    assert stats["rows"] == 30
    assert stats["warnings"] == ["b.log has the same content as a.log: skipped"]


@real_data
def test_the_seven_real_evtx_samples_in_one_folder_are_seven_files(tmp_path, store, redis_url,
                                                                   prefix):
    samples = sorted(WINDOWS.glob("*.evtx"))
    assert len(samples) == 7
    heads = {path.read_bytes()[:4096] for path in samples}
    assert len(heads) < 7  # two of them share their whole first 4 KiB (the EVTX file header)
    for path in samples:
        shutil.copy(path, tmp_path / path.name)
    shutil.copy(samples[0], tmp_path / "zz-copy.evtx")
    source = auth_source(tmp_path, redis_url, prefix, "*.evtx")
    stats = source.ingest(store, NOW)
    expected = plain_count(WINDOWS)
    assert len(stats["per_file"]) == 7
    assert sum(f["read"] for f in stats["per_file"].values()) == expected["records"] == 49
    assert total(store, "successful_logins") == expected["logons"] == 8
    assert stats["warnings"] == [f"zz-copy.evtx has the same content as {samples[0].name}: skipped"]
    again = source.ingest(store, NOW)
    assert again["rows"] == 0 and total(store, "successful_logins") == 8


@real_data
def test_an_evtx_file_whose_header_was_rewritten_is_not_counted_again(tmp_path, store, redis_url,
                                                                      prefix):
    """Windows rewrites the file header (next record number, chunk count) as records are added:
    the file is the same file, read again whole, and only records past the last one count."""
    sample = WINDOWS / "DE_RDP_Tunneling_4624.evtx"
    path = tmp_path / "Security.evtx"
    shutil.copy(sample, path)
    source = auth_source(tmp_path, redis_url, prefix, "*.evtx")
    assert source.ingest(store, NOW)["per_file"]["Security.evtx"]["read"] == 18
    data = bytearray(path.read_bytes())
    data[0x18] += 1
    path.write_bytes(bytes(data))
    assert source.ingest(store, NOW)["rows"] == 0
    assert total(store, "successful_logins") == 4  # sshd_server and IEUser three times
    events, bad, records, last = parse_evtx_after(sample.read_bytes(), 10)
    assert (records, last, bad) == (8, 18, 0)
