"""Redis beyond one server: `redis+sentinel://` and `redis+cluster://` URLs, parsed.

    redis+sentinel://[:password@]host:port[,host:port...]/service_name[/db]
    redis+cluster://[:password@]host:port[,host:port...]

`rediss+` asks for TLS to every node. The hosts are the sentinels (default port 26379) or
cluster nodes to start from (default 6379); a password in the URL is the Redis one, used when
`store.password` is not set. The clients they make are in dashboard/redis_clients.py: this
module only parses (loading a config imports it, and no Redis client library).
"""

from dataclasses import dataclass
from urllib.parse import unquote

MULTI_HOST_SCHEMES = {
    "redis+sentinel": ("sentinel", False),
    "rediss+sentinel": ("sentinel", True),
    "redis+cluster": ("cluster", False),
    "rediss+cluster": ("cluster", True),
}
DEFAULT_PORT = {"sentinel": 26379, "cluster": 6379}


@dataclass(frozen=True)
class MultiHostUrl:
    """A parsed sentinel or cluster URL."""

    kind: str  # "sentinel" or "cluster"
    tls: bool
    hosts: list[tuple[str, int]]
    password: str | None
    service: str | None = None  # the sentinel's master name
    db: int = 0


def is_multi_host(url: str | None) -> bool:
    return url is not None and url.partition("://")[0] in MULTI_HOST_SCHEMES


def is_cluster_url(url: str | None) -> bool:
    return is_multi_host(url) and MULTI_HOST_SCHEMES[url.partition("://")[0]][0] == "cluster"


def parse_multi_host_url(url: str) -> MultiHostUrl:
    """Parse a sentinel or cluster URL; ValueError says what is wrong with it."""
    scheme, _, rest = url.partition("://")
    kind, tls = MULTI_HOST_SCHEMES[scheme]
    if "?" in rest or "#" in rest:
        raise ValueError(f"{scheme}:// URLs take no query options (?...)")
    netloc, _, path = rest.partition("/")
    userinfo, _, host_list = netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    if user:
        raise ValueError(f"{scheme}:// URLs take a password only (':password@'), not a user name")
    password = unquote(password) or None
    hosts = [_host_port(item, DEFAULT_PORT[kind], scheme) for item in host_list.split(",")]
    parts = [p for p in path.split("/") if p]
    if kind == "cluster":
        if parts:
            raise ValueError(f"a Redis Cluster has no databases or names: drop /{path}")
        return MultiHostUrl(kind, tls, hosts, password)
    if not parts or len(parts) > 2:
        raise ValueError(f"expected {scheme}://host:port[,host:port]/service_name[/db]")
    if len(parts) == 2 and not parts[1].isdigit():
        raise ValueError(f"the database after the service name is a number, got {parts[1]!r}")
    db = int(parts[1]) if len(parts) == 2 else 0
    return MultiHostUrl(kind, tls, hosts, password, parts[0], db)


def _host_port(item: str, default_port: int, scheme: str) -> tuple[str, int]:
    if item.startswith("["):  # [IPv6]:port
        host, _, port = item[1:].partition("]")
        port = port.removeprefix(":")
    else:
        host, _, port = item.partition(":")
    if not host:
        raise ValueError(f"a {scheme}:// URL needs host:port[,host:port], got an empty host")
    if port and not port.isdigit():
        raise ValueError(f"port of {host} is not a number: {port!r}")
    return host, int(port) if port else default_port
