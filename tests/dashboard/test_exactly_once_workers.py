"""Exactly once across worker crashes and a paused leader: real worker processes, real Redis.

The count of failed logins in the store must equal the number of lines written, however the
workers are killed (SIGKILL) or paused past the leader lock's TTL (SIGSTOP) mid-read.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import redis
import yaml

from socwall.dashboard.store import Store
from tests.dashboard.test_leader import wait_for

NOW = datetime.now(UTC)


def syslog_lines(first: int, count: int) -> str:
    base = NOW - timedelta(hours=2)
    out = []
    for n in range(first, first + count):
        at = base + timedelta(seconds=n % 3600)
        out.append(f"{at:%b} {at.day:2d} {at:%H:%M:%S} h sshd[{n}]: Failed password for "
                   f"root from 198.51.100.{n % 200} port {n} ssh2\n")  # fmt: skip
    return "".join(out)


def wall_config(tmp_path, redis_url, prefix) -> str:
    raw = {
        "timezone": "UTC",
        "store": {"url": redis_url, "prefix": prefix},
        "scheduler": {"lock_ttl": "2s"},
        "sources": {"ssh": {"type": "auth", "path": str(tmp_path / "auth.log*"), "refresh": "1s"}},
        "pages": [{"id": "p", "title": "P", "panels": [
            {"id": "f", "widget": "metric_compare", "title": "F", "source": "ssh", "refresh": "5s",
             "at": [1, 1], "options": {"metric": "failed_logins"}}]}],
    }  # fmt: skip
    path = tmp_path / "wall.yaml"
    path.write_text(yaml.safe_dump(raw))
    return str(path)


def start_worker(config: str, log_path=None) -> subprocess.Popen:
    out = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    return subprocess.Popen(
        [sys.executable, "-m", "socwall.dashboard.cli", "worker", "--config", config],
        stdout=out, stderr=out,
    )  # fmt: skip


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process: rises only while it works (e.g. parses a file)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def counted(client, prefix) -> int:
    total = 0
    for key in client.scan_iter(f"{prefix}:metric:ssh:failed_logins:*"):
        total += sum(float(v) for v in client.hvals(key))
    return round(total)


def leader_pid(client, prefix) -> int | None:
    holder = client.get(f"{prefix}:leader")
    return int(holder.rsplit(":", 1)[1]) if holder else None


def reading(pid: int, folder) -> bool:
    """Does the process hold one of the auth.log files open? follow holds a file open for as
    long as it reads and parses its windows (feeds/bounded.py `Content`): the read in progress."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith(f"{folder}/auth.log"):
                return True
        except OSError:  # closed between the listing and the look
            continue
    return False


def until(condition, timeout: float, what: str, every: float = 0.01):
    """wait_for with a finer step: a read lasts about a second here, it must not be missed."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {what}"
        time.sleep(every)
    return value


def position(client, prefix, folder) -> tuple[int, int]:
    """(content bytes committed for the source's files, bytes the auth.log files hold)."""
    states = Store(client, prefix).file_states("ssh")
    committed = sum(state.offset for state in states.values())
    return committed, sum(path.stat().st_size for path in folder.glob("auth.log*"))


def refreshes(client, prefix, count: int, timeout: float = 30) -> None:
    """Wait until the source finished `count` more refreshes (its status is written after each
    one, stamped with when that refresh started): the product says it looked again."""
    seen = []

    def stamp():
        status = Store(client, prefix).source_status("ssh") or {}
        if status.get("attempted_at") not in seen:
            seen.append(status.get("attempted_at"))
        return len(seen) > count

    until(stamp, timeout, f"{count} more refreshes of the source", every=0.05)


def test_killing_the_leader_mid_read_again_and_again_loses_and_repeats_nothing(tmp_path, redis_url, prefix):
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    config = wall_config(tmp_path, redis_url, prefix)
    written, kills = 0, []
    workers = [start_worker(config), start_worker(config)]
    try:
        for step in range(4):
            with open(tmp_path / "auth.log", "a") as handle:
                handle.write(syslog_lines(written, 40_000))
            written += 40_000
            if step == 2:
                os.rename(tmp_path / "auth.log", tmp_path / "auth.log.1")  # a rotation too
            alive = {w.pid for w in workers}
            pid = wait_for(lambda alive=alive: (p := leader_pid(client, prefix)) in alive and p, 20, "leader")
            until(lambda pid=pid: reading(pid, tmp_path), 30, "the leader reading auth.log")
            os.kill(pid, signal.SIGSTOP)  # frozen inside its read: where is it?
            kills.append((reading(pid, tmp_path), *position(client, prefix, tmp_path)))
            os.kill(pid, signal.SIGKILL)
            for w in workers:
                if w.pid == pid:
                    w.wait(timeout=10)
            workers = [w for w in workers if w.pid != pid] + [start_worker(config)]
        wait_for(lambda: counted(client, prefix) == written, 60, f"{written} lines counted")
        refreshes(client, prefix, 2)  # more refreshes must not add anything
        assert counted(client, prefix) == written
        assert position(client, prefix, tmp_path)[0] == position(client, prefix, tmp_path)[1]
        # each kill landed mid-read: the file open and less committed than the files hold
        assert [(was_reading, committed < size) for was_reading, committed, size in kills] == [
            (True, True)] * 4, kills
    finally:
        for w in workers:
            w.kill()
            w.wait(timeout=10)


def test_a_leader_paused_past_its_lock_mid_read_discards_its_work(tmp_path, redis_url, prefix):
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    config = wall_config(tmp_path, redis_url, prefix)
    (tmp_path / "auth.log").write_text(syslog_lines(0, 400_000))  # several seconds to parse
    log_a = tmp_path / "worker-a.log"
    a = start_worker(config, log_a)
    b = None
    try:
        wait_for(lambda: leader_pid(client, prefix) == a.pid, 20, "worker A leads")
        cpu_when_leading = cpu_seconds(a.pid)
        wait_for(lambda: cpu_seconds(a.pid) - cpu_when_leading >= 1.0, 60, "A is parsing")
        os.kill(a.pid, signal.SIGSTOP)
        b = start_worker(config)
        wait_for(lambda: leader_pid(client, prefix) == b.pid, 20, "worker B takes over")
        wait_for(lambda: counted(client, prefix) == 400_000, 240, "B counted every line")
        os.kill(a.pid, signal.SIGCONT)  # A wakes up and tries to commit what it read
        wait_for(lambda: b"work discarded" in log_a.read_bytes(), 60, "A discards its read")
        refreshes(client, prefix, 2)  # B looked again twice since: nothing to add
        assert counted(client, prefix) == 400_000
    finally:
        for w in (a, b):
            if w is not None:
                w.kill()
                w.wait(timeout=10)
