"""The keys every file source has for following its files (no pandas, pyarrow or Redis here:
loading a config imports this)."""

from pydantic import Field

from socwall.feeds.bounded import Limits
from socwall.types import Duration, Strict


class FileFollowing(Strict):
    """Keys every file source has for following its files."""

    eof_after: Duration = Field(
        "60s", description="a file unchanged this long has its last line read without newline"
    )
    max_line_bytes: int = Field(
        1 << 20, ge=1024, description="longer lines are skipped and counted as unreadable"
    )
    max_memory_bytes: int = Field(
        256 << 20,
        ge=16 << 20,
        description="memory one read of a file may take: files are read in windows of a twelfth"
        " of it (parsing a window takes about 6 times its size); a Parquet file, read whole,"
        " larger than this is skipped and named",
    )
    max_inflated_bytes: int = Field(
        1 << 30,
        ge=1 << 20,
        description="a compressed file inflating past this, or more than 250-fold, is skipped"
        " and named (a decompression bomb); it is not read again until it changes",
    )

    def limits(self) -> Limits:
        """How much one read of one file may take."""
        return Limits(window=self.max_memory_bytes // 12, inflated=self.max_inflated_bytes,
                      whole=self.max_memory_bytes)  # fmt: skip
