"""KEV matching on the real catalog: whole names, renamed products, vendors alone, warnings.

Each case is checked against an independent word check: a plain regular expression with word
boundaries over the catalog's own vendor and product text, the alias spelled out in the test.
"""

import json
import re
from pathlib import Path

import pytest

from socwall.feeds.kev_match import Catalog, InventoryItem, matches, product_names, unmatched

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
KEV = SHARED / "intel" / "kev_2025-01-29.json"
pytestmark = pytest.mark.skipif(not KEV.exists(), reason="../shared/data is not beside the repo")


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return json.loads(KEV.read_text())["vulnerabilities"]


def word_check(records, vendors: set[str], *patterns: str) -> set[str]:
    """CVE ids whose vendor is one of `vendors` and whose product text has one of the
    patterns as whole words (case-insensitive): the independent count."""
    found = set()
    for r in records:
        if r["vendorProject"].strip() not in vendors:
            continue
        if any(re.search(rf"(?<![\w-]){p}(?![\w-])", r["product"], re.I) for p in patterns):
            found.add(r["cveID"])
    return found


# (inventory name, vendors, whole-word patterns, CVEs the issue named)
CASES = [
    ("Cisco IOS XE", {"Cisco"}, [r"IOS XE", r"IOS, XR, and XE", r"IOS, IOS XR, and IOS XE"], set()),
    # classic IOS: "IOS" as a name of its own, not the start of "IOS XE" / "IOS XR"
    ("Cisco IOS", {"Cisco"}, [r"IOS(?!\s+X[ER](?![\w-]))"], {"CVE-2004-1464"}),
    ("SharePoint Server", {"Microsoft"}, [r"SharePoint"], {"CVE-2020-1147"}),
    ("Citrix NetScaler ADC", {"Citrix"}, [r"NetScaler ADC", r"Application Delivery Controller"],
     {"CVE-2019-19781", "CVE-2020-8193", "CVE-2020-8195", "CVE-2020-8196", "CVE-2022-27518"}),
    ("Ivanti Connect Secure", {"Ivanti", "Pulse Secure"}, [r"Connect Secure"], {"CVE-2020-8218"}),
    ("Ivanti EPMM", {"Ivanti"}, [r"EPMM", r"MobileIron Core"], {"CVE-2023-35078"}),
    ("Microsoft Exchange Server 2019", {"Microsoft"}, [r"Exchange"], set()),
    ("PANOS", {"Palo Alto Networks"}, [r"PAN-OS"], {"CVE-2024-3400"}),
]  # fmt: skip


@pytest.mark.parametrize("name,vendors,patterns,named", CASES, ids=[c[0] for c in CASES])
def test_aliases_and_boundaries_agree_with_a_word_check(records, name, vendors, patterns, named):
    found = {r["cveID"] for r in Catalog(records).matching(name)}
    assert found == word_check(records, vendors, *patterns)
    assert named <= found


def test_ios_xe_never_matches_classic_ios(records):
    found = {r["cveID"] for r in Catalog(records).matching("Cisco IOS XE")}
    assert "CVE-2004-1464" not in found  # filed under "IOS": classic IOS, not IOS XE
    assert {"CVE-2023-20198", "CVE-2018-0171"} <= found  # "IOS XE Web UI", "IOS and IOS XE"


def test_classic_ios_never_matches_ios_xe_alone(records):
    found = {r["cveID"] for r in Catalog(records).matching("Cisco IOS")}
    assert "CVE-2023-20198" not in found  # "IOS XE Web UI": IOS XE only
    assert {"CVE-2004-1464", "CVE-2018-0171"} <= found  # "IOS", "IOS and IOS XE"
    assert not matches("Cisco IOS", "Cisco", "IOS XR Software")
    assert matches("Cisco IOS", "Cisco", "IOS, XR, and XE Software")


def test_a_vendor_alone_matches_nothing_and_says_what_it_could_mean(records):
    catalog = Catalog(records)
    assert catalog.matching("Ivanti") == []
    (warning,) = unmatched([InventoryItem(product="Ivanti")], catalog)
    assert warning.startswith("Ivanti: no product of that name in the KEV catalog; did you mean")
    assert "Ivanti Connect Secure and Policy Secure" in warning
    assert unmatched([InventoryItem(product="Ivanti Connect Secure")], catalog) == []
    (typo,) = unmatched([InventoryItem(product="Fortinet FortiGateway")], catalog)
    assert "Fortinet FortiOS" in typo  # the vendor's most exploited products


def test_product_fields_are_lists_of_names():
    assert product_names("IOS, XR, and XE Software") == [
        ("ios",), ("xr",), ("xe",), ("ios", "xr"), ("ios", "xe"),
    ]  # fmt: skip
    assert ("epmm",) in product_names("Endpoint Manager Mobile (EPMM) and MobileIron Core")
    assert matches("Git", "Git", "Git") and not matches("Git", "GitHub", "GitHub Enterprise")
