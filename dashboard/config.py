"""The one typed schema of config.yaml, and loading it with errors that name the YAML key."""

import functools
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal, Union
from zoneinfo import ZoneInfo

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    create_model,
    field_validator,
)

from socwall.dashboard.config_access import AccessConfig, ScreenConfig
from socwall.dashboard.config_env import apply_env_overrides, env_overrides
from socwall.dashboard.config_keys import key_places
from socwall.dashboard.config_messages import ConfigError, describe, expand_env
from socwall.dashboard.config_visitor import BurnInConfig, NightConfig, VisitorConfig
from socwall.dashboard.links import LinksConfig
from socwall.dashboard.redis_urls import is_cluster_url, is_multi_host, parse_multi_host_url
from socwall.dashboard.yaml_read import YamlError, read_yaml
from socwall.feeds import SOURCES
from socwall.keys import hash_tagged
from socwall.types import Duration, Identifier, Strict, TimeZoneName
from socwall.widgets import WIDGETS


class StoreConfig(Strict):
    url: str | None = Field(
        None,
        description="redis://, rediss://, unix://, redis+sentinel:// or redis+cluster:// URL "
        "(rediss+ for TLS); none = embedded",
    )
    password: SecretStr | None = Field(
        None, description="write ${REDIS_PASSWORD}, never the secret"
    )
    sentinel_password: SecretStr | None = Field(
        None, description="the sentinels' own password, when they have one: ${SENTINEL_PASSWORD}"
    )
    prefix: Identifier = Field(
        "socwall", description="every key lives under it: several walls can share one Redis"
    )
    cluster_keys: bool | None = Field(
        None,
        description="keys under the hash tag {prefix}: all in one Redis Cluster slot; default "
        "on for redis+cluster:// URLs, off otherwise (keeps the key names of existing data)",
    )
    timeout: Duration = Field("5s", description="socket timeout for every Redis call")

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, url: str | None) -> str | None:
        if url is None:
            return url
        if is_multi_host(url):
            parse_multi_host_url(url)  # its ValueError names what is wrong
        elif not re.match(r"^(redis|rediss|unix)://", url):
            raise ValueError(
                "expected a redis://, rediss://, unix://, redis+sentinel:// or redis+cluster:// "
                f'URL, got "{url}"'
            )
        return url

    @field_validator("cluster_keys")
    @classmethod
    def _cluster_needs_tagged_keys(cls, cluster_keys: bool | None, info) -> bool | None:
        if cluster_keys is False and is_cluster_url(info.data.get("url")):
            raise ValueError("a Redis Cluster needs cluster_keys (one slot per transaction)")
        return cluster_keys

    @property
    def key_prefix(self) -> str:
        """What every key starts with: the prefix, or `{prefix}` for Redis Cluster."""
        tagged = self.cluster_keys if self.cluster_keys is not None else is_cluster_url(self.url)
        return hash_tagged(self.prefix) if tagged else self.prefix


class WebConfig(Strict):
    host: str = Field("127.0.0.1", description="bind address; loopback unless told otherwise")
    port: int = Field(8050, ge=1, le=65535)
    workers: int = Field(2, ge=1, le=64, description="gunicorn worker processes of `serve`")
    poll: Duration = Field("10s", description="how often a screen asks for new panel data")
    kiosk: bool = Field(False, description="hide all chrome and the cursor on every screen")
    rotate: Duration | None = Field(None, description="show the next page after this long")
    stale_after: int = Field(3, ge=1, description="missed refreshes before a panel turns stale")
    reload_every: Duration | None = Field(
        None, description="reload each page this often (e.g. 24h), only while the server answers"
    )
    frame_ancestors: list[str] = Field(
        default_factory=lambda: ["'none'"],
        description="who may show the wall in a frame: 'none', 'self' or origins (https://x)",
    )
    max_request_bytes: int = Field(
        65536, ge=4096, le=16 << 20, description="larger request bodies are refused (413)"
    )
    burn_in: BurnInConfig = Field(
        default_factory=BurnInConfig, description="burn-in care: the wall and its chrome move"
    )
    night: NightConfig | None = Field(
        None, description="a darker palette with no pure white between start and end"
    )

    @field_validator("frame_ancestors")
    @classmethod
    def _sources(cls, sources: list[str]) -> list[str]:
        for source in sources:
            if source not in ("'none'", "'self'") and not re.match(r"^https?://[\w.*:-]+$", source):
                raise ValueError(f"{source!r} is not 'none', 'self' or an origin like https://x.org")
        if "'none'" in sources and len(sources) > 1:
            raise ValueError("'none' cannot be combined with other sources")
        return sources


