"""The widget registry: the YAML name of a widget -> its module.

A widget module has `Options` (pydantic), `needs_source`, `source_types`, `check(options, source)`,
`load(reader, panel, context)` (reads the store), `compute(inputs, options, context)` (pure) and
`render(payload, options, view)` (Dash components, no I/O).
"""

from socwall.contracts import Widget, check_registry
from socwall.widgets import (
    changes,
    exploited_recent,
    feed_keywords,
    hbi_contacts,
    metric_compare,
    metric_grid,
    queue,
    sensors,
    status,
    suspicious_users,
    top_talkers,
)

WIDGETS = {
    "metric_compare": metric_compare,
    "metric_grid": metric_grid,
    "top_talkers": top_talkers,
    "exploited_recent": exploited_recent,
    "feed_keywords": feed_keywords,
    "suspicious_users": suspicious_users,
    "changes": changes,
    "status": status,
    "hbi_contacts": hbi_contacts,
    "sensors": sensors, "queue": queue,
}

check_registry(WIDGETS, Widget)
