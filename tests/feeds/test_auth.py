"""The auth source: syslog files tailed into login metrics in a real Redis, across rotation."""

import os
from datetime import UTC, datetime, timedelta

from socwall.dashboard.config import parse_config
from socwall.feeds import auth

NOW = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)


def auth_source(tmp_path, redis_url, prefix) -> auth.Source:
    panel = {"id": "f", "widget": "metric_compare", "title": "Failed", "source": "auth", "at": [1, 1],
             "options": {"metric": "failed_logins"}}  # fmt: skip
    raw = {"store": {"url": redis_url, "prefix": prefix},
           "sources": {"auth": {"type": "auth", "path": str(tmp_path / "auth.log*")}},
           "pages": [{"id": "p", "title": "P", "panels": [panel]}]}  # fmt: skip
    return auth.Source(parse_config(raw).sources["auth"], "auth")


def series(store, metric):
    values = store.metric_series("auth", metric, [(NOW - timedelta(days=1), NOW)])
    return {ts.strftime("%H:%M"): v for ts, v in values.items()}


LINES = [
    "Jan  2 09:00:01 h sshd[1]: Failed password for invalid user oracle from 203.0.113.7 port 1 ssh2",
    "Jan  2 09:00:02 h sshd[1]: message repeated 3 times: [ Failed password for invalid user oracle from 203.0.113.7 port 1 ssh2]",
    "Jan  2 09:01:00 h sshd[2]: Failed password for root from 198.51.100.9 port 2 ssh2",
    "Jan  2 09:02:00 h sshd[2]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.9  user=root",
    "Jan  2 09:06:00 h sshd[3]: Accepted publickey for alice from 192.0.2.10 port 3 ssh2",
    "not a syslog line",
]  # fmt: skip


def test_metrics_by_hand(tmp_path, store, redis_url, prefix):
    (tmp_path / "auth.log").write_text("\n".join(LINES) + "\n")
    stats = auth_source(tmp_path, redis_url, prefix).ingest(store, NOW)
    assert (stats["rows"], stats["bad_rows"]) == (7, 1)  # 1 + 3 + 1 failures, PAM notice, 1 success
    assert series(store, "failed_logins") == {"09:00": 5}  # the PAM line is the same attempt
    assert series(store, "invalid_user_attempts") == {"09:00": 4}
    assert series(store, "successful_logins") == {"09:05": 1}
    assert series(store, "failing_source_ips") == {"09:00": 2}


def test_distinct_ips_are_not_added_twice_across_reads_and_rotation(
    tmp_path, store, redis_url, prefix
):
    path = tmp_path / "auth.log"
    path.write_text(LINES[0] + "\n")
    source = auth_source(tmp_path, redis_url, prefix)
    source.ingest(store, NOW)
    with open(path, "a") as handle:
        handle.write(LINES[2] + "\n" + LINES[0].replace(":01 ", ":09 ") + "\n")
    restarted = auth_source(tmp_path, redis_url, prefix)  # positions live in Redis
    assert restarted.ingest(store, NOW)["rows"] == 2
    assert series(store, "failing_source_ips") == {"09:00": 2}  # 203.0.113.7 seen twice, once
    assert series(store, "failed_logins") == {"09:00": 3}
    os.rename(path, tmp_path / "rotated.1")  # logrotate: a new, empty auth.log
    path.write_text(LINES[4] + "\n")
    assert restarted.ingest(store, NOW)["rows"] == 1
    assert series(store, "successful_logins") == {"09:05": 1}


def test_attempts_reach_the_suspicious_users_panel(tmp_path, store, redis_url, prefix):
    from socwall.dashboard.clock import Clock
    from socwall.dashboard.jobs import run_panel

    lines = [
        f"Jan  2 02:{m:02d}:00 h sshd[1]: Failed password for bob from 203.0.113.7 port 1 ssh2"
        for m in range(8)
    ]
    lines.append(
        "Jan  2 02:13:00 h sshd[1]: Accepted password for bob from 203.0.113.7 port 1 ssh2"
    )
    (tmp_path / "auth.log").write_text("\n".join(lines) + "\n")
    panel = {"id": "s", "widget": "suspicious_users", "title": "S", "source": "auth", "at": [1, 1]}
    raw = {"store": {"url": redis_url, "prefix": prefix},
           "sources": {"auth": {"type": "auth", "path": str(tmp_path / "auth.log")}},
           "pages": [{"id": "p", "title": "P", "panels": [panel]}]}  # fmt: skip
    config = parse_config(raw)
    auth.Source(config.sources["auth"], "auth").ingest(store, NOW)
    stored = store.auth_events("auth", NOW - timedelta(days=1), NOW)
    assert len(stored) == 9 and stored[-1]["outcome"] == "success"
    meta = run_panel(config, config.panels()[0], store, Clock(replay_start=NOW, frozen=True))
    assert meta["status"] == "ok", meta.get("error")
    (row,) = store.panel_data("s")["rows"]
    assert row["user"] == "bob" and "success after 8 failures from 203.0.113.7" in row["reasons"]