class LoggingConfig(Strict):
    level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="--log-level and SOCWALL_LOG_LEVEL win over it"
    )
    access_log: bool = Field(False, description="serve writes a line per request it answers")
    repeat_window: Duration = Field(
        "10m", description="the same warning about one source or panel is written once per window"
    )


class SchedulerConfig(Strict):
    lock_ttl: Duration = Field("30s", description="a dead leader is replaced within this time")


class GridConfig(Strict):
    columns: int = Field(3, ge=1, le=12, description="grid columns of equal width")
    rows: int = Field(2, ge=1, le=12, description="grid rows of equal height")


class PanelBase(Strict):
    id: Identifier
    widget: str
    title: str
    source: str | None = None
    refresh: Duration = "1m"
    at: tuple[int, int] = Field(description="[column, row] of the top-left cell, from 1")
    span: tuple[int, int] = Field((1, 1), description="[columns, rows] the panel covers")


def _panel_model(name: str, widget) -> type[PanelBase]:
    required = any(field.is_required() for field in widget.Options.model_fields.values())
    return create_model(
        f"{name.title().replace('_', '')}Panel",
        __base__=PanelBase,
        widget=(Literal[name], ...),
        options=(widget.Options, ... if required else Field(default_factory=widget.Options)),
    )


def _tagged_union(models: list[type], tag: str) -> Any:
    if len(models) == 1:
        return models[0]
    return Annotated[Union[tuple(models)], Field(discriminator=tag)]  # noqa: UP007


PanelConfig = _tagged_union(
    [_panel_model(name, WIDGETS.config_module(name)) for name in WIDGETS], "widget"
)
SourceConfig = _tagged_union([SOURCES.config_module(name).Config for name in SOURCES], "type")


class PageConfig(Strict):
    id: Identifier
    title: str
    grid: GridConfig = Field(default_factory=GridConfig)
    panels: list[PanelConfig] = Field(min_length=1)


