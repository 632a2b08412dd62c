"""Metrics pushed down: per bucket, the rows matching each metric's filter, counted or summed.

The filters are the events source's (`{column: value}` or `{column: [values]}`), compiled by
ibis into the engine's SQL: the config never carries SQL text.
"""

import ibis

from socwall.feeds.query_engines import newest_time


def expressions(source, epoch, query_source, stage) -> list:
    """One expression: a row per bucket, a column per metric, plus rows and the newest time
    (one answer: nothing to `stage`)."""
    config = query_source.config
    bucket_s = int(config.bucket.total_seconds())
    rows = source.mutate(epoch=epoch, bucket=(epoch // bucket_s) * bucket_s)
    values = {}
    for name, spec in config.metrics.items():
        matches = ibis.literal(True)
        for column, wanted in spec.filter.items():
            options = wanted if isinstance(wanted, list) else [wanted]
            matches &= rows[column].isin(options).fill_null(False)
        if spec.sum:
            values[name] = matches.ifelse(rows[spec.sum].cast("float64").fill_null(0), 0.0).sum()
        else:  # an integer count: a literal 1.0 would be NUMERIC on PostgreSQL, not a float
            values[name] = matches.ifelse(1, 0).sum()
    return [rows.group_by("bucket").aggregate(rows=rows.count(), last=rows.epoch.max(), **values)]


def write(answers, store, query_source, start, end, backfilling: bool, now) -> tuple[dict, int]:
    """Set the asked buckets' metric values (zero included: asked again, a bucket can drop)."""
    (per_bucket,) = answers
    config, source_id = query_source.config, query_source.source_id
    buckets = [int(b) for b in per_bucket["bucket"].to_pylist()]
    metrics = {name: dict(zip(buckets, (float(v or 0) for v in per_bucket[name].to_pylist()),
                              strict=True))
               for name in config.metrics}  # fmt: skip
    store.set_metric_values(source_id, metrics, now, config.retention)
    rows = sum(v or 0 for v in per_bucket["rows"].to_pylist())
    stats = {"rows": rows, "bad_rows": 0, "warnings": [], "newest": newest_time(per_bucket)}
    return stats, max(buckets, default=None)
