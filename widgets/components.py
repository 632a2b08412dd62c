"""Dash's `html` and `dcc`, imported when a panel is first rendered rather than when a widget
module is imported: validating a config (check-config, the worker) needs the widgets' options
models, never Dash (docs/operations.md, "Start-up time")."""

import importlib


class _Components:
    """A Dash component module (`dash.html`, `dash.dcc`), imported on its first attribute read."""

    def __init__(self, module: str):
        self._module = module

    def __getattr__(self, name: str):
        return getattr(importlib.import_module(self._module), name)


html = _Components("dash.html")
dcc = _Components("dash.dcc")
