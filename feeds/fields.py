"""The Arrow types of the normalized flow fields; the names live in feeds/field_names.py."""

import pyarrow as pa

from socwall.feeds.field_names import (  # noqa: F401  (readers import every name from here)
    AUTH_FIELDS,
    FLOW_FIELDS,
    REQUIRED_FLOW_FIELDS,
    TS,
)

FLOW_TYPES = {
    "ts": pa.timestamp("us", tz="UTC"),
    "proto": pa.string(),
    "src_ip": pa.string(),
    "dst_ip": pa.string(),
    "src_port": pa.int32(),
    "dst_port": pa.int32(),
    "bytes_out": pa.int64(),
    "bytes_in": pa.int64(),
    "packets_out": pa.int64(),
    "packets_in": pa.int64(),
    "duration": pa.float64(),
}
FLOW_SCHEMA = pa.schema([(name, FLOW_TYPES[name]) for name in FLOW_FIELDS])
