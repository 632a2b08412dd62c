"""The job runner's contract with sources and widgets, checked by the registries at import.

A source module gives `Config` (pydantic) and `Source(config, source_id)` with
`ingest(store, now) -> stats`; a widget module gives `Options`, `needs_source`, `source_types`,
`check`, `load`, `compute` and `render`. A `Registry` checks a module when it is first looked
up, so a module that misses a part fails at start-up, not on the scheduler's first run.
"""

import importlib
from collections.abc import Iterator, Mapping, MutableMapping
from datetime import datetime
from types import ModuleType
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


class Registry(MutableMapping):
    """YAML name -> module of `package`, imported when first looked up and checked then.

    An entry is a module name, or a pair (the module holding what loading a config needs,
    the module itself) when the module imports pandas, pyarrow or the like: `config_module`
    gives the first, so `check-config` and the schema never import the heavy half.
    """

    def __init__(self, package: str, protocol: type, entries: dict[str, str | tuple[str, str]]):
        self._package, self._protocol = package, protocol
        self._entries = {k: (v, v) if isinstance(v, str) else v for k, v in entries.items()}
        self._modules: dict[str, Any] = {}

    def config_module(self, name: str) -> ModuleType:
        """The module with the options or config model (and the checks) of NAME."""
        return importlib.import_module(f"{self._package}.{self._entries[name][0]}")

    def __getitem__(self, name: str) -> Any:
        if name not in self._modules:
            module = importlib.import_module(f"{self._package}.{self._entries[name][1]}")
            check_registry({name: module}, self._protocol)
            self._modules[name] = module
        return self._modules[name]

    def __setitem__(self, name: str, module: Any) -> None:  # tests put stand-ins in
        self._entries.setdefault(name, (name, name))
        self._modules[name] = module

    def __delitem__(self, name: str) -> None:
        del self._entries[name]
        self._modules.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)
