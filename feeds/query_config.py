"""The `query` source's config: which engine, table and columns (no ibis or pyarrow here)."""

import ipaddress
from datetime import timedelta
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from socwall.feeds import redact
from socwall.feeds.auth_config import DISTINCT as AUTH_DISTINCT
from socwall.feeds.auth_config import METRICS as AUTH_METRICS
from socwall.feeds.events_config import MetricSpec
from socwall.feeds.field_names import AUTH_FIELDS, FLOW_FIELDS
from socwall.feeds.flow_defaults import ADDRESS_CLASSES, PRIVATE_NETWORKS, SERVICE_PORTS
from socwall.types import Duration, Identifier, Strict, TimeZoneName

ENGINES = ("duckdb", "postgres", "pyspark", "trino", "impala", "clickhouse")
FIELDS = {"flows": FLOW_FIELDS, "auth": [f for f in AUTH_FIELDS if f not in ("ts", "program")],
          "events": []}  # fmt: skip
REQUIRED = {"flows": ("src_ip", "dst_ip"), "auth": ("user", "outcome"), "events": ()}


class Partition(Strict):
    """A date partition column (e.g. hive `day=2024-01-31`) the engine can skip files by."""

    column: str
    format: str = Field("%Y-%m-%d", description="strftime form of the partition values")


class QueryConfig(Strict):
    type: Literal["query"]
    engine: Literal[ENGINES]
    url: str | None = Field(None, description="e.g. postgres://socwall@db/flows; none = DuckDB")
    password: SecretStr | None = Field(None, description="write ${DB_PASSWORD}, never the secret")
    table: str | None = Field(None, description="the table (or view) holding the records")
    parquet: str | None = Field(None, description="DuckDB/Spark: a Parquet path or glob")
    kind: Literal["flows", "auth", "events"] = Field(
        description="flows (top_talkers), auth (suspicious_users, login metrics) or events"
    )
    time_column: str
    time_unit: Literal["timestamp", "s", "ms", "us", "ns"] = "timestamp"
    timezone: TimeZoneName = Field("UTC", description="of a timestamp column without a zone")
    partition: Partition | None = None
    columns: dict[str, str] = Field(
        default_factory=dict, description="flows, auth: socwall field -> column (src_ip: srcaddr)"
    )
    outcomes: dict[Literal["success", "failure"], list[str]] = Field(
        default_factory=lambda: {"success": ["success"], "failure": ["failure"]},
        description="auth: the outcome column's values that mean success and failure",
    )
    redact: list[str] = Field(
        default_factory=lambda: [redact.USER_PASSWORD],
        description="auth: masked in user names and reasons before storing (as the auth source)",
    )
    metrics: dict[Identifier, MetricSpec] = Field(
        default_factory=dict, description="events: rows matching `filter`, counted or summed"
    )
    internal: list[str] = Field(default_factory=lambda: list(PRIVATE_NETWORKS))
    exclude: list[str] = Field(default_factory=list)
    address_classes: dict[Literal[ADDRESS_CLASSES], Literal["ignore", "internal", "external"]] = (
        Field(default_factory=dict)
    )
    service_ports: list[int] = Field(default_factory=lambda: list(SERVICE_PORTS))
    refresh: Duration = "1m"
    bucket: Duration = "5m"
    lag: Duration = Field("10m", description="late rows: re-ask this far before the watermark")
    timeout: Duration = Field("60s", description="a query running longer is cancelled")
    retention: Duration = Field(
        None, description="results kept and first backfill: 8d for flows, 40d for auth and events "
        "(as their file sources: the metric band needs past weeks)"
    )
    backfill_step: Duration = Field("1d", description="history asked for per refresh at first")

    @field_validator("internal", "exclude")
    @classmethod
    def _networks(cls, cidrs: list[str]) -> list[str]:
        for cidr in cidrs:
            ipaddress.ip_network(cidr, strict=False)  # its ValueError names the bad entry
        return cidrs

    @field_validator("redact")
    @classmethod
    def _rules(cls, rules: list[str]) -> list[str]:
        return redact.check_rules(rules)

    @model_validator(mode="before")
    @classmethod
    def _retention_of_the_kind(cls, data):
        if isinstance(data, dict) and data.get("retention") is None:
            data = {**data, "retention": "8d" if data.get("kind") == "flows" else "40d"}
        return data

    @model_validator(mode="before")
    @classmethod
    def _auth_metrics(cls, data):
        """An auth source declares the auth file source's metrics (what metric_compare and
        metric_grid look up); the engine computes them itself, so YAML names none."""
        if isinstance(data, dict) and data.get("kind") == "auth":
            declared = {name: {} for name in AUTH_METRICS}
            if data.get("metrics") not in (None, {}, declared):
                raise ValueError(f"auth gives its own metrics ({', '.join(AUTH_METRICS)}); "
                                 "remove `metrics`")
            data = {**data, "metrics": declared}
        return data

    @model_validator(mode="after")
    def _what_the_kind_needs(self) -> "QueryConfig":
        known = FIELDS[self.kind]
        unknown = sorted(set(self.columns) - set(known))
        if unknown:
            raise ValueError(f"columns: unknown {self.kind} fields {unknown}; known: "
                             f"{', '.join(known) or 'none (events name columns in metrics)'}")
        missing = [f for f in REQUIRED[self.kind] if f not in self.columns]
        if missing:
            raise ValueError(f"{self.kind} need `columns` for {', '.join(missing)}")
        if self.kind == "events" and not self.metrics:
            raise ValueError("events need `metrics` (name: {filter: {column: value}})")
        return self

    @model_validator(mode="after")
    def _one_place(self) -> "QueryConfig":
        if (self.table is None) == (self.parquet is None):
            raise ValueError("give either `table` or `parquet`")
        if self.parquet is not None and self.engine not in ("duckdb", "pyspark"):
            raise ValueError(f"`parquet` is read by duckdb or pyspark, not {self.engine}")
        if timedelta(days=1) % self.bucket:
            raise ValueError(f"bucket must divide a day evenly, got {self.bucket}")
        if self.backfill_step <= self.lag or self.backfill_step % self.bucket:
            raise ValueError("backfill_step must be longer than `lag` and a multiple of `bucket`")
        return self

    def metric_columns(self) -> dict[str, str]:
        """The columns the metrics' filters and sums name, by where they are used."""
        used = {}
        for name, spec in (self.metrics.items() if self.kind == "events" else ()):
            for column in [*spec.filter, *([spec.sum] if spec.sum else [])]:
                used[f"metrics.{name}"] = column
        return used

    @property
    def distinct_metrics(self) -> tuple[str, ...]:
        """auth: the distinct counts, kept as per-bucket sets as the auth source keeps them."""
        return AUTH_DISTINCT if self.kind == "auth" else ()

    def metric_kind(self, metric: str) -> str:
        """'count' or 'gauge', as the metric declares (events)."""
        return self.metrics[metric].kind

    @property
    def provides(self) -> str:
        """The kind of records this source gives widgets, as the file source of that name does."""
        return self.kind


Config = QueryConfig
