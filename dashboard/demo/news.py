"""Demo news feeds (RSS 2.0, Atom, RSS 1.0) and a small KEV catalog sample, in the real formats.

Dates of the feed entries are relative to the demo's start so the wall looks live. The KEV sample
lists real, well-known entries of the catalog (own wording, real dateAdded).
"""

import json
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

EVERYDAY = [
    "Microsoft patch day fixes {n} vulnerabilities in Windows and Office",
    "Phishing campaign impersonates parcel services to steal credentials",
    "Ransomware gang claims attack on regional hospital network",
    "Data breach at online retailer exposes customer records",
    "Browser update closes use-after-free bugs in rendering engine",
    "Researchers track botnet that hijacks home routers",
    "Credential stuffing wave hits streaming accounts",
    "Cloud storage bucket left open exposed internal documents",
    "Security awareness: how attackers abuse QR codes",
    "Linux kernel release fixes privilege escalation bugs",
    "Supply chain attack hides malware in open-source package",
    "Password manager vendor publishes incident report",
]
TODAY = [
    (
        "SAP NetWeaver zero-day CVE-2025-31324 exploited to plant web shells",
        "Attackers upload web shells through the Visual Composer component of SAP NetWeaver.",
    ),
    (
        "CISA adds SAP NetWeaver flaw CVE-2025-31324 to known exploited list",
        "Agencies must patch SAP NetWeaver Visual Composer; exploitation is ongoing.",
    ),
    (
        "Mass scanning for SAP NetWeaver Visual Composer endpoints observed",
        "Honeypots see requests for the metadatauploader path of SAP NetWeaver.",
    ),
    (
        "Ivanti Connect Secure CVE-2025-0282 exploitation continues",
        "Unpatched Ivanti Connect Secure gateways keep getting compromised.",
    ),
    (
        "Incident responders share SAP NetWeaver web shell indicators",
        "The web shells appear in the servlet_jsp directory of SAP NetWeaver systems.",
    ),
    (
        "Fortinet FortiOS authentication bypass CVE-2024-55591 still abused",
        "Attackers create admin accounts on exposed FortiOS management interfaces.",
    ),
]
# cveID, vendor, product, name, added, ransomware
KEV_SAMPLE = [
    ("CVE-2025-31324", "SAP", "NetWeaver", "SAP NetWeaver Unrestricted File Upload Vulnerability", "2025-04-29", "Unknown"),
    ("CVE-2024-55591", "Fortinet", "FortiOS and FortiProxy", "Fortinet FortiOS and FortiProxy Authentication Bypass Vulnerability", "2025-01-14", "Known"),
    ("CVE-2025-0282", "Ivanti", "Connect Secure, Policy Secure, and ZTA Gateways", "Ivanti Connect Secure, Policy Secure, and ZTA Gateways Stack-Based Buffer Overflow Vulnerability", "2025-01-08", "Unknown"),
    ("CVE-2024-3400", "Palo Alto Networks", "PAN-OS", "Palo Alto Networks PAN-OS Command Injection Vulnerability", "2024-04-12", "Unknown"),
    ("CVE-2024-1709", "ConnectWise", "ScreenConnect", "ConnectWise ScreenConnect Authentication Bypass Vulnerability", "2024-02-22", "Known"),
    ("CVE-2024-21887", "Ivanti", "Connect Secure and Policy Secure", "Ivanti Connect Secure and Policy Secure Command Injection Vulnerability", "2024-01-10", "Known"),
    ("CVE-2023-4966", "Citrix", "NetScaler ADC and NetScaler Gateway", "Citrix NetScaler ADC and NetScaler Gateway Buffer Overflow Vulnerability", "2023-10-18", "Known"),
    ("CVE-2023-20198", "Cisco", "IOS XE", "Cisco IOS XE Web UI Privilege Escalation Vulnerability", "2023-10-16", "Unknown"),
    ("CVE-2023-34362", "Progress", "MOVEit Transfer", "Progress MOVEit Transfer SQL Injection Vulnerability", "2023-06-02", "Known"),
    ("CVE-2021-44228", "Apache", "Log4j2", "Apache Log4j2 Remote Code Execution Vulnerability", "2021-12-10", "Known"),
]  # fmt: skip