class WallConfig(Strict):
    """The whole config.yaml."""

    title: str = Field("SOC wall", description="shown in the top bar")
    timezone: TimeZoneName = Field(
        "UTC", description="IANA name, e.g. Europe/Berlin; used for display"
    )
    now: Literal["latest"] | datetime | None = Field(
        None, description="replay clock: a timestamp, or 'latest' for the newest record"
    )
    store: StoreConfig = Field(default_factory=StoreConfig)
    web: WebConfig = Field(default_factory=WebConfig)
    scheduler: SchedulerConfig = Field(default_factory=SchedulerConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    sources: dict[Identifier, SourceConfig] = Field(default_factory=dict)
    pages: list[PageConfig] = Field(min_length=1)
    access: AccessConfig = Field(default_factory=AccessConfig)
    screens: dict[Identifier, ScreenConfig] = Field(default_factory=dict)
    links: LinksConfig = Field(
        default_factory=LinksConfig, description="at the desk: hosts, users, CVEs link here"
    )
    visitor: VisitorConfig = Field(
        default_factory=VisitorConfig, description="visitor mode: screens.<name>.redact, ?redact=1"
    )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def panels(self) -> list[PanelBase]:
        """Every panel of every page, in page order."""
        return [panel for page in self.pages for panel in page.panels]


def load_config(path: str | Path) -> WallConfig:
    """Read, expand ${VARS} in and validate a config file; raise ConfigError with every problem."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ConfigError([f"{path}: cannot read the file: {error.strerror}"]) from error
    return load_config_bytes(data, base_dir=path.parent, name=str(path))


def load_config_bytes(data: bytes, base_dir: Path, name: str = "config.yaml") -> WallConfig:
    """Parse and validate config file contents; relative paths resolve against base_dir."""
    try:
        raw = read_yaml(data, name)
    except YamlError as error:
        raise ConfigError([str(error)]) from error
    if isinstance(raw, dict):
        raw = apply_env_overrides(raw, env_overrides(os.environ))
    return parse_config(raw, base_dir=base_dir)


def parse_config(raw: Any, base_dir: Path = Path(".")) -> WallConfig:
    """Validate an already-loaded YAML tree; relative source paths resolve against base_dir."""
    if not isinstance(raw, dict):
        raise ConfigError(["(top): expected a mapping with at least a 'pages' key"])
    problems: list[str] = []
    expanded = expand_env(raw, "", problems)
    if problems:
        raise ConfigError(problems)
    try:
        config = WallConfig.model_validate(expanded, context={"base_dir": base_dir})
    except ValidationError as error:
        problems = [describe(e, expanded, _key_places) for e in error.errors()]
        raise ConfigError(problems) from error
    problems = check_references(config)
    if problems:
        raise ConfigError(problems)
    return config


@functools.cache
def _key_places() -> dict[str, list[str]]:
    return key_places(WallConfig)


def check_references(config: WallConfig) -> list[str]:
    """Problems a schema cannot see: unknown sources, clashing ids, panels off the grid."""
    problems: list[str] = []
    seen_panels: set[str] = set()
    page_ids = [page.id for page in config.pages]
    for p, page in enumerate(config.pages):
        if page_ids.count(page.id) > 1:
            problems.append(f"pages[{p}].id: page id '{page.id}' is used twice")
        occupied: dict[tuple[int, int], str] = {}
        for i, panel in enumerate(page.panels):
            key = f"pages[{p}].panels[{i}]"
            if panel.id in seen_panels:
                problems.append(f"{key}.id: panel id '{panel.id}' is used twice")
            seen_panels.add(panel.id)
            problems += _check_source(config, panel, key)
            problems += _check_cells(page.grid, panel, key, occupied)
    return problems + _check_access(config, page_ids)


def _check_access(config: WallConfig, page_ids: list[str]) -> list[str]:
    """The chosen auth mode has its section; every screen names pages that exist."""
    mode = config.access.auth
    problems = []
    if mode != "none" and getattr(config.access, mode) is None:
        problems.append(f"access.{mode}: required when access.auth is {mode}")
    for other in ("basic", "oidc", "proxy_header"):
        if other != mode and getattr(config.access, other) is not None:
            problems.append(
                f"access.{other}: set, but access.auth is {mode}, so it would be ignored; "
                f"set access.auth: {other} or remove access.{other}"
            )
    for name, screen in config.screens.items():
        problems += [
            f"screens.{name}.pages[{i}]: unknown page '{page}' (pages: {', '.join(page_ids)})"
            for i, page in enumerate(screen.pages)
            if page not in page_ids
        ]
    return problems


def _check_source(config: WallConfig, panel: PanelBase, key: str) -> list[str]:
    widget = WIDGETS.config_module(panel.widget)
    # options that name other sources (metric_grid cells, feed_keywords.kev) check them here
    others = getattr(widget, "check_sources", lambda options, sources: [])
    problems = [f"{key}.options.{k}: {msg}" for k, msg in others(panel.options, config.sources)]
    return problems + _check_own_source(config, widget, panel, key)


def _check_own_source(config: WallConfig, widget, panel: PanelBase, key: str) -> list[str]:
    if panel.source is None:
        needed = widget.needs_source
        return [f"{key}.source: widget {panel.widget} needs a source"] if needed else []
    source = config.sources.get(panel.source)
    if source is None:
        known = ", ".join(sorted(config.sources)) or "none are defined"
        return [f"{key}.source: unknown source '{panel.source}' (sources: {known})"]
    provided = getattr(source, "provides", source.type)  # a query source stands in for a kind
    if provided not in widget.source_types:
        wanted = " or ".join(widget.source_types)
        return [f"{key}.source: {panel.widget} needs a {wanted} source, not '{provided}'"]
    return [f"{key}.options.{k}: {msg}" for k, msg in widget.check(panel.options, source)]


def _check_cells(grid: GridConfig, panel: PanelBase, key: str, occupied: dict) -> list[str]:
    (col, row), (cols, rows) = panel.at, panel.span
    if col < 1 or row < 1 or cols < 1 or rows < 1:
        return [f"{key}.at: cells count from 1 and spans are at least 1"]
    if col + cols - 1 > grid.columns or row + rows - 1 > grid.rows:
        return [f"{key}.at: the panel leaves the {grid.columns}x{grid.rows} grid"]
    for cell in ((c, r) for c in range(col, col + cols) for r in range(row, row + rows)):
        if cell in occupied:
            return [
                f"{key}.at: overlaps panel '{occupied[cell]}' at column {cell[0]}, row {cell[1]}"
            ]
        occupied[cell] = panel.id
    return []
