"""The access and screens sections of config.yaml: sign-in modes, probe token, wall screens."""

import re
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr, field_validator

from socwall.durations import format_duration
from socwall.types import Duration, Identifier, Strict

PASSWORD_HASH = re.compile(r"^(scrypt:\d+:\d+:\d+|pbkdf2:sha(256|512):\d+)\$[^$]+\$[0-9a-f]{64,}$")


def _password_hash(value: SecretStr) -> SecretStr:
    if not PASSWORD_HASH.match(value.get_secret_value()):
        raise ValueError(
            "not a password hash (scrypt:... or pbkdf2:...); write the output of "
            "`socwall hash-password`, never the password itself"
        )
    return value


def _long_token(value: SecretStr) -> SecretStr:
    if len(value.get_secret_value()) < 16:
        raise ValueError("a screen token needs at least 16 characters, e.g. `openssl rand -hex 16`")
    return value


def _long_secret(value: SecretStr) -> SecretStr:
    if len(value.get_secret_value()) < 32:
        raise ValueError("needs at least 32 characters, e.g. `openssl rand -hex 32`")
    return value


def _network(value: Any) -> Any:
    try:
        return ip_network(value) if isinstance(value, str) else value
    except ValueError as error:
        raise ValueError(f"expected an address or network like 127.0.0.1/32: {error}") from None


class BasicAuthConfig(Strict):
    users: dict[str, Annotated[SecretStr, AfterValidator(_password_hash)]] = Field(
        min_length=1, description="user name: password hash from `socwall hash-password`"
    )
    max_failures: int = Field(
        10, ge=1, description="wrong passwords per client address and user name, then 429"
    )
    lockout: Duration = Field("5m", description="the window max_failures counts in")
    concurrent_checks: int = Field(
        1, ge=1, le=64, description="password hashes one serve worker computes at once; "
        "more wait a few seconds, then get 503 (guessing never takes the web workers)",
    )


class OidcConfig(Strict):
    issuer: str = Field(description="the identity provider's issuer URL, as its discovery says")
    client_id: str
    client_secret: SecretStr = Field(description="write ${OIDC_CLIENT_SECRET}, never the secret")
    scopes: list[str] = Field(["openid", "profile", "email"])
    session_secret: Annotated[SecretStr, AfterValidator(_long_secret)] = Field(
        description="signs the session cookie: ${SOCWALL_SESSION_SECRET}, 32+ characters"
    )
    session_lifetime: Duration = Field("12h", description="sign in again after this long")
    redirect_uri: str | None = Field(
        None, description="the callback URL the IdP knows; default: this server's /oidc/callback"
    )

    @field_validator("issuer")
    @classmethod
    def _https_issuer(cls, issuer: str) -> str:
        local = re.match(r"^http://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(/|$)", issuer)
        if not issuer.startswith("https://") and not local:
            raise ValueError(f'expected an https:// URL, got "{issuer}"')
        return issuer


class ProxyHeaderConfig(Strict):
    header: str = Field("X-Forwarded-User", description="the header carrying the user name")
    trusted_proxies: list[Annotated[IPv4Network | IPv6Network, BeforeValidator(_network)]] = Field(
        min_length=1, description="the proxy's addresses; the header from any other is ignored"
    )


class GuessConfig(Strict):
    burst: int = Field(
        10, ge=1, le=10_000, description="secrets (passwords, screen and probe tokens) one "
        "client address may try in a row ...",
    )
    per_minute: float = Field(
        6, gt=0, le=60_000, description="... then this many a minute (a token bucket shared "
        "by every serve worker); past it 429 without any check",
    )


class AccessConfig(Strict):
    auth: Literal["none", "basic", "oidc", "proxy_header"] = Field(
        "none", description="sign-in for the desk view (screens have tokens)"
    )
    basic: BasicAuthConfig | None = None
    oidc: OidcConfig | None = None
    proxy_header: ProxyHeaderConfig | None = None
    secure_cookies: bool = Field(False, description="cookies only over https (behind TLS)")
    guesses: GuessConfig = Field(default_factory=GuessConfig)
    trusted_proxies: list[Annotated[IPv4Network | IPv6Network, BeforeValidator(_network)]] = Field(
        [], description="reverse proxies whose X-Forwarded-For names the client address "
        "(throttling and logs count per forwarded address)",
    )
    probe_token: Annotated[SecretStr, AfterValidator(_long_secret)] | None = Field(
        None, description="${SOCWALL_PROBE_TOKEN}: `Authorization: Bearer` for /metrics, /readyz "
        "and /healthz details, for Prometheus and orchestrator probes",
    )


class ScreenConfig(Strict):
    pages: list[Identifier] = Field(min_length=1, description="page ids this screen shows")
    rotate: Duration | None = Field(None, description="next page after this; default web.rotate")
    token: Annotated[SecretStr, AfterValidator(_long_token)] = Field(
        description="write ${LOBBY_TOKEN}; /screen/<name>?token=... opens the screen"
    )
    redact: bool = Field(
        False, description="visitor mode: hosts, users and addresses become pseudonyms on the "
        "server, for every request that carries this screen's cookie (not the feeds' redact)",
    )


def describe_access(config) -> list[str]:
    """What check-config shows about access: modes, users and screens; secrets masked."""
    access, mask = config.access, "**********"
    lines = [f"access.auth: {access.auth}"]
    if access.auth == "basic":
        lines.append(f"access.basic.users: {', '.join(access.basic.users)} (hashes {mask})")
    if access.auth == "oidc":
        oidc = access.oidc
        lines.append(f"access.oidc: issuer {oidc.issuer}, client_id {oidc.client_id}, "
                     f"client_secret {mask}, session_secret {mask}")  # fmt: skip
    if access.probe_token is not None:
        lines.append(f"access.probe_token: {mask} (Bearer for /metrics, /readyz, /healthz)")
    if access.auth == "proxy_header":
        proxies = ", ".join(str(n) for n in access.proxy_header.trusted_proxies)
        lines.append(f"access.proxy_header: {access.proxy_header.header} from {proxies}")
    guesses = access.guesses
    lines.append(f"access.guesses: {guesses.burst} at once, then {guesses.per_minute:g} a minute "
                 "per client address")  # fmt: skip
    if access.trusted_proxies:
        proxies = ", ".join(str(n) for n in access.trusted_proxies)
        lines.append(f"access.trusted_proxies: {proxies} (X-Forwarded-For names the client)")
    for name, screen in config.screens.items():
        rotate = format_duration(screen.rotate) if screen.rotate else "web.rotate"
        visitors = ", visitor mode (redact)" if screen.redact else ""
        lines.append(f"screens.{name}: pages {', '.join(screen.pages)}, rotate {rotate}, "
                     f"token {mask}{visitors}")  # fmt: skip
    return lines
