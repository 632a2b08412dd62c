"""The `auth` source: sshd/su/sudo syslog files tailed incrementally into login metrics."""

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field
from socwall.dashboard.types import ConfigPath, Duration, Strict, TimeZoneName
from socwall.feeds import auth_formats, auth_readers, files
from socwall.feeds.auth_readers import AuthEvent

METRICS = ("failed_logins", "successful_logins", "invalid_user_attempts", "failing_source_ips")


class AuthConfig(Strict):
    type: Literal["auth"]
    path: ConfigPath = Field(
        description="glob of syslog, Windows Security JSON or Zeek ssh.log files"
    )
    format: Literal["auto", "syslog", "windows", "zeek-ssh"] = Field(
        "auto", description="auto: Zeek by its #separator header, Windows by '{', else syslog"
    )
    timezone: TimeZoneName = Field("UTC", description="zone of syslog times written without one")
    refresh: Duration = "1m"
    bucket: Duration = "5m"
    retention: Duration = Field("40d", description="metric history kept in the store")

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metrics this source feeds; metric_compare panels name one of them."""
        return METRICS


Config = AuthConfig


def file_format(path: str, configured: str) -> str:
    """The configured format, or the one the file's first bytes show."""
    if configured != "auto":
        return configured
    with open(path, "rb") as handle:
        start = handle.read(64).lstrip()
    if start.startswith(b"#separator"):
        return "zeek-ssh"
    return "windows" if start.startswith(b"{") else "syslog"


def parse(data: bytes, fmt: str, now: datetime, tz: ZoneInfo) -> tuple[list[AuthEvent], int]:
    """Events and unreadable lines of one file's new bytes, in its format."""
    if fmt == "windows":
        return auth_formats.parse_windows_json(data)
    if fmt == "zeek-ssh":
        return auth_formats.parse_zeek_ssh(data)
    return auth_readers.parse_syslog(data, now, tz)


def bucket_metrics(events: list[AuthEvent], bucket: timedelta) -> tuple[dict, dict]:
    """Per bucket start (epoch s): counts to add per metric, and failing source IPs per bucket."""
    size = int(bucket.total_seconds())
    counts: dict[str, dict[int, float]] = {m: defaultdict(float) for m in METRICS[:3]}
    failing_ips: dict[int, set[str]] = defaultdict(set)
    for event in events:
        start = int(event.ts.timestamp()) // size * size
        if event.outcome == "failure":
            counts["failed_logins"][start] += event.count
            if event.invalid_user:
                counts["invalid_user_attempts"][start] += event.count
            if event.src_ip:
                failing_ips[start].add(event.src_ip)
        elif event.outcome == "success":
            counts["successful_logins"][start] += event.count
    return {m: dict(v) for m, v in counts.items()}, dict(failing_ips)


def compact(event: AuthEvent) -> dict:
    """An attempt as kept in the store for per-user windows (UTC ISO time, fixed keys)."""
    return {"ts": event.ts.isoformat(), "host": event.host, "user": event.user,
            "src_ip": event.src_ip, "outcome": event.outcome, "method": event.method,
            "invalid_user": event.invalid_user, "privileged": event.privileged,
            "count": event.count}  # fmt: skip


class Source:
    """Reads new lines of every matched file; rotated or truncated files are read from the top."""

    def __init__(self, config: AuthConfig, source_id: str):
        self.config, self.source_id = config, source_id

    def ingest(self, store, now: datetime) -> dict:
        positions = store.file_positions(self.source_id)
        stats = {"files": 0, "rows": 0, "bad_rows": 0, "newest": None}
        tz = ZoneInfo(self.config.timezone)
        for path in files.matched_files(self.config.path):
            stats["files"] += 1
            seen = files.FilePosition.from_json(positions.get(path))
            fmt = file_format(path, self.config.format)
            header = files.comment_lines if fmt == "zeek-ssh" else files.no_header
            data, position = files.read_new(path, seen, header)
            if position == seen:
                continue
            events, bad = parse(bytes(data), fmt, now, tz) if data else ([], 0)
            stats["rows"] += sum(e.count for e in events)
            stats["bad_rows"] += bad
            if events:
                newest = max(e.ts for e in events).isoformat()
                stats["newest"] = max(filter(None, [stats["newest"], newest]))
            counts, failing_ips = bucket_metrics(events, self.config.bucket)
            oldest = min((start for values in counts.values() for start in values), default=None)
            store.add_metric_buckets(self.source_id, counts, {path: position.to_json()}, oldest,
                                     now, self.config.retention)  # fmt: skip
            store.add_distinct(self.source_id, "failing_source_ips", failing_ips, now,
                               self.config.retention)  # fmt: skip
            kept = [compact(e) for e in events if e.outcome or e.privileged]
            store.add_auth_events(self.source_id, kept,
                                  now, self.config.retention)  # fmt: skip
        return stats
