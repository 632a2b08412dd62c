"""What a widget is told about the moment it computes for and the screen it renders on."""

import math
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class PanelContext:
    """The clock and the place of one panel computation."""

    now: datetime  # UTC, aware
    tz: ZoneInfo
    source_id: str | None


@dataclass(frozen=True)
class View:
    """The screen a payload is rendered for: scale 1.0 is a 1920x1080 viewport."""

    scale: float = 1.0
    links: dict = field(default_factory=dict)  # entity kind -> URL template; empty in kiosk
    desk: bool = False  # a desk tab (links, the side drawer), not a kiosk on the wall

    def px(self, size: float) -> int:
        """A font size or margin in pixels, scaled to the screen, rounded up: 16 px at 1920x1080
        must not turn into 11 px where the floor is 11.4 (1366x768)."""
        return max(8, math.ceil(size * self.scale - 0.01))

    def line(self, width: float) -> float:
        """A line width in pixels, scaled to the screen."""
        return round(width * self.scale, 2)
