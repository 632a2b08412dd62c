"""feed_keywords' options and their checks (no feedparser here: a config loads fast)."""

from pydantic import Field

from socwall.feeds.kev_match import InventoryItem, advice
from socwall.types import Duration, Strict

needs_source = True
source_types = ("news",)


class FeedKeywordsOptions(Strict):
    window: Duration = Field("24h", description="the stories of this window...")
    background: Duration = Field("30d", description="...against this much time before it")
    keywords: int = Field(20, ge=5, le=40, description="stories (tiles) in the treemap")
    min_mentions: int = Field(1, ge=1, description="entries a one-source story needs to be a tile")
    cves: int = Field(12, ge=0, le=30, description="CVEs listed, most sources first")
    headlines: int = Field(6, ge=0, le=15, description="latest headlines shown")
    kev: str | None = Field(None, description="a kev source: exploited CVEs, vendor/product names")
    kev_days: int = Field(30, ge=1, description="a KEV entry added this many days ago is recent")
    products: list[str] = Field(default_factory=list, description="more product names")
    inventory: list[InventoryItem] = Field(
        default_factory=list, description="products we run: a story about one is an alarm"
    )
    boilerplate: list[str] = Field(default_factory=list, description="names to ignore (site names)")
    chat: str | None = Field(None, description="a chat source: sightings, said in chat first")


Options = FeedKeywordsOptions


def check(options: FeedKeywordsOptions, source) -> list[tuple[str, str]]:
    return []


def check_sources(options: FeedKeywordsOptions, sources: dict) -> list[tuple[str, str]]:
    """`kev` names a source of type kev, `chat` one of type chat."""
    problems = []
    for key, kind in (("kev", "kev"), ("chat", "chat")):
        name = getattr(options, key)
        source = sources.get(name) if name else None
        if name and source is None:
            known = ", ".join(sorted(sources)) or "none are defined"
            problems.append((key, f"unknown source '{name}' (sources: {known})"))
        elif source is not None and source.type != kind:
            problems.append((key, f"'{name}' is a {source.type} source, not a {kind} source"))
    return problems


def advise(options: FeedKeywordsOptions, source, sources: dict) -> list[tuple[str, str]]:
    """Warnings for check-config: inventory lines naming nothing in the `kev` catalog."""
    return advice(options.inventory, sources.get(options.kev)) if options.kev else []
