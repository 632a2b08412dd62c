"""The `prometheus` source's config: which server, which metrics (no HTTP client here)."""

from datetime import timedelta
from typing import Literal

from pydantic import Field, model_validator

from socwall.feeds.http_login import HttpLogin
from socwall.types import Duration, Identifier, ServerUrl, Strict

EXPANDED = "@"  # metric `db_latency` expanded over `cluster` stores `db_latency@eu-1`


class PromMetric(Strict):
    """One PromQL query; `by` expands it into one metric per value of that label."""

    query: str = Field(description="PromQL, e.g. sum(rate(http_requests_total[5m])) * 300")
    kind: Literal["count", "gauge"] = Field(
        "gauge", description="count: values add up over time (increase); gauge: a level (latency)"
    )
    by: str | None = Field(None, description="label whose values become one metric each")
    limit: int = Field(30, ge=1, le=200, description="at most this many label values are kept")


class PrometheusConfig(HttpLogin):
    type: Literal["prometheus"]
    url: ServerUrl = Field(description="the Prometheus server, e.g. http://prometheus:9090")
    refresh: Duration = "1m"
    bucket: Duration = "5m"
    retention: Duration = Field("40d", description="metric history kept in the store")
    backfill: Duration = Field("36d", description="history asked for on the first start")
    timeout: Duration = Field("15s", description="per query (also sent to Prometheus)")
    metrics: dict[Identifier, PromMetric] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> "PrometheusConfig":
        if timedelta(days=1) % self.bucket:
            raise ValueError(f"bucket must divide a day evenly, got {self.bucket}")
        if self.backfill > self.retention:
            raise ValueError("backfill must not be longer than the retention")
        return self

    def metric_kind(self, metric: str) -> str:
        """'count' or 'gauge' for a stored metric name (expanded names included)."""
        return self.metrics[metric.split(EXPANDED, 1)[0]].kind


Config = PrometheusConfig
