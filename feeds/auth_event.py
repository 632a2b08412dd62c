"""One normalized authentication event, as every auth reader returns it."""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class AuthEvent:
    """One normalized authentication event; its fields are feeds.fields.AUTH_FIELDS."""

    ts: datetime
    host: str
    program: str
    user: str | None = None
    src_ip: str | None = None
    outcome: str | None = None  # success, failure, or None for a notice
    method: str | None = None
    reason: str | None = None
    invalid_user: bool = False
    privileged: bool = False
    count: int = 1
    extra: dict = field(default_factory=dict)
