"""The visitor section of config.yaml: the key of the pseudonyms and what counts as ours."""

from ipaddress import IPv4Network, IPv6Network
from typing import Annotated

from pydantic import BeforeValidator, Field, SecretStr

from socwall.dashboard.config_access import _network
from socwall.types import Strict
from socwall.visitor import INTERNAL


class VisitorConfig(Strict):
    secret: SecretStr | None = Field(
        None, description="${SOCWALL_VISITOR_SECRET}: the key of the pseudonyms (host-7f3a); "
        "unset, a random key is made once and kept in the store",
    )
    internal: list[Annotated[IPv4Network | IPv6Network, BeforeValidator(_network)]] = Field(
        default_factory=lambda: list(INTERNAL),
        description="our networks: their addresses become host pseudonyms; any other address "
        "shows as its /16 (IPv6: /32)",
    )
