"""The one dictionary of normalized field names that every reader produces."""

TS = "ts"  # event time, UTC, pandas datetime64[ns, UTC]
KIND = "kind"  # what happened, e.g. failed_login
