"""The widget registry: the YAML name of a widget -> its module.

A widget module has `Options` (pydantic), `needs_source`, `source_types`, `check(options, source)`,
`load(reader, panel, context)` (reads the store), `compute(inputs, options, context)` (pure) and
`render(payload, options, view)` (Dash components, no I/O). A widget whose module imports pandas
or numpy keeps `Options`, `needs_source`, `source_types` and its checks (`check`, `check_sources`,
`advise`) in a small module of its own, named first in its entry: loading a config imports only
those.
"""

from socwall.contracts import Registry, Widget

WIDGETS = Registry(__name__, Widget, {
    "metric_compare": ("metric_compare_options", "metric_compare"),
    "metric_grid": ("metric_grid_options", "metric_grid"),
    "top_talkers": ("top_talkers_options", "top_talkers"),
    "exploited_recent": "exploited_recent",
    "feed_keywords": ("feed_keywords_options", "feed_keywords"),
    "suspicious_users": "suspicious_users",
    "changes": "changes",
    "status": "status",
    "hbi_contacts": ("hbi_contacts_options", "hbi_contacts"),
    "sensors": ("sensors_options", "sensors"),
    "queue": "queue",
    "chatter": ("chatter_options", "chatter"),
})  # fmt: skip
