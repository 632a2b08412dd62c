"""Visitors and old screens in config.yaml: the pseudonyms' key and what counts as ours
(visitor), the wall's slow shift (web.burn_in) and the night palette (web.night)."""

import re
from datetime import datetime
from ipaddress import IPv4Network, IPv6Network
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr

from socwall.dashboard.config_access import _network
from socwall.types import Duration, Strict
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


def _clock_time(value: str) -> str:
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value or ""):
        raise ValueError(f'expected a local time like "22:00", got "{value}"')
    return value


ClockTime = Annotated[str, AfterValidator(_clock_time)]


class BurnInConfig(Strict):
    on: Literal["kiosk", "always", "never"] = Field(
        "kiosk", description="kiosk: on every kiosk and screen, off on desk tabs"
    )
    shift: int = Field(8, ge=0, le=32, description="the whole wall moves by up to this many px")
    every: Duration = Field("2m", description="the wall moves this often")
    chrome_every: Duration = Field(
        "7m", description="the title bar, clock and health strip move and dim this often"
    )


class NightConfig(Strict):
    start: ClockTime = Field("22:00", description="local time (timezone) the night palette starts")
    end: ClockTime = Field("06:00", description="local time it ends")

    def covers(self, moment: datetime, tz) -> bool:
        """True when `moment` (on the wall's clock) is inside the night, in the wall's zone."""
        local = moment.astimezone(tz).strftime("%H:%M")
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end