def write_demo_news(directory: Path, anchor: datetime, seed: int) -> None:
    """Three feeds and a KEV sample under `directory`, entries dated up to `anchor`."""
    directory.mkdir(parents=True, exist_ok=True)
    entries = _entries(anchor, seed)
    (directory / "security-wire.xml").write_text(_rss2("Security Wire", entries[0::3]))
    (directory / "advisories.atom").write_text(_atom("Vendor Advisories", entries[1::3]))
    (directory / "cert-notes.rdf").write_text(_rdf("CERT Notes", entries[2::3]))
    (directory / "kev-sample.json").write_text(json.dumps(_kev(), indent=1))


def _entries(anchor: datetime, seed: int) -> list[dict]:
    rng = np.random.default_rng([seed, 5])
    items = []
    for hours in range(30, 30 * 24, 5):  # a background month, an item every 5 hours
        title = EVERYDAY[int(rng.integers(len(EVERYDAY)))].format(n=int(rng.integers(40, 120)))
        items.append((title, "Our weekly look at what changed and why it matters.", hours))
    for i, (title, summary) in enumerate(TODAY * 2):  # today: the same stories, several sources
        items.append((title, summary, 0.5 + i * 1.7))
    items.sort(key=lambda item: item[2])
    return [{"title": t, "summary": s, "when": anchor - timedelta(hours=h), "id": f"demo-{i}"}
            for i, (t, s, h) in enumerate(items)]  # fmt: skip


def _rss2(title: str, entries: list[dict]) -> str:
    items = "".join(
        f"<item><title>{escape(e['title'])}</title><link>https://wire.example/{e['id']}</link>"
        f'<guid isPermaLink="false">{e["id"]}</guid><pubDate>{format_datetime(e["when"])}</pubDate>'
        f"<description>{escape('<p>' + e['summary'] + '</p>')}</description></item>\n"
        for e in entries
    )
    return f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>{title}</title><link>https://wire.example/</link><description>demo</description>\n{items}</channel></rss>\n'


def _atom(title: str, entries: list[dict]) -> str:
    items = "".join(
        f"<entry><title>{escape(e['title'])}</title><id>urn:demo:{e['id']}</id>"
        f'<updated>{e["when"].isoformat()}</updated><link href="https://vendor.example/{e["id"]}"/>'
        f'<content type="html">{escape("<p>" + e["summary"] + "</p>")}</content></entry>\n'
        for e in entries
    )
    updated = entries[-1]["when"].isoformat() if entries else "2025-01-01T00:00:00Z"
    return f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><title>{title}</title><id>urn:demo:{title}</id><updated>{updated}</updated>\n{items}</feed>\n'


def _rdf(title: str, entries: list[dict]) -> str:
    items = "".join(
        f'<item rdf:about="https://cert.example/{e["id"]}"><title>{escape(e["title"])}</title>'
        f"<link>https://cert.example/{e['id']}</link><description>{escape(e['summary'])}</description>"
        f"<dc:date>{e['when'].isoformat()}</dc:date></item>\n"
        for e in entries
    )
    return ('<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f'<channel rdf:about="https://cert.example/"><title>{title}</title><link>https://cert.example/</link>'
            f"<description>demo</description></channel>\n{items}</rdf:RDF>\n")  # fmt: skip


def _kev() -> dict:
    records = [{"cveID": cve, "vendorProject": vendor, "product": product, "vulnerabilityName": name,
                "dateAdded": added, "shortDescription": f"{name}: see the vendor advisory.",
                "requiredAction": "Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable.",
                "dueDate": added, "knownRansomwareCampaignUse": ransomware,
                "notes": f"https://nvd.nist.gov/vuln/detail/{cve}", "cwes": []}
               for cve, vendor, product, name, added, ransomware in KEV_SAMPLE]  # fmt: skip
    return {"title": "CISA Catalog of Known Exploited Vulnerabilities (socwall demo sample)",
            "catalogVersion": "demo", "dateReleased": "2025-04-29T00:00:00Z",
            "count": len(records), "vulnerabilities": records}  # fmt: skip
