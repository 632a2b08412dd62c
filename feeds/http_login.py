"""The login keys of a source that asks an HTTP server (basic or bearer), and the header they
make. No HTTP client here: loading a config imports this."""

import base64

from pydantic import Field, SecretStr, model_validator

from socwall.types import Strict


class HttpLogin(Strict):
    """`username`/`password` (HTTP basic) or `bearer_token`, never both."""

    username: str | None = Field(None, description="HTTP basic login's user")
    password: SecretStr | None = Field(None, description="write ${VAR}, never the password itself")
    bearer_token: SecretStr | None = Field(None, description="write ${VAR}, never the token itself")

    @model_validator(mode="after")
    def _one_login(self) -> "HttpLogin":
        if self.password is not None and self.bearer_token is not None:
            raise ValueError("give either username/password or bearer_token, not both")
        return self


def login_headers(config: HttpLogin) -> dict[str, str]:
    """The Authorization header from `bearer_token` or `username`/`password`; none without."""
    if config.bearer_token is not None:
        return {"Authorization": f"Bearer {config.bearer_token.get_secret_value()}"}
    if config.username is None:
        return {}
    secret = config.password.get_secret_value() if config.password else ""
    token = base64.b64encode(f"{config.username}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}
