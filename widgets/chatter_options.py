"""chatter's options and their checks (no feedparser here: a config loads fast)."""

from pydantic import Field

from socwall.feeds.kev_match import InventoryItem
from socwall.types import Duration, Strict

needs_source = True
source_types = ("chat",)


class ChatterOptions(Strict):
    window: Duration = Field("24h", description="mentions counted over this long")
    weeks: int = Field(4, ge=1, le=8, description="the usual level: this many past weeks")
    subjects: int = Field(8, ge=1, le=20, description="subjects (rows) shown")
    lines: int = Field(6, ge=0, le=15, description="newest lines shown")
    jump: float = Field(3.0, gt=1, description="this many times the usual level is a jump...")
    min_mentions: int = Field(5, ge=1, description="...with at least this many mentions...")
    min_authors: int = Field(2, ge=1, description="...from at least this many people")
    kev: str | None = Field(None, description="a kev source: its products and CVEs")
    products: list[str] = Field(default_factory=list, description="more product names")
    inventory: list[InventoryItem] = Field(default_factory=list, description="products we run")


Options = ChatterOptions


def check(options: ChatterOptions, source) -> list[tuple[str, str]]:
    return []


def check_sources(options: ChatterOptions, sources: dict) -> list[tuple[str, str]]:
    """`kev` names a source of type kev."""
    if options.kev is None:
        return []
    if options.kev not in sources:
        return [("kev", f"unknown source '{options.kev}' (sources: {', '.join(sorted(sources))})")]
    if sources[options.kev].type != "kev":
        return [("kev", f"'{options.kev}' is a {sources[options.kev].type} source, not kev")]
    return []
