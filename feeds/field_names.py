"""The one dictionary of normalized field names that every reader produces (feeds/fields.py
gives the flow fields their Arrow types; loading a config needs only the names)."""

TS = "ts"  # event time, UTC

# A network flow, as every flow reader returns it. "out" is what src sent, "in" what dst sent.
FLOW_FIELDS = (
    "ts",
    "proto",  # tcp, udp, icmp, other: lower case
    "src_ip",
    "dst_ip",
    "src_port",  # null when the protocol has no ports
    "dst_port",
    "bytes_out",
    "bytes_in",
    "packets_out",
    "packets_in",
    "duration",  # seconds
)
REQUIRED_FLOW_FIELDS = ("ts", "src_ip", "dst_ip")

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
