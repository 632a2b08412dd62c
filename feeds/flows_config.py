"""The `flows` source's config: which files, which networks are ours (no numpy or pyarrow)."""

import ipaddress
from typing import Literal

from pydantic import Field, field_validator

from socwall.feeds.field_names import FLOW_FIELDS
from socwall.feeds.file_following import FileFollowing
from socwall.feeds.flow_defaults import ADDRESS_CLASSES, PRIVATE_NETWORKS, SERVICE_PORTS
from socwall.types import ConfigPath, Duration


class FlowsConfig(FileFollowing):
    type: Literal["flows"]
    path: ConfigPath = Field(description="glob of flow files")
    format: Literal["auto", "vast", "zeek", "zeek-json", "csv", "parquet"] = "auto"
    columns: dict[str, str] = Field(
        default_factory=dict, description="csv/parquet: normalized field -> column name"
    )
    timestamp_unit: Literal["s", "ms", "us", "ns"] = "s"
    internal: list[str] = Field(default_factory=lambda: list(PRIVATE_NETWORKS))
    exclude: list[str] = Field(default_factory=list, description="hosts or CIDRs to leave out")
    address_classes: dict[Literal[ADDRESS_CLASSES], Literal["ignore", "internal", "external"]] = (
        Field(default_factory=dict, description="per class: ignore (default), internal, external")
    )
    service_ports: list[int] = Field(default_factory=lambda: list(SERVICE_PORTS))
    refresh: Duration = "1m"
    bucket: Duration = "5m"
    retention: Duration = Field("8d", description="per-bucket host pairs kept in the store")

    @field_validator("internal", "exclude")
    @classmethod
    def _networks(cls, cidrs: list[str]) -> list[str]:
        for cidr in cidrs:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                raise ValueError(f'"{cidr}" is not an address or CIDR like 10.0.0.0/8') from None
        return cidrs

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, columns: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(columns) - set(FLOW_FIELDS))
        if unknown:
            raise ValueError(f"unknown flow fields {unknown}; known: {', '.join(FLOW_FIELDS)}")
        return columns


Config = FlowsConfig
