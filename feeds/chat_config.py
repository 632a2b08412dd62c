"""The `chat` source's config: its IRC, Mastodon and Bluesky connections (no irc, websockets or
feedparser here: a config loads fast)."""

import re
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from socwall.feeds.allow_hosts import AllowHosts
from socwall.types import ConfigPath, Duration, Identifier, Strict


class IrcConfig(Strict):
    name: Identifier
    host: str
    port: int | None = Field(None, ge=1, le=65535, description="default 6697 with TLS, else 6667")
    tls: bool = True
    ca_file: ConfigPath | None = Field(None, description="CA certificates for a private CA")
    nick: str = Field("socwall", pattern=r"^[A-Za-z\[\]\\`_^{|}][A-Za-z0-9\[\]\\`_^{|}-]{0,29}$")
    channels: list[str] = Field(min_length=1)
    password: SecretStr | None = Field(None, description="${IRC_PASSWORD}: SASL with `account`")
    account: str | None = Field(None, description="SASL PLAIN account (needs `password`)")
    reconnect: Duration = Field("2s", description="first wait after a drop; doubles to 5 min")
    idle_timeout: Duration = Field("5m", description="silence before the link counts as dead")

    @field_validator("channels")
    @classmethod
    def _channel_names(cls, channels: list[str]) -> list[str]:
        bad = [c for c in channels if not re.match(r"^[#&][^\s,\x07]{1,49}$", c)]
        if bad:
            raise ValueError(f"not IRC channel names: {', '.join(bad)} (write '#name')")
        return channels


class MastodonConfig(AllowHosts):
    name: Identifier
    instance: str = Field(description="https://infosec.exchange")
    tags: list[str] = Field(default_factory=list, description="hashtags, without '#'")
    accounts: list[str] = Field(default_factory=list, description="'user' or 'user@domain'")
    token: SecretStr | None = Field(None, description="${MASTODON_TOKEN}, read:statuses")
    via: Literal["auto", "api", "rss"] = "auto"
    timeout: Duration = "15s"

    @field_validator("instance")
    @classmethod
    def _https(cls, instance: str) -> str:
        if not re.match(r"^https?://[^/\s]+/?$", instance):
            raise ValueError(f'expected the instance\'s address, e.g. https://infosec.exchange, '
                             f'got "{instance}"')  # fmt: skip
        return instance.rstrip("/")

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: list[str]) -> list[str]:
        return [t.lstrip("#").lower() for t in tags]

    @model_validator(mode="after")
    def _something(self):
        if not self.tags and not self.accounts:
            raise ValueError("give `tags` or `accounts` to read")
        return self


class BlueskyConfig(Strict):
    name: Identifier
    url: str = Field("wss://jetstream2.us-east.bsky.network/subscribe",
                     pattern=r"^wss?://\S+$")  # fmt: skip
    keywords: list[str] = Field(default_factory=list, description="words a post must contain")
    tags: list[str] = Field(default_factory=list, description="hashtags, without '#'")
    cves: bool = Field(True, description="posts naming a CVE or GHSA id")
    ignore: list[str] = Field(default_factory=list, description="DIDs never stored (bots)")
    reconnect: Duration = Field("2s", description="first wait after a drop; doubles to 5 min")
    idle_timeout: Duration = Field("60s", description="silence before the stream counts as stalled")


class ChatConfig(Strict):
    type: Literal["chat"]
    irc: list[IrcConfig] = Field(default_factory=list, description="IRC networks")
    mastodon: list[MastodonConfig] = Field(default_factory=list, description="instances")
    bluesky: list[BlueskyConfig] = Field(default_factory=list, description="Jetstream")
    refresh: Duration = Field("1m", description="Mastodon polls and the status report")
    retention: Duration = Field("35d", description="messages kept; 'usual' needs 4 weeks")
    max_text: int = Field(1000, ge=80, le=10000, description="characters kept of a message")
    max_rate: int = Field(600, ge=1, description="messages stored a minute per connection")
    mask_authors: bool = Field(False, description="store pseudonyms, never handles")

    @model_validator(mode="after")
    def _connections(self):
        names = [c.name for c in (*self.irc, *self.mastodon, *self.bluesky)]
        if not names:
            raise ValueError("give at least one connection under `irc`, `mastodon` or `bluesky`")
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"connection names must differ: {', '.join(twice)}")
        return self


Config = ChatConfig
