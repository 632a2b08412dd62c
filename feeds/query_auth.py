"""Authentication events pushed down: the auth source's metrics per bucket, and the attempts
`suspicious_users` scores per user, grouped by the engine.

The engine maps the columns to socwall's auth fields, maps the table's outcome values to
success/failure, keeps what the auth file source keeps (attempts, privileged use, explicit
credentials) and sums identical attempts of the same second into one with a `count` (the
widget weighs each attempt by its count). Metrics per bucket: failed and successful logins,
invalid-user attempts and the distinct failing source addresses, exact (not approximate: the
wall compares them with last week's).
"""

from datetime import UTC, datetime, timedelta

import ibis

from socwall.feeds import redact
from socwall.feeds.auth_config import METRICS
from socwall.feeds.query_engines import UNITS, newest_time
from socwall.feeds.query_flows import address_text

TEXT = ("host", "user", "src_ip", "method", "reason")
FLAGS = ("invalid_user", "privileged")
GROUPS = ("moment", "epoch", *TEXT, "outcome", *FLAGS)


def mapped(source, config, epoch):
    """The mapped columns under socwall's auth field names; absent text is null, absent flags
    false, an absent count 1. `moment` is the time as stored (sub-second, as the file source
    keeps it), `epoch` its whole UTC second (wall-clock for a column without a zone)."""
    field = {name: source[column] for name, column in config.columns.items()}
    outcome = field["outcome"].cast("string")
    outcomes = config.outcomes
    return source.select(
        moment=source[config.time_column], epoch=epoch,
        outcome=ibis.cases(*[(outcome.isin(values), name) for name, values in outcomes.items()],
                           else_=ibis.null("string")),
        **{name: field[name].cast("string") if name in field else ibis.null("string")
           for name in TEXT if name != "src_ip"},
        src_ip=address_text(field["src_ip"]) if "src_ip" in field else ibis.null("string"),
        **{name: field[name].cast("boolean").fill_null(False) if name in field
           else ibis.literal(False) for name in FLAGS},
        count=(field["count"].cast("int64").fill_null(1) if "count" in field
               else ibis.literal(1, "int64")),
    )  # fmt: skip


def expressions(source, epoch, query_source, stage) -> list:
    """Two answers over one grouping: the attempts (per second, user, source, host, ...) and
    per bucket the auth metrics, rows read and the newest time."""
    config = query_source.config
    bucket_s = int(config.bucket.total_seconds())
    rows = mapped(source, config, epoch)
    rows = rows.filter(~rows.user.endswith("$").fill_null(False))  # computer accounts: no people
    grouped = stage(rows.group_by(list(GROUPS)).aggregate(count=rows["count"].sum()))
    kept = (grouped.outcome.notnull() | grouped.privileged
            | (grouped.method == "explicit credentials").fill_null(False))  # fmt: skip
    attempts = grouped.filter(kept).order_by(list(GROUPS))
    rows = grouped.mutate(bucket=(grouped.epoch // bucket_s) * bucket_s)
    count, failed = rows["count"], rows.outcome == "failure"
    per_bucket = rows.group_by("bucket").aggregate(
        rows=count.sum(), last=rows.epoch.max(),
        failed_logins=failed.ifelse(count, 0).sum(),
        successful_logins=(rows.outcome == "success").ifelse(count, 0).sum(),
        invalid_user_attempts=(failed & rows.invalid_user).ifelse(count, 0).sum(),
        failing_source_ips=failed.ifelse(rows.src_ip, ibis.null("string")).nunique(),
    )  # fmt: skip
    failing = rows.filter(failed & rows.src_ip.notnull())
    sources = failing.group_by(["bucket", "src_ip"]).aggregate(count=failing["count"].sum())
    return [attempts, per_bucket, sources]  # sources: the sets behind failing_source_ips


def utc_time(moment, config, zone) -> datetime:
    """The stored time of an attempt as a UTC datetime."""
    if config.time_unit != "timestamp":
        return datetime.fromtimestamp(moment / UNITS[config.time_unit], UTC)
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone or UTC)).astimezone(UTC)


def compact(row: dict, config, zone) -> dict:
    """An attempt as the auth file source stores it (feeds.auth.compact), secrets masked."""
    ts = utc_time(row["moment"], config, zone).isoformat()
    masks = redact.Redactor(tuple(config.redact))
    return {"ts": ts, **{name: row[name] for name in ("host", "src_ip", "outcome", "method",
                                                      "invalid_user", "privileged")},
            "user": masks.user(row["user"]), "count": int(row["count"]),
            "reason": masks.text(row["reason"])}  # fmt: skip


def write(answers, store, query_source, start, end, backfilling: bool, now) -> tuple[dict, int]:
    """Replace the asked span's attempts and set its buckets' metrics."""
    attempts, per_bucket, sources = answers
    config, source_id = query_source.config, query_source.source_id
    events = [compact(row, config, query_source.local_zone) for row in attempts.to_pylist()]
    events.sort(key=lambda event: event["ts"])  # stable: the engine's order within a second
    newest = max((datetime.fromisoformat(e["ts"]) for e in events), default=now)
    until = min(end, max(now, newest + timedelta(seconds=1)))  # an open span: what it holds
    store.replace_auth_events(source_id, events, start, until, now, config.retention)
    buckets = [int(b) for b in per_bucket["bucket"].to_pylist()]
    metrics = {name: dict(zip(buckets, (float(v or 0) for v in per_bucket[name].to_pylist()),
                              strict=True))
               for name in METRICS}  # fmt: skip
    store.set_metric_values(source_id, metrics, now, config.retention)
    step = int(config.bucket.total_seconds())
    last = int(end.timestamp()) - step if backfilling else max(buckets, default=0)
    members: dict[int, set[str]] = {}
    for bucket, address in zip(sources["bucket"].to_pylist(), sources["src_ip"].to_pylist(),
                               strict=True):  # fmt: skip
        members.setdefault(int(bucket), set()).add(address)
    store.replace_distinct_sets(source_id, "failing_source_ips", members,
                                list(range(int(start.timestamp()), last + 1, step)), now,
                                config.retention)  # fmt: skip
    rows = sum(v or 0 for v in per_bucket["rows"].to_pylist())
    stats = {"rows": rows, "bad_rows": 0, "warnings": [], "attempts": len(events),
             "newest": newest_time(per_bucket)}  # fmt: skip
    return stats, max(buckets, default=None)
