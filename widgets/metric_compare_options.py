"""metric_compare's options and their checks (no pandas or numpy here: a config loads fast)."""

from typing import Literal

from pydantic import Field

from socwall.types import Duration, Strict

needs_source = True
source_types = ("events", "auth", "prometheus")  # the sources that declare metrics


class ChangeLink(Strict):
    source: str = Field(description="a `changes` source whose spans are shaded on the chart")
    hosts: list[str] = Field(default_factory=list, description="changes on these hosts...")
    services: list[str] = Field(default_factory=list, description="...or services; none: all")


class MetricCompareOptions(Strict):
    metric: str = Field(description="a metric the source declares under `metrics`")
    window: Literal["today"] | Duration = Field("today", description="'today' (local) or 24h")
    weeks: int = Field(4, ge=2, le=8, description="past weeks that make the normal band")
    band: Literal["p10-p90", "p25-p75", "minmax"] = "p10-p90"
    current: Duration = Field("1h", description="the big number sums this many recent minutes")
    chart_bucket: Duration = Field("15m", description="the chart sums source buckets to this size")
    noise_sigma: float = Field(
        2.0, ge=0, description="highlight only beyond the band widened by this many sqrt(count)"
    )
    tolerance: float = Field(
        0.1, ge=0, description="...or by this share of the band's edge, whichever is wider"
    )
    unit: str = Field("", description="shown after the big number, e.g. 'GB'")
    scale: float = Field(1.0, gt=0, description="multiply values for display, e.g. 1e-9 for GB")
    decimals: int = Field(0, ge=0, le=3)
    changes: ChangeLink | None = Field(None, description="shade the changes that touch this metric")
    exclude_changes: bool = Field(False, description="past change spans do not shape the band")


Options = MetricCompareOptions


def check_sources(options: MetricCompareOptions, sources: dict) -> list[tuple[str, str]]:
    """The `changes` link must name a changes source."""
    link = options.changes
    if link is not None and getattr(sources.get(link.source), "type", None) != "changes":
        return [("changes.source", f"'{link.source}' is not a changes source")]
    return []


def check(options: MetricCompareOptions, source) -> list[tuple[str, str]]:
    """Config problems: the metric must be one the source declares."""
    metrics = source.metrics
    if options.metric.split("@", 1)[0] not in metrics:
        return [("metric", f"source has no metric '{options.metric}' (has: {', '.join(metrics)})")]
    bucket = source.bucket
    return [
        (name, f"must be a multiple of the source bucket ({bucket})")
        for name in ("current", "chart_bucket")
        if getattr(options, name) % bucket
    ]
