"""The `auth` source: sshd/su/sudo syslog files tailed incrementally into login metrics."""

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from socwall.feeds import auth_formats, auth_readers, files, redact, tail
from socwall.feeds.auth_config import (
    METRICS,
    AuthConfig,
    Config,  # noqa: F401  (the registry reads auth.Config)
)
from socwall.feeds.auth_readers import AuthEvent
from socwall.file_commit import day_end, ttl

BLIND_MIN_LINES, BLIND_SHARE = 50, 0.01  # a file this long recognised under 1 %: say so
KEPT_NOTICES = {"explicit credentials", "kerberos ticket", "kerberos service ticket",
                "computer account created", "account renamed"}  # stored for suspicious_users
COMPACT_JSON = json.JSONEncoder(separators=(",", ":"))  # json.dumps would build one per event


def content_format(head: bytes, configured: str) -> str:
    """The configured format, or the one the content's first bytes show."""
    if configured != "auto":
        return configured
    if head.startswith(b"ElfFile\x00"):  # the .evtx file signature
        return "evtx"
    start = head[:64].lstrip()
    if start.startswith(b"#separator"):
        kind = auth_formats.zeek_path(head) or "ssh"
        if kind not in ("ssh", "kerberos", "ntlm"):
            raise ValueError(f"a Zeek '{kind}' log is not an authentication log socwall reads "
                             "(ssh, kerberos, ntlm)")  # fmt: skip
        return f"zeek-{kind}"
    return "windows" if start.startswith(b"{") else "syslog"


def parse(data: bytes, fmt: str, now: datetime, tz: ZoneInfo,
          builtin_accounts: bool = False) -> tuple[list[AuthEvent], int]:  # fmt: skip
    """Events and unreadable lines of one whole file's bytes, in its format."""
    parsed = parse_file(data, fmt, now, tz, builtin_accounts)
    return parsed.events, parsed.bad


@dataclass
class Parsed:
    """What one read of a file gave."""

    events: list[AuthEvent]
    bad: int  # unreadable lines or records
    recognised: int  # lines or records that are authentication messages socwall understands
    read: int  # lines or records read
    carry: dict | None = None  # what the file's next read needs (a PAM line waiting for its pair)


def parse_file(data: bytes, fmt: str, now: datetime, tz: ZoneInfo, builtin_accounts: bool = False,
               carry: dict | None = None, final: bool = True, mask=None) -> Parsed:  # fmt: skip
    """One read of a file in its format; `carry` is what the last read of it left, `final`
    says the file is quiet (nothing that waits for more of it waits any longer); `mask` hides
    secrets in each event before anything is kept (feeds/redact.py)."""
    mask = mask or (lambda event: event)
    if fmt == "syslog":
        events, bad, recognised, carry = auth_readers.parse_syslog_counted(
            data, now, tz, carry, final, mask)
        return Parsed(events, bad, recognised, data.count(b"\n"), carry)
    if fmt == "evtx":  # read whole each time it changes: records already counted are skipped
        after = int((carry or {}).get("evtx_record") or 0)
        events, bad, records, last = auth_formats.parse_evtx_after(data, after, builtin_accounts)
        events = [mask(e) for e in events]
        return Parsed(events, bad, len(events), records, {"evtx_record": max(after, last)})
    if fmt == "windows":
        events, bad = auth_formats.parse_windows_json(data, builtin_accounts)
    elif fmt == "zeek-ssh":
        events, bad = auth_formats.parse_zeek_ssh(data)
    elif fmt == "zeek-kerberos":
        events, bad = auth_formats.parse_zeek_kerberos(data)
    else:
        events, bad = auth_formats.parse_zeek_ntlm(data)
    return Parsed([mask(e) for e in events], bad, len(events), data.count(b"\n"))


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
            "count": event.count, "reason": event.reason}  # fmt: skip


class Source:
    """Reads new lines of every matched file, each file's content once whatever its name."""

    def __init__(self, config: AuthConfig, source_id: str):
        self.config, self.source_id = config, source_id
        self.wall_now: datetime | None = None  # the wall's clock (the job runner sets it; else
        # `now` is), when a replayed first read runs before any data time is known

    def ingest(self, store, now: datetime) -> dict:
        tz = ZoneInfo(self.config.timezone)
        masks = redact.Redactor(tuple(self.config.redact))

        def header_for(path: str, head: bytes):
            fmt = content_format(head, self.config.format)
            if fmt == "evtx":
                return None  # a binary file: read whole, once
            return files.comment_lines if fmt.startswith("zeek-") else files.no_header

        def stage(read, batch, stats) -> int:
            fmt = content_format(read.head, self.config.format)
            data = bytes(read.data)
            carry = read.state.carry
            if fmt != "syslog" and fmt != "evtx":
                carry = None
            written = self._written(read, now)  # a year-less line's year comes from the file
            parsed = parse_file(data, fmt, written, tz, self.config.builtin_accounts, carry,
                                final=read.quiet, mask=masks.event)  # fmt: skip
            batch.carry = parsed.carry
            name = Path(read.path).name
            stats.setdefault("per_file", {})[name] = {
                "read": parsed.read, "recognised": parsed.recognised, "skipped": parsed.bad,
                "format": fmt}  # fmt: skip
            if parsed.read >= BLIND_MIN_LINES and parsed.recognised < BLIND_SHARE * parsed.read:
                said = (f"{name}: {parsed.read:,} lines read, {parsed.recognised:,} recognised as "
                        f"sshd, su, sudo, Windows or Zeek; is `format` right?")  # fmt: skip
                stats["warnings"].append(said)
                stats.setdefault("unrecognised", said)
            events = parsed.events
            stats["rows"] += sum(e.count for e in events)
            if events:
                newest = max(e.ts for e in events).isoformat()
                stats["newest"] = max(filter(None, [stats["newest"], newest]))
            self._stage(events, batch, store.keys, now)
            return parsed.bad

        return tail.read_files(store, self.source_id, self.config, header_for, stage,
                               tail.new_stats())  # fmt: skip

    def _written(self, read, now: datetime) -> datetime:
        """When the file's last line was written: the end of `year` when configured, else its
        modification time (logrotate and gzip keep it), or the wall's clock when that is
        earlier (a replay at --now of a file written for that time). A syslog line without a
        year gets the year that puts it at most a day after this, so a file crossing New Year
        is right."""
        if self.config.year is not None:
            return datetime(self.config.year + 1, 1, 1, tzinfo=ZoneInfo(self.config.timezone))
        mtime = read.state.signature[3] if len(read.state.signature) > 3 else None
        written = datetime.fromtimestamp(mtime, UTC) if mtime else datetime.now(UTC)
        return min(written, self.wall_now or now)

    def _stage(self, events: list[AuthEvent], batch, keys, now: datetime) -> None:
        retention = self.config.retention
        counts, failing_ips = bucket_metrics(events, self.config.bucket)
        batch.metric(keys, self.source_id, counts, now, retention)
        batch.add_members(keys, self.source_id, "failing_source_ips", failing_ips, now, retention)
        per_day: dict = defaultdict(list)
        for event in events:
            if event.outcome or event.privileged or event.method in KEPT_NOTICES:
                per_day[event.ts.date()].append(COMPACT_JSON.encode(compact(event)))
        for day, items in per_day.items():
            batch.push(keys.auth_events(self.source_id, day), items,
                       ttl(day_end(day) + retention, now))  # fmt: skip
