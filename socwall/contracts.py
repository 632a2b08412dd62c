"""The job runner's contract with sources and widgets, checked by the registries at import.

A source module gives `Config` (pydantic) and `Source(config, source_id)` with
`ingest(store, now) -> stats`; a widget module gives `Options`, `needs_source`, `source_types`,
`check`, `load`, `compute` and `render`. The registries call `check_registry` so a module that
misses a part fails when socwall is imported, not on the scheduler's first run.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Source(Protocol):
    """One configured source: `ingest` reads what is new, writes it, returns its stats.

    The stats are a dict; the runner reads `newest` (ISO time or None), `rows`, `bad_rows`,
    `warnings` and `files` when present and stores the rest with the source's status.
    """

    def ingest(self, store: Any, now: datetime) -> Mapping[str, Any]: ...


@runtime_checkable
class SourceModule(Protocol):
    """A module in the source registry."""

    Config: type
    Source: type


@runtime_checkable
class Widget(Protocol):
    """A module in the widget registry: options, load (reads the store), compute (pure), render.

    `compute` returns a JSON-able dict; its optional `highlight` key marks the panel.
    """

    Options: type
    needs_source: bool
    source_types: Any

    def check(self, options: Any, source: Any) -> Any: ...
    def load(self, reader: Any, panel: Any, context: Any) -> Any: ...
    def compute(self, inputs: Any, options: Any, context: Any) -> dict: ...
    def render(self, payload: dict, options: Any, view: Any) -> Any: ...


def check_registry(registry: Mapping[str, Any], protocol: type) -> None:
    """Raise TypeError naming every registry entry that does not satisfy `protocol`."""
    bad = [name for name, module in registry.items() if not isinstance(module, protocol)]
    if protocol is SourceModule:
        bad += [
            name
            for name, module in registry.items()
            if name not in bad and not callable(getattr(module.Source, "ingest", None))
        ]
    if bad:
        raise TypeError(f"not a {protocol.__name__}: {', '.join(sorted(bad))}")
