"""The `kev` source: the CISA Known Exploited Vulnerabilities catalog, in its published schema."""

import json
import re
from datetime import date, datetime

from socwall.feeds import fetch
from socwall.feeds.kev_config import (  # noqa: F401  (the registry reads kev.Config)
    Config,
    KevConfig,
)
from socwall.text import one_line

CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,}$")
FIELDS = ("cveID", "vendorProject", "product", "vulnerabilityName", "dateAdded", "dueDate",
          "shortDescription", "requiredAction", "knownRansomwareCampaignUse", "notes")  # fmt: skip


def parse_catalog(data: bytes) -> tuple[list[dict], int, str | None]:
    """Records of a KEV catalog (JSON bytes), how many were unusable, and the catalog version."""
    try:
        catalog = json.loads(data)
    except ValueError as error:
        raise ValueError(f"not JSON: {error}") from None
    if not isinstance(catalog, dict) or not isinstance(catalog.get("vulnerabilities"), list):
        raise ValueError("not a KEV catalog: no 'vulnerabilities' list")
    records = [_record(item) for item in catalog["vulnerabilities"]]
    usable = [r for r in records if r is not None]
    return usable, len(records) - len(usable), catalog.get("catalogVersion")


def _record(item: object) -> dict | None:
    """One vulnerability with every field as clean text; None when it cannot be used."""
    if not isinstance(item, dict):
        return None
    record = {name: one_line(item.get(name) or "") for name in FIELDS}
    record["cveID"] = record["cveID"].upper()
    if not CVE_ID.match(record["cveID"]) or not record["vendorProject"]:
        return None
    try:
        date.fromisoformat(record["dateAdded"])
    except ValueError:
        return None
    return record


class Source:
    """Fetches the catalog (conditionally) and keeps its usable records in the store."""

    def __init__(self, config: KevConfig, source_id: str):
        self.config, self.source_id = config, source_id

    def ingest(self, store, now: datetime) -> dict:
        """Fetch when due; keep the usable records of a changed catalog, nothing otherwise."""
        limits = {
            "timeout": self.config.timeout.total_seconds(),
            "max_bytes": self.config.max_bytes,
            "allow_hosts": self.config.allow_hosts,
        }
        fetched = fetch.fetch_tracked(store, self.source_id, "catalog", self.config.location,
                                      self.config.refresh, now, **limits)  # fmt: skip
        stats = {"rows": 0, "bad_rows": 0, "newest": None, "warnings": []}
        if fetched is None:  # the last catalog stays; the status says why it is not fresher
            stats["warnings"].append(
                "catalog: " + fetch.backoff_words(store, self.source_id, "catalog"))
        elif fetched.body is not None:
            try:
                records, bad, version = parse_catalog(fetched.body)
            except ValueError as error:  # fetched but unreadable: backed off like a failure
                fetch.record_failure(store, self.source_id, "catalog", self.config.refresh, now,
                                     error)  # fmt: skip
                raise
            store.write_document(self.source_id, "catalog", records)
            stats.update(rows=len(records), bad_rows=bad, catalog_version=version)
        return stats
