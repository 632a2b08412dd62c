"""The demo's alert queue: TheHive 5's answer to a `listAlert` query, written to a file the demo
reads like a server's answer, and the acknowledgements of today and of a week ago.

The story: a critical phishing report has waited 38 minutes (SLA 15 min) while the analysts
took the credential-dumping alert; time to acknowledge is a little slower than a week ago.
"""

import json
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

ALERTS = [  # title, severity (TheHive: 1 low .. 4 critical), minutes waiting, taken after (min)
    ("Phishing report: invoice.pdf.exe sent to 14 users", 4, 38, None),
    ("Credential dumping tool on wks-114", 3, 31, 9),
    ("Outbound SMB to 185.220.101.4 from hr-files-02", 3, 12, None),
    ("ET POLICY DNS over HTTPS to cloudflare-dns.com", 2, 55, None),
    ("New local administrator on build-01", 2, 140, 22),
    ("Impossible travel for b.novak (Berlin, Lagos)", 2, 20, None),
    ("Outdated OpenSSH on git-01", 1, 300, None),
    ("TLS certificate expires in 9 days on crm-01", 1, 420, None),
    ("Port scan from 10.0.4.17", 1, 95, 35),
]


def thehive_alerts(anchor: datetime) -> list[dict]:
    """The open alerts in TheHive's OutputAlert shape (times in ms since the epoch)."""
    millis = lambda at: int(at.timestamp() * 1000)  # noqa: E731
    alerts = []
    for number, (title, severity, waiting, taken) in enumerate(ALERTS):
        created = anchor - timedelta(minutes=waiting)
        alert = {"_id": f"~{40960000 + 4096 * number}", "_type": "Alert",
                 "_createdBy": "siem@soc.example", "_createdAt": millis(created),
                 "type": "siem", "source": "splunk", "sourceRef": f"NOTABLE-{8812 + number}",
                 "title": title, "description": "", "severity": severity,
                 "date": millis(created), "tlp": 2, "pap": 2, "follow": True,
                 "observableCount": 1, "status": "New", "stage": "New", "extraData": {},
                 "newDate": millis(created), "timeToDetect": 60000}  # fmt: skip
        if taken is not None:
            alert.update(stage="InProgress", status="InProgress", assignee="anna@soc.example",
                         inProgressDate=millis(created + timedelta(minutes=taken)))
        alerts.append(alert)
    return alerts


def write_demo_queue(directory: Path, anchor: datetime) -> Path:
    """The answer file the demo's `alert_queue` source reads."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "thehive-alerts.json"
    path.write_text(json.dumps(thehive_alerts(anchor), indent=1))
    return path


def seed_acknowledgements(store, source_id: str, anchor: datetime, tz: ZoneInfo,
                          seed: int) -> None:  # fmt: skip
    """Acknowledgements since local midnight today and a week ago, as the source records them."""
    rng = np.random.default_rng([seed, 28])
    local = anchor.astimezone(tz)
    records = []
    for weeks, mean in ((0, 11.0), (1, 8.0)):
        start = datetime.combine(local.date() - timedelta(days=7 * weeks), time(0), tzinfo=tz)
        end = anchor - timedelta(days=7 * weeks)
        span = (end - start).total_seconds()
        for number in range(max(3, int(span / 3600 * 1.5))):
            taken = start + timedelta(seconds=float(rng.uniform(0.05, 0.97)) * span)
            tta = float(rng.gamma(4.0, mean / 4.0)) * 60
            records.append({"ts": taken.isoformat(), "id": f"week{weeks}-{number}",
                            "severity": str(rng.choice(["high", "medium", "low"])),
                            "created": (taken - timedelta(seconds=tta)).isoformat(),
                            "tta_s": round(tta)})  # fmt: skip
    store.add_records(source_id, "acks", records, anchor, timedelta(days=15), id_field="id")
