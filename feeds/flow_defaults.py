"""The defaults of the flow rules that a config names (feeds/flow_rules.py applies them); no
numpy or pyarrow here: loading a config imports this."""

PRIVATE_NETWORKS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"]
# Addresses that are neither one of our hosts nor "the internet" unless configured otherwise:
# a host talking to ff02::1:2 or 224.0.0.252 is not talking to the outside world.
ADDRESS_CLASSES = ("multicast", "broadcast", "unspecified", "link_local", "loopback", "reserved")
SERVICE_PORTS = [20, 21, 22, 23, 25, 53, 67, 68, 69, 80, 88, 110, 123, 135, 137, 138, 139, 143,
                 161, 162, 389, 443, 445, 465, 514, 587, 636, 993, 995, 1433, 1521, 1900, 3306,
                 3389, 5060, 5353, 5355, 5432, 5900, 8080, 8443]  # fmt: skip
