"""What a widget is told about the moment it computes for and the screen it renders on."""

from dataclasses import dataclass
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

    def px(self, size: float) -> int:
        """A font size or margin in pixels, scaled to the screen, never below legible."""
        return max(8, round(size * self.scale))

    def line(self, width: float) -> float:
        """A line width in pixels, scaled to the screen."""
        return round(width * self.scale, 2)
