"""hbi_contacts' options and their check (no pandas here: a config loads fast)."""

from pydantic import Field

from socwall.types import ConfigPath, Duration, Strict

needs_source = True
source_types = ("flows",)


class HbiContactsOptions(Strict):
    inventory: ConfigPath = Field(description="CSV ip,name,criticality,role,owner; HBI rows shown")
    window: Duration = Field("1h", description="contacts counted over the last window")
    baseline: Duration = Field("7d", description="compared with the same window this long ago")
    new_peers: int = Field(3, ge=1, description="this many outside peers not seen then...")
    growth: float = Field(2.0, ge=1, description="...and this many times the peers then: highlight")
    limit: int = Field(10, ge=1, le=20, description="HBI hosts shown; changed ones first")


Options = HbiContactsOptions


def check(options: HbiContactsOptions, source) -> list[tuple[str, str]]:
    if options.window % source.bucket:
        return [("window", f"must be a multiple of the source bucket ({source.bucket})")]
    if options.baseline % source.bucket or options.baseline < options.window:
        return [("baseline", "must be a multiple of the source bucket and at least the window")]
    return []
