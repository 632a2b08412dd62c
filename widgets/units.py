"""Amounts in words a wall can show: bytes in decimal units, counts that fit a column."""


def bytes_text(count: float) -> str:
    """1421517567 -> '1.4 GB', 550 -> '550 B'."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count:.0f} B"


def abbreviate(count: float) -> str:
    """11747 -> '11.7k', 2300000 -> '2.3M': a count that fits its column."""
    for suffix, size in (("M", 1e6), ("k", 1e3)):
        if count >= size * 10 or (suffix == "M" and count >= size):
            return f"{count / size:.1f}{suffix}"
    return f"{count:,.0f}"
