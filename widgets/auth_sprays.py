"""Password sprays, and a spray that worked: one address tried many accounts a few times each,
then one of those accounts logged in or got a Kerberos ticket for that address.

Used by suspicious_users only (its compute); pure functions over the compact attempts.
"""

from collections import Counter, defaultdict
from datetime import datetime, timedelta

SUCCESS_WITHIN = timedelta(minutes=30)  # a ticket this long after the spray's last try counts
TICKETS = {"kerberos ticket": "a Kerberos ticket", "kerberos service ticket": "a service ticket"}


def _account(user: str) -> str:
    return user.lower().split("@", 1)[0]


def _when(event: dict) -> datetime:
    return datetime.fromisoformat(event["ts"])


def password_sprays(events: list[dict], options) -> list[dict]:
    """Sources that tried many accounts a few times each (a spray, not a brute force): how many
    accounts, how many of them exist, and the sprayed accounts that then got in from there."""
    tried, existing, attempts = defaultdict(set), defaultdict(set), Counter()
    times = defaultdict(list)
    for e in events:
        if e["outcome"] == "failure" and e["src_ip"] and e["user"]:
            tried[e["src_ip"]].add(_account(e["user"]))
            attempts[e["src_ip"]] += e["count"]
            times[e["src_ip"]].append(_when(e))
            if not e["invalid_user"]:
                existing[e["src_ip"]].add(_account(e["user"]))
    by_ip = defaultdict(list)  # each address's attempts in time order: sorted once, not per spray
    for e in sorted(events, key=lambda e: e["ts"]):
        by_ip[e["src_ip"]].append(e)
    sprays = []
    for ip, users in tried.items():
        if len(users) >= options.spray_accounts and attempts[ip] <= 5 * len(users):
            spray = {"src_ip": ip, "accounts": len(users), "existing": len(existing[ip]),
                     "attempts": attempts[ip],
                     "alert": len(users) >= 2 * options.spray_accounts}  # fmt: skip
            if worked := successes(by_ip[ip], ip, users, min(times[ip]), max(times[ip])):
                spray.update(succeeded=worked, alert=True)
            sprays.append(spray)
    order = lambda s: (not s.get("succeeded"), -s["accounts"], s["src_ip"])  # noqa: E731
    return sorted(sprays, key=order)[:3]


def successes(events: list[dict], ip: str, users: set[str], first: datetime,
              last: datetime) -> list[dict]:  # fmt: skip
    """Sprayed accounts that logged in, or got a ticket, for the spraying address after its
    first try and at most SUCCESS_WITHIN after its last one: the first time each."""
    failures = sorted(_when(e) for e in events if e["src_ip"] == ip and e["outcome"] == "failure")
    found: dict[str, dict] = {}
    for e in sorted(events, key=lambda e: e["ts"]):
        how = "a login" if e["outcome"] == "success" else TICKETS.get(e.get("method") or "")
        user = _account(e["user"] or "")
        if not how or e["src_ip"] != ip or user not in users or user in found:
            continue
        at = _when(e)
        if not first <= at <= last + SUCCESS_WITHIN:
            continue
        before = [t for t in failures if t <= at]
        gap = (at - before[-1]).total_seconds() if before else 0.0
        found[user] = {"user": e["user"], "at": e["ts"], "after_s": round(gap, 3), "how": how,
                       "host": e.get("host") or ""}  # fmt: skip
    return list(found.values())


def gap_words(seconds: float) -> str:
    """0.025 -> '25 ms', 4 -> '4 s', 300 -> '5 min'."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def success_words(spray: dict, hit: dict) -> str:
    """'alice got a Kerberos ticket for 10.0.2.17 25 ms after its spray on 12 accounts'."""
    return (f"{hit['user']} got {hit['how']} for {spray['src_ip']} {gap_words(hit['after_s'])} "
            f"after its spray on {spray['accounts']} accounts")  # fmt: skip


def spray_facts(sprays: list[dict]) -> list[dict]:
    """An alarm fact per sprayed account that got in (issue 21's shape: kind, severity, text,
    what it concerns and the row it belongs to: the user's row)."""
    # no `hosts`: an account that got in after a spray is never explained by a change window
    return [{"kind": "success_after_spray", "severity": "alarm", "text": success_words(s, hit),
             "at": hit["at"], "row": hit["user"], "users": [hit["user"]], "src_ip": s["src_ip"]}
            for s in sprays for hit in s.get("succeeded", [])]  # fmt: skip


def spray_factors(sprays: list[dict]) -> dict[str, str]:
    """Lower-case account -> the words of its success after a spray (a factor of its row)."""
    return {_account(hit["user"]): success_words(s, hit)
            for s in sprays for hit in s.get("succeeded", [])}  # fmt: skip
