"""The key every source that fetches over HTTP has (feeds/http_guard.py enforces it; no HTTP
client here: loading a config imports this)."""

from pydantic import Field

from socwall.types import Strict


class AllowHosts(Strict):
    """The key every source that fetches over HTTP has."""

    allow_hosts: list[str] = Field(
        default_factory=list,
        description="hosts (names or addresses, as written in the URLs) that may be on loopback,"
        " link-local or private addresses; any other host resolving there is refused",
    )
