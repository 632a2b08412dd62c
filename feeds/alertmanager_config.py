"""The `alertmanager` source's config (no HTTP client here: a config loads fast)."""

from typing import Literal

from pydantic import Field, SecretStr, model_validator

from socwall.feeds.queue_items import QueueSettings
from socwall.types import ServerUrl


class AlertmanagerConfig(QueueSettings):
    type: Literal["alertmanager"]
    url: ServerUrl = Field(description="the Alertmanager, e.g. http://alertmanager:9093")
    username: str | None = None
    password: SecretStr | None = Field(None, description="write ${ALERTMANAGER_PASSWORD}")
    bearer_token: SecretStr | None = Field(None, description="write ${ALERTMANAGER_TOKEN}")
    filter: list[str] = Field(
        default_factory=list, description='matchers, e.g. [team="soc"]: only these alerts'
    )
    severity_label: str = Field("severity", description="the label that holds the severity")
    verify_tls: bool = Field(True, description="https certificates must be valid")

    @model_validator(mode="after")
    def _one_login(self) -> "AlertmanagerConfig":
        if self.password is not None and self.bearer_token is not None:
            raise ValueError("give either username/password or bearer_token, not both")
        return self


Config = AlertmanagerConfig
