"""What suspicious_users states besides its rows: facts for the verdict, the denominator, and
the evidence behind each row (sources and hosts of a user, accounts of a spray) for the drawer.

Pure functions over the compact auth attempts the widget loads (ts, host, user, src_ip, outcome,
method, count, invalid_user, ...); computed by the job, so the drawer never queries anything.
"""

import fnmatch
from collections import Counter, defaultdict
from datetime import datetime

KEPT = 8  # sources, hosts or accounts kept per row for the drawer


def _window(events: list[dict], start: datetime, end: datetime) -> list[dict]:
    lo, hi = start.isoformat(), end.isoformat()
    return [e for e in events if lo <= e["ts"] < hi]


def suspect_facts(rows: list[dict], sprays: list[dict], start: datetime, end: datetime) -> list:
    """An alarm per highlighted account and per large spray; a smaller spray is a notice.
    Accounts name no host: a change window never explains an account behaving unlike itself."""
    when = {"start": start.isoformat(), "end": end.isoformat()}
    facts = [{"kind": "brute_force" if "brute_force" in r["factors"] else "suspect_account",
              "severity": "alarm", "row": r["user"], "text": f"{r['user']}: {r['reasons'][0]}",
              **when} for r in rows if r["alert"] and r["reasons"]]  # fmt: skip
    facts += [{"kind": "password_spray", "severity": "alarm" if s["alert"] else "notice",
               "row": f"spray:{s['src_ip']}",
               "text": f"password spray from {s['src_ip']} on {s['accounts']} accounts", **when}
              for s in sprays]  # fmt: skip
    return facts


def account_counts(events: list[dict], start: datetime, end: datetime, exclude: list[str]) -> dict:
    """The denominator: accounts that exist and did anything in the window, and how many of
    them failed to log in at least once (names that do not exist are counted apart)."""
    active, failing = set(), set()
    for e in _window(events, start, end):
        user = e["user"]
        if e["invalid_user"] or not user or any(fnmatch.fnmatchcase(user, p) for p in exclude):
            continue
        active.add(user)
        if e["outcome"] == "failure":
            failing.add(user)
    return {"active": len(active), "failing": len(failing)}


def user_details(events: list[dict], start: datetime, end: datetime, users: list[str]) -> dict:
    """Per user: the source addresses behind its attempts (failed, succeeded) and the hosts it
    logged in to, most first."""
    wanted = set(users)
    sources = defaultdict(Counter)
    hosts = defaultdict(Counter)
    for e in _window(events, start, end):
        if e["user"] not in wanted or e["invalid_user"]:
            continue
        outcome = "failed" if e["outcome"] == "failure" else "succeeded"
        sources[e["user"]][(e["src_ip"] or "local", outcome)] += e["count"]
        if e["outcome"] == "success" and e["host"]:
            hosts[e["user"]][e["host"]] += e["count"]
    return {user: {"sources": _per_source(sources[user]),
                   "hosts": [{"host": h, "logins": n} for h, n in hosts[user].most_common(KEPT)]}
            for user in users}  # fmt: skip


def _per_source(counts: Counter) -> list[dict]:
    ips = {ip for ip, _ in counts}
    rows = [{"ip": ip, "failed": counts[(ip, "failed")], "succeeded": counts[(ip, "succeeded")]}
            for ip in ips]  # fmt: skip
    rows.sort(key=lambda r: (-(r["failed"] + r["succeeded"]), r["ip"]))
    return rows[:KEPT]


def spray_details(events: list[dict], start: datetime, end: datetime, ips: list[str]) -> dict:
    """Per spraying address: the accounts it tried, most tried first, and whether they exist."""
    tried = defaultdict(Counter)
    exists = defaultdict(dict)
    for e in _window(events, start, end):
        if e["src_ip"] in ips and e["outcome"] == "failure" and e["user"]:
            tried[e["src_ip"]][e["user"]] += e["count"]
            exists[e["src_ip"]][e["user"]] = not e["invalid_user"]
    return {ip: [{"user": u, "attempts": n, "exists": exists[ip][u]}
                 for u, n in sorted(tried[ip].items(), key=lambda kv: (-kv[1], kv[0]))[:KEPT]]
            for ip in ips}  # fmt: skip


def invalid_user_summary(events: list[dict], end: datetime, options) -> dict:
    """Attempts on user names that do not exist: totals, and the sources with real volume."""
    sources = invalid_user_sources(events, end, options)
    names = {e["user"] for e in _window(events, end - options.window, end)
             if e["invalid_user"] and e["outcome"] == "failure"}  # fmt: skip
    return {
        "invalid_total": {"attempts": sum(s["attempts"] for s in sources),
                          "sources": len(sources), "names": len(names)},
        "invalid_sources": [s for s in sources if s["attempts"] >= options.min_failures][:3],
    }  # fmt: skip


def invalid_user_sources(events: list[dict], end: datetime, options) -> list[dict]:
    """Attempts on user names that do not exist, ranked per source address."""
    attempts, names = Counter(), defaultdict(set)
    for e in _window(events, end - options.window, end):
        if e["invalid_user"] and e["outcome"] == "failure" and e["src_ip"]:
            attempts[e["src_ip"]] += e["count"]
            names[e["src_ip"]].add(e["user"])
    ranked = sorted(attempts.items(), key=lambda item: (-item[1], item[0]))
    return [{"src_ip": ip, "attempts": n, "names": len(names[ip])} for ip, n in ranked]
