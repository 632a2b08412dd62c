"""metric_grid: up to 30 metrics as small multiples, each a bullet graph read at a glance.

The bar is the current window, the marker the same window a week ago, the shaded range the band
of the past weeks. Every number comes from metric_compare's own compute, cell by cell, so the
alignment (local time, DST), the band and the highlight rules are the same code.
"""

import math
from dataclasses import dataclass

from socwall.durations import format_duration
from socwall.verdict import row_state
from socwall.widgets import metric_compare, week_ago
from socwall.widgets.components import html
from socwall.widgets.context import PanelContext, View
from socwall.widgets.metric_grid_options import (  # noqa: F401  (the widget's parts)
    GridCell,
    MetricGridOptions,
    Options,
    check,
    check_sources,
    needs_source,
    source_types,
)

EXPANDED = "@"
SPARK_BUCKET = "1h"


@dataclass(frozen=True)
class CellInputs:
    """What one cell needs: its names, its metric_compare options and the history read."""

    label: str
    detail: str | None
    options: metric_compare.MetricCompareOptions
    source: str
    history: week_ago.MetricInputs


@dataclass(frozen=True)
class GridInputs:
    cells: list[CellInputs]
    hidden: int  # expanded cells beyond max_cells
    missing: list[str]  # expanded metrics with no label values read yet


@dataclass(frozen=True)
class _Panel:
    options: metric_compare.MetricCompareOptions


def compare_options(cell: GridCell, options: MetricGridOptions, metric: str):
    """The metric_compare options that make one cell: same band, same rules."""
    return metric_compare.MetricCompareOptions(
        metric=metric,
        window="today",
        weeks=options.weeks,
        band=options.band,
        current=options.current,
        chart_bucket=SPARK_BUCKET,
        noise_sigma=options.noise_sigma,
        tolerance=options.tolerance,
        unit=cell.unit,
        scale=cell.scale,
        decimals=cell.decimals,
    )


def load(reader, panel, context: PanelContext) -> GridInputs:
    """Each cell's history, read through metric_compare.load; expanded metrics by label."""
    options: MetricGridOptions = panel.options
    cells, missing = [], []
    for cell in options.cells:
        names = [cell.metric]
        if cell.expand:
            names = (reader.document(cell.source, f"labels-{cell.metric}") or [])[: cell.limit]
            if not names:
                missing.append(cell.label or cell.metric)
        for metric in names:
            compare = compare_options(cell, options, metric)
            at = PanelContext(context.now, context.tz, cell.source)
            detail = metric.split(EXPANDED, 1)[1] if EXPANDED in metric else None
            history = metric_compare.load(reader, _Panel(compare), at)
            label = cell.label or cell.metric
            cells.append(CellInputs(label, detail, compare, cell.source, history))
    shown = cells[: options.max_cells]
    return GridInputs(shown, len(cells) - len(shown), missing)


def compute(inputs: GridInputs, options: MetricGridOptions, context: PanelContext) -> dict:
    """Payload: one small record per cell with value, week-ago, band and verdict."""
    cells, facts = [], []
    for number, cell in enumerate(inputs.cells):
        shown, stated = _cell(cell, context)
        cells.append(shown)
        facts += [{**fact, "row": str(number), "text": f"{_name(shown)}: {fact['text']}"}
                  for fact in stated]  # fmt: skip
    return {
        "facts": facts,
        "cells": cells,
        "hidden": inputs.hidden,
        "missing": inputs.missing,
        "current": format_duration(options.current),
        "outside": sum(1 for cell in cells if cell["outside"]),
        "highlight": any(cell["outside"] for cell in cells),
    }


def _name(cell: dict) -> str:
    return cell["label"] + (f" · {cell['detail']}" if cell["detail"] else "")


def _cell(cell: CellInputs, context: PanelContext) -> tuple[dict, list[dict]]:
    """One cell's record and the facts metric_compare states about it."""
    at = PanelContext(context.now, context.tz, cell.source)
    full = metric_compare.compute(cell.history, cell.options, at)
    return {
        "label": cell.label,
        "detail": cell.detail,
        "kind": cell.history.kind,
        "value": full["current"],
        "week_ago": full["week_ago_current"],
        "change_pct": full["change_pct"],
        "band": full["band_current"],
        "outside": full["outside"],
        "near_band": full["near_band"],
        "spark_today": full["today"],
        "spark_week_ago": full["week_ago"][: len(full["today"]) + 1],
    }, full["facts"]


def render(payload: dict, options: MetricGridOptions, view: View):
    """A grid of bullet graphs that fills the panel; calm unless a cell is outside its band."""
    cells = payload["cells"]
    if not cells:
        return html.Div("no metric has data yet", className="panel-empty")
    columns = options.columns or math.ceil(math.sqrt(len(cells)))
    rows = math.ceil(len(cells) / columns)
    style = {
        "gridTemplateColumns": f"repeat({columns}, minmax(0, 1fr))",
        "gridTemplateRows": f"repeat({rows}, minmax(0, 1fr))",
    }
    formats = {(c.label or c.metric): c for c in options.cells}
    children = [_cell_view(cell, formats.get(cell["label"]), options,
                           row_state(payload, str(n), "alarm" if cell["outside"] else "calm"))
                for n, cell in enumerate(cells)]  # fmt: skip
    footer = _footer(payload)
    grid = html.Div(className="mgrid", style=style, children=children)
    return html.Div(className="mgrid-wrap", children=[grid, *footer])


