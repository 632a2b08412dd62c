"""The `prometheus` source: PromQL queries asked as `query_range`, one socwall metric per query
(or per value of one label), written into the same per-bucket history as every other source.

Prometheus evaluates a query at step times; the sample at `t` describes the bucket that ends at
`t` (a `rate(x[5m])` at 10:05 is the 10:00-10:05 bucket), so it is stored under `t - bucket`.
Samples are set, not added: asking a bucket twice (the open one, after a restart) changes nothing.
"""

import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta

from socwall.feeds.fetch import USER_AGENT
from socwall.feeds.http_login import login_headers
from socwall.feeds.prometheus_config import (  # noqa: F401  (the registry reads prometheus.Config)
    EXPANDED,
    Config,
    PrometheusConfig,
    PromMetric,
)

MAX_POINTS = 10_000  # Prometheus refuses more than 11,000 points per series in one answer


class PrometheusError(Exception):
    """Prometheus could not answer; the message says why, in words for the wall."""


def parse_range(body: bytes, name: str, spec: PromMetric, bucket: timedelta) -> dict:
    """A query_range answer as {metric name: {bucket start (epoch s): value}} (pure)."""
    try:
        answer = json.loads(body)
    except ValueError as error:
        raise PrometheusError(f"{name}: the answer is not JSON ({error})") from None
    if answer.get("status") != "success":
        raise PrometheusError(f"{name}: {answer.get('errorType', 'error')}: {answer.get('error')}")
    data = answer.get("data") or {}
    if data.get("resultType") != "matrix":
        raise PrometheusError(f"{name}: expected a range vector, got {data.get('resultType')}")
    series = data.get("result") or []
    if spec.by is None and len(series) > 1:
        raise PrometheusError(
            f"{name}: the query returns {len(series)} series; aggregate it (sum(...)) or set `by`"
        )
    step = int(bucket.total_seconds())
    metrics: dict[str, dict[int, float]] = {}
    for item in series:
        label = (item.get("metric") or {}).get(spec.by) if spec.by else None
        if spec.by and label is None:
            continue  # a series without the label cannot be named; PromQL `by` normally has it
        metric = f"{name}{EXPANDED}{label}" if label is not None else name
        values = metrics.setdefault(metric, {})
        for ts, text in item.get("values") or []:
            value = float(text)
            if value == value and abs(value) != float("inf"):  # NaN/Inf: no observation
                values[int(float(ts)) // step * step - step] = value
    return metrics


def keep_largest(metrics: dict[str, dict[int, float]], limit: int) -> dict:
    """The `limit` expanded metrics with the largest latest value: label explosions stay bounded."""
    if len(metrics) <= limit:
        return metrics

    def latest(item) -> float:
        values = item[1]
        return values[max(values)] if values else float("-inf")

    return dict(sorted(metrics.items(), key=latest, reverse=True)[:limit])


class Client:
    """query_range over HTTP with a timeout and basic or bearer authentication."""

    def __init__(self, config: PrometheusConfig):
        self.config = config
        self.headers = {"User-Agent": USER_AGENT, "Accept": "application/json",
                        **login_headers(config)}  # fmt: skip

    def query_range(self, query: str, start: int, end: int, step: int) -> bytes:
        """The raw JSON answer of /api/v1/query_range; PrometheusError in words on failure."""
        timeout = self.config.timeout.total_seconds()
        params = {"query": query, "start": start, "end": end, "step": step, "timeout": timeout}
        url = f"{self.config.url}/api/v1/query_range?{urllib.parse.urlencode(params)}"
        request = urllib.request.Request(url, headers=self.headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.read(64 << 20)
        except urllib.error.HTTPError as error:
            body = error.read(4096)
            if error.code in (400, 422) and body.startswith(b"{"):
                return body  # Prometheus explains a bad query in its JSON answer
            raise PrometheusError(f"{self.config.url}: HTTP {error.code} {error.reason}") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise PrometheusError(f"{self.config.url}: unreachable ({reason})") from None


class Source:
    """Asks every query for the buckets since the last complete one and stores the samples."""

    def __init__(self, config: PrometheusConfig, source_id: str):
        self.config, self.source_id = config, source_id

    def ingest(self, store, now: datetime) -> dict:
        """Query each metric from its watermark to the last complete bucket; set the values."""
        step = int(self.config.bucket.total_seconds())
        end = int(now.timestamp()) // step * step  # evaluations up to here close complete buckets
        state = store.document(self.source_id, "watermarks") or {}
        first = end - int(self.config.backfill.total_seconds())
        client, stats = Client(self.config), {"rows": 0, "newest": None, "warnings": []}
        for name, spec in self.config.metrics.items():
            start = max(first, int(state.get(name, first)) - step)  # re-ask the last bucket
            try:
                got = self._query(client, name, spec, start, end, step)
            except PrometheusError as error:
                stats["warnings"].append(str(error))
                continue
            store.set_metric_values(self.source_id, got, now, self.config.retention)
            if spec.by:
                store.write_document(self.source_id, f"labels-{name}", sorted(got))
            state[name] = end
            stats["rows"] += sum(len(values) for values in got.values())
            newest = max((max(v) for v in got.values() if v), default=None)
            if newest is not None:
                stamp = datetime.fromtimestamp(newest + step, UTC).isoformat()
                stats["newest"] = max(filter(None, [stats["newest"], stamp]))
        store.write_document(self.source_id, "watermarks", state)
        if stats["warnings"] and len(stats["warnings"]) == len(self.config.metrics):
            raise PrometheusError("; ".join(stats["warnings"]))
        return stats

    def _query(self, client: Client, name: str, spec: PromMetric, start, end, step) -> dict:
        """One query over [start, end], in pieces Prometheus accepts; the series merged."""
        merged: dict[str, dict[int, float]] = {}
        piece = MAX_POINTS * step
        for lo in range(start + step, end + 1, piece):
            hi = min(end, lo + piece - step)
            body = client.query_range(spec.query, lo, hi, step)
            for metric, values in parse_range(body, name, spec, self.config.bucket).items():
                merged.setdefault(metric, {}).update(values)
        return keep_largest(merged, spec.limit) if spec.by else merged
