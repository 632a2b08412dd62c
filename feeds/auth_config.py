"""The `auth` source's config and the metrics it feeds (no pyarrow here: a config loads fast)."""

from typing import Literal

from pydantic import Field, field_validator

from socwall.feeds import redact
from socwall.feeds.file_following import FileFollowing
from socwall.types import ConfigPath, Duration, TimeZoneName

METRICS = ("failed_logins", "successful_logins", "invalid_user_attempts", "failing_source_ips")
DISTINCT = ("failing_source_ips",)  # kept as per-bucket sets, unioned for any window


class AuthConfig(FileFollowing):
    type: Literal["auth"]
    path: ConfigPath = Field(
        description="glob of syslog, Windows Security JSON or Zeek ssh.log files"
    )
    format: Literal[
        "auto", "syslog", "windows", "evtx", "zeek-ssh", "zeek-kerberos", "zeek-ntlm"
    ] = Field(
        "auto", description="auto: Zeek by its #path header, Windows by '{', else syslog"
    )
    timezone: TimeZoneName = Field("UTC", description="zone of syslog times written without one")
    year: int | None = Field(
        None, ge=1990, le=2100, description="year of the last lines of syslog files written "
        "without a year; default: each file's modification time (never the wall clock)",
    )
    builtin_accounts: bool = Field(
        False, description="count SYSTEM, LOCAL SERVICE, NETWORK SERVICE, ANONYMOUS LOGON as users"
    )
    redact: list[str] = Field(
        default_factory=lambda: [redact.USER_PASSWORD],
        description="masked in user names and reasons before storing: 'user:password' (a "
        "password typed into the user field) and regular expressions",
    )
    refresh: Duration = "1m"
    bucket: Duration = "5m"
    retention: Duration = Field("40d", description="metric history kept in the store")

    @field_validator("redact")
    @classmethod
    def _rules(cls, rules: list[str]) -> list[str]:
        return redact.check_rules(rules)

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metrics this source feeds; metric_compare panels name one of them."""
        return METRICS

    @property
    def distinct_metrics(self) -> tuple[str, ...]:
        """Metrics that count distinct members: a window's value is the union of its buckets'."""
        return DISTINCT


Config = AuthConfig