def _footer(payload: dict) -> list:
    """The denominator ("1 of 25 outside their band, last 1h"), then what is not shown."""
    outside = sum(1 for cell in payload["cells"] if cell["outside"])
    banded = sum(1 for cell in payload["cells"] if cell["band"] is not None)
    notes = [f"{outside} of {banded} outside their band (last {payload['current']})"]
    if banded < len(payload["cells"]):
        notes[0] += f" · {len(payload['cells']) - banded} without a band yet"
    if payload["hidden"]:
        notes.append(f"{payload['hidden']} more cells not shown")
    if payload["missing"]:
        notes.append("no values yet: " + ", ".join(payload["missing"]))
    return [html.Div(" · ".join(notes), className="mgrid-note")]


def _cell_view(cell: dict, fmt: GridCell | None, options: MetricGridOptions,
               judged: tuple[str, str | None]) -> "html.Div":  # fmt: skip
    state, because = judged
    classes = "mcell" + {"alarm": " alert", "explained": " explained"}.get(state, "")
    name = _name(cell)
    parts = [
        html.Div(name, className="mcell-name", title=name),
        html.Div(className="mcell-line", children=[
            html.Span(_value_text(cell["value"], fmt), className="mcell-value"),
            html.Span(_change_text(cell), className="mcell-change"),
        ]),  # fmt: skip
        _bullet(cell),
    ]
    if options.sparkline:
        parts.append(_spark(cell))
    tooltip = _tooltip(cell, fmt) + (f" · {because}" if because else "")
    return html.Div(className=classes, children=parts, title=tooltip)


def _value_text(value: float | None, fmt: GridCell | None) -> str:
    if value is None:
        return "no data"
    decimals, unit = (fmt.decimals, fmt.unit) if fmt else (0, "")
    return f"{value:,.{decimals}f} {unit}".strip()


def _change_text(cell: dict) -> str:
    verdict = {"above": "above band", "below": "below band"}.get(cell["outside"] or "")
    if cell["band"] is None:
        verdict = "no band yet"
    change = cell["change_pct"]
    arrow = "" if change is None else ("▲" if change > 0 else "▼" if change < 0 else "=")
    words = "no week-ago" if change is None else f"{arrow}{abs(change):.0f}% wk"
    return f"{words} · {verdict}" if verdict else words


def _tooltip(cell: dict, fmt: GridCell | None) -> str:
    band = cell["band"]
    band_text = "no band" if band is None else f"band {_value_text(band[0], fmt)}–"
    band_text += "" if band is None else _value_text(band[1], fmt)
    now, week_ago = _value_text(cell["value"], fmt), _value_text(cell["week_ago"], fmt)
    return f"now {now} · week ago {week_ago} · {band_text}"


def bullet_scale(cell: dict) -> float:
    """The bullet graph's full length: the largest of value, week-ago and band, plus room."""
    candidates = [cell["value"], cell["week_ago"], *(cell["band"] or [])]
    top = max((v for v in candidates if v is not None and v > 0), default=0.0)
    return top * 1.15 or 1.0


def _bullet(cell: dict) -> "html.Div":
    top = bullet_scale(cell)

    def pct(value: float) -> str:
        return f"{max(0.0, min(value, top)) / top * 100:.1f}%"

    parts = []
    if cell["band"] is not None:
        low, high = cell["band"]
        width = max(0.0, min(high, top) - max(low, 0.0)) / top * 100
        style = {"left": pct(low), "width": f"{width:.1f}%"}
        parts.append(html.Span(className="mcell-band", style=style))
    if cell["value"] is not None:
        parts.append(html.Span(className="mcell-bar", style={"width": pct(cell["value"])}))
    if cell["week_ago"] is not None:
        parts.append(html.Span(className="mcell-mark", style={"left": pct(cell["week_ago"])}))
    return html.Div(className="mcell-bullet", children=parts)


def _spark(cell: dict) -> "html.Div":
    today, week = cell["spark_today"], cell["spark_week_ago"]
    top = max((v for v in [*today, *week] if v is not None), default=0) or 1
    bars = [
        html.Span(className="spark-bar", style={"height": f"{(v or 0) / top * 100:.0f}%"})
        for v in today
    ]
    marks = [
        html.Span(className="spark-mark", style={"--y": f"{(v or 0) / top * 100:.0f}%"})
        for v in week
    ]
    return html.Div(className="mcell-spark", children=[
        html.Div(bars, className="spark-today"), html.Div(marks, className="spark-week"),
    ])  # fmt: skip
