"""The asset inventory: a CSV with a documented header, read once per computation.

Header: `ip,name,criticality,role,owner` (only `ip` and `name` are required). `criticality` is
`HBI` (high business impact, a crown jewel) or a level such as `high`, `medium`, `low`, `1`-`5`.
"""

import csv
import io
import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)

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
    """ip -> Asset from CSV bytes; raises ValueError naming a missing column. A bad line is left
    out and logged (read_inventory_checked says which)."""
    assets, problems = read_inventory_checked(data)
    for problem in problems:
        log.warning("%s", problem)
    return assets


def read_inventory_checked(data: bytes) -> tuple[dict[str, Asset], list[str]]:
    """(ip -> Asset, a sentence per line that could not be used): a bad line costs no other."""
    text = data.decode("utf-8-sig", errors="replace")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ValueError(f"inventory: missing column(s) {', '.join(missing)}; header is {header}")
    reader.fieldnames = header
    assets, problems = {}, []
    for line, row in enumerate(reader, start=2):
        ip = (row.get("ip") or "").strip()
        if not ip:
            problems.append(f"inventory line {line}: no ip, left out")
            continue
        values = {c: str(row.get(c) or "").strip() for c in COLUMNS}
        assets[ip] = Asset(**{**values, "name": values["name"] or ip})
    return assets, problems


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
