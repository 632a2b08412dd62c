"""The asset inventory: a CSV with a documented header, read once per computation.

Header: `ip,name,criticality,role,owner` (only `ip` and `name` are required). `criticality` is
`HBI` (high business impact, a crown jewel) or a level such as `high`, `medium`, `low`, `1`-`5`.
"""

import csv
import io
from dataclasses import dataclass

REQUIRED = ("ip", "name")
COLUMNS = ("ip", "name", "criticality", "role", "owner")


@dataclass(frozen=True)
class Asset:
    """One inventory row; `hbi` when its criticality says high business impact."""

    ip: str
    name: str
    criticality: str = ""
    role: str = ""
    owner: str = ""

    @property
    def hbi(self) -> bool:
        return self.criticality.strip().upper() == "HBI"


def parse_inventory(data: bytes) -> dict[str, Asset]:
    """ip -> Asset from CSV bytes; raises ValueError naming a missing column or a bad line."""
    text = data.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ValueError(f"inventory: missing column(s) {', '.join(missing)}; header is {header}")
    reader.fieldnames = header
    assets = {}
    for line, row in enumerate(reader, start=2):
        ip = (row.get("ip") or "").strip()
        if not ip:
            raise ValueError(f"inventory line {line}: no ip")
        values = {c: (row.get(c) or "").strip() for c in COLUMNS}
        assets[ip] = Asset(**{**values, "name": values["name"] or ip})
    return assets


def read_inventory(path: str | None) -> dict[str, Asset]:
    """ip -> Asset from a CSV file; {} when no file is configured."""
    if not path:
        return {}
    with open(path, "rb") as handle:
        return parse_inventory(handle.read())


def by_name(assets: dict[str, Asset]) -> dict[str, Asset]:
    """The same assets keyed by lower-case host name and by ip, to match names in tickets."""
    keyed = {a.name.lower(): a for a in assets.values()}
    keyed.update(assets)
    return keyed
