"""top_talkers' options and their checks (no pandas or pyarrow here: a config loads fast)."""

from typing import Literal

from pydantic import Field, model_validator

from socwall.types import ConfigPath, Duration, Strict

needs_source = True
source_types = ("flows",)


class TopTalkersOptions(Strict):
    window: Duration = Field(
        "1h", description="ranked over the last window; compared with the windows before"
    )
    by: Literal["bytes", "connections"] = "bytes"
    direction: Literal["out", "in", "both"] | None = Field(
        None, description="out: connections the host opened; in: answers to outside clients; "
        "both. Default: both for bytes, out for connections"
    )
    ranks: tuple[int, int] = Field((1, 10), description="[first, last] rank shown, e.g. [11, 20]")
    inventory: ConfigPath | None = Field(
        None, description="CSV ip,name[,criticality,role,owner]: names; HBI hosts marked"
    )
    changes: str | None = Field(None, description="a changes source: hosts in maintenance marked")
    jump: int = Field(5, ge=1, description="a rise of this many ranks is highlighted")
    min_share: float = Field(
        0.5, ge=0, description="NEW or risen hosts below this % of the total are not highlighted"
    )
    new_after: int = Field(
        3, ge=1, le=24, description="NEW = in none of the top 20 of this many windows before"
    )

    @model_validator(mode="after")
    def _ranks_in_order(self) -> "TopTalkersOptions":
        first, last = self.ranks
        if not 1 <= first <= last or last - first >= 20:
            raise ValueError("ranks must be [first, last] with 1 <= first <= last, at most 20 rows")
        return self

    @property
    def flow_direction(self) -> str:
        return self.direction or ("both" if self.by == "bytes" else "out")


Options = TopTalkersOptions


def check_sources(options: TopTalkersOptions, sources: dict) -> list[tuple[str, str]]:
    """`changes` must name a changes source."""
    if options.changes and getattr(sources.get(options.changes), "type", None) != "changes":
        return [("changes", f"'{options.changes}' is not a changes source")]
    return []


def check(options: TopTalkersOptions, source) -> list[tuple[str, str]]:
    if options.window % source.bucket:
        return [("window", f"must be a multiple of the source bucket ({source.bucket})")]
    return []
