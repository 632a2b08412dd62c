"""The demo's files written by a forked child are the files it writes in process: the same
bytes, the same arrivals history, generators that append the same live part; each source is
announced once, the sshd log's first; a child that fails says why."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from socwall.dashboard.config import load_config_bytes
from socwall.dashboard.demo import prepare as prepare_module
from socwall.dashboard.demo.prepare import Prepared, Preparing, prepare

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 30, 8, 30, tzinfo=UTC)  # the demo_wall fixture's moment


def demo_config(base: Path):
    return load_config_bytes((ROOT / "config.yaml").read_bytes(), base, "socwall demo config")


def files(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}  # fmt: skip


def test_a_child_writes_what_the_process_writes_and_its_generators_go_on_alike(tmp_path):
    child = Preparing(tmp_path / "child" / "demo-data", demo_config(tmp_path / "child"), NOW, 7)
    assert child.process is not None  # Linux: forked, not run in this process
    config = demo_config(tmp_path / "here")
    announced = []
    here = prepare(tmp_path / "here" / "demo-data", config, NOW, 7, announced.append)
    assert list(announced[0]) == ["ssh"]  # its files first: the slowest source to read
    assert sorted(s for found in announced for s in found) == sorted(config.sources)
    assert child.source_ready("ssh") == here.arrivals["ssh"]
    there = child.result()
    assert child.process.exitcode == 0
    written = files(tmp_path / "here" / "demo-data")
    assert len(written) >= 10 and sum(map(len, written.values())) > 10_000_000
    assert files(tmp_path / "child" / "demo-data") == written
    assert there.arrivals == here.arrivals
    assert {"security_events", "ssh", "netflow", "sensor_stats"} <= set(here.arrivals)
    assert sum(here.arrivals["ssh"][0].values()) > 15_000  # attempts, from the parsed log
    assert [type(g) for g in there.generators] == [type(g) for g in here.generators]
    later = NOW + timedelta(minutes=7)
    for generator in [*there.generators, *here.generators]:
        generator.write_until(later)
    assert files(tmp_path / "child" / "demo-data") == files(tmp_path / "here" / "demo-data")
    assert files(tmp_path / "here" / "demo-data") != written  # the live part was appended


def test_a_child_that_fails_says_why(tmp_path, monkeypatch):
    def broken(*args):
        raise ValueError("disk full, as an example")

    monkeypatch.setattr(prepare_module, "write_demo_data", broken)  # the child inherits it
    preparing = Preparing(tmp_path / "demo-data", demo_config(tmp_path), NOW, 7)
    with pytest.raises(RuntimeError) as raised:
        preparing.result()
    assert str(raised.value) == "demo data not generated: ValueError: disk full, as an example"
    assert "Traceback" in raised.value.__notes__[0] and "in broken" in raised.value.__notes__[0]


def test_without_fork_a_thread_prepares_and_tells_the_same_way(tmp_path, monkeypatch):
    told = Prepared(generators=["a generator"], arrivals={"ssh": ({0: 1.0}, None), "kev": None})

    def quick(directory, config, anchor, seed, ready):
        ready({"ssh": told.arrivals["ssh"]})
        ready({"kev": None})
        return told

    monkeypatch.setattr(prepare_module.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    monkeypatch.setattr(prepare_module, "prepare", quick)
    preparing = Preparing(tmp_path / "demo-data", demo_config(tmp_path), NOW, 7)
    assert preparing.process is None  # a thread of this process
    assert preparing.source_ready("ssh") == ({0: 1.0}, None)
    assert preparing.source_ready("kev") is None
    assert preparing.result() is told
