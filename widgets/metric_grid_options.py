"""metric_grid's options and their checks (no pandas or numpy here: a config loads fast)."""

from typing import Literal

from pydantic import Field

from socwall.types import Duration, Identifier, Strict

needs_source = False  # every cell names its own source
source_types = ("events", "auth", "prometheus")


class GridCell(Strict):
    """One metric, or one per label value of an expanded Prometheus metric."""

    source: Identifier
    metric: str = Field(description="a metric the source declares")
    label: str | None = Field(None, description="shown name; default the metric name")
    expand: bool = Field(False, description="one cell per label value (Prometheus `by`)")
    limit: int = Field(10, ge=1, le=30, description="at most this many cells when expanded")
    unit: str = ""
    scale: float = Field(1.0, gt=0)
    decimals: int = Field(0, ge=0, le=3)


class MetricGridOptions(Strict):
    cells: list[GridCell] = Field(min_length=1, max_length=30)
    columns: int | None = Field(None, ge=1, le=10, description="default: fit the cell count")
    current: Duration = Field("1h", description="the bar sums (or, for a gauge, averages) this")
    weeks: int = Field(4, ge=2, le=8)
    band: Literal["p10-p90", "p25-p75", "minmax"] = "p10-p90"
    noise_sigma: float = Field(2.0, ge=0)
    tolerance: float = Field(0.1, ge=0)
    sparkline: bool = Field(False, description="today per hour against the week-ago line")
    max_cells: int = Field(30, ge=1, le=30, description="cells beyond this are counted, not shown")


Options = MetricGridOptions


def check(options: MetricGridOptions, source) -> list[tuple[str, str]]:
    """A grid has no panel source; its cells are checked by `check_sources`."""
    return []


def check_sources(options: MetricGridOptions, sources: dict) -> list[tuple[str, str]]:
    """Every cell's source exists, declares metrics and has the metric."""
    problems = []
    for i, cell in enumerate(options.cells):
        source = sources.get(cell.source)
        if source is None:
            known = ", ".join(sorted(sources)) or "none are defined"
            problems.append((f"cells[{i}].source", f"unknown source '{cell.source}' ({known})"))
        elif getattr(source, "provides", source.type) not in source_types:  # query: its kind
            problems.append((f"cells[{i}].source", f"'{cell.source}' has no metrics"))
        elif cell.metric not in source.metrics:
            known = ", ".join(source.metrics)
            problems.append((f"cells[{i}].metric", f"no metric '{cell.metric}' (has: {known})"))
        elif cell.expand and getattr(source.metrics[cell.metric], "by", None) is None:
            problems.append((f"cells[{i}].expand", "the metric has no `by` label to expand"))
        elif options.current % source.bucket:
            problems.append(("current", f"must be a multiple of {cell.source}'s bucket"))
    return problems
