"""The one dictionary of normalized field names that every reader produces."""

import pyarrow as pa

TS = "ts"  # event time, UTC

# A network flow, as every flow reader returns it. "out" is what src sent, "in" what dst sent.
FLOW_SCHEMA = pa.schema(
    [
        ("ts", pa.timestamp("us", tz="UTC")),
        ("proto", pa.string()),  # tcp, udp, icmp, other: lower case
        ("src_ip", pa.string()),
        ("dst_ip", pa.string()),
        ("src_port", pa.int32()),  # null when the protocol has no ports
        ("dst_port", pa.int32()),
        ("bytes_out", pa.int64()),
        ("bytes_in", pa.int64()),
        ("packets_out", pa.int64()),
        ("packets_in", pa.int64()),
        ("duration", pa.float64()),  # seconds
    ]
)
FLOW_FIELDS = FLOW_SCHEMA.names
REQUIRED_FLOW_FIELDS = ("ts", "src_ip", "dst_ip")
# Values outside these closed ranges (or NaN) make a flow row unreadable: counted, never summed.
# 2**53 is the largest count a float64 (JSON, pandas) still holds exactly.
FLOW_RANGES = {
    "src_port": (0, 65535), "dst_port": (0, 65535),
    "bytes_out": (0, 2**53), "bytes_in": (0, 2**53),
    "packets_out": (0, 2**53), "packets_in": (0, 2**53),
    "duration": (0, 10 * 365 * 86400),
}  # fmt: skip
# Flow times outside [1990-01-01, 2100-01-01) UTC are a unit mix-up or garbage, not data.
FLOW_TS_RANGE = (631152000, 4102444800)

# An authentication event, as every auth reader returns it (feeds.auth_readers.AuthEvent).
AUTH_FIELDS = (
    "ts",  # UTC
    "host",  # the machine that logged it
    "program",  # sshd, su, sudo, windows-4625, zeek-ssh, ...
    "user",  # None when the log does not say (Zeek)
    "src_ip",
    "outcome",  # success, failure, or None for a notice that is no attempt
    "method",  # password, publickey, sudo, kerberos, network, ...
    "reason",  # in words: "wrong password", "user does not exist", ...
    "invalid_user",  # the account does not exist
    "privileged",  # root, sudo/su to root, Windows special privileges
    "count",  # attempts this event stands for ("message repeated N times")
)
