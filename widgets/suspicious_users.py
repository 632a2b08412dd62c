"""suspicious_users: accounts that behave unlike themselves now, each with the reasons why."""

import fnmatch
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median

from pydantic import Field

from socwall.feeds import inventory
from socwall.types import ConfigPath, Duration, Strict
from socwall.widgets import auth_sprays
from socwall.widgets.auth_sprays import spray_factors, spray_facts
from socwall.widgets.context import PanelContext, View
from socwall.widgets.suspect_baseline import (
    FORMAT,
    HourSummary,
    Past,
    pasts_between,
    pasts_of,
    raw_spans,
    summarize_hours,
    summarized_hours,
)
from socwall.widgets.suspect_facts import (
    account_counts,
    invalid_user_summary,
    spray_details,
    suspect_facts,
    user_details,
)
from socwall.widgets.suspect_view import suspect_drawer, suspects_view

needs_source = True
source_types = ("auth",)
PREVIOUS_TOP = 20
GENERIC_REASONS = {"failed", "pam authentication failure", "ntlm failed", "kerberos login failed"}


class Weights(Strict):
    """Points of each factor; the score is their sum."""

    failures: float = Field(2.0, ge=0, description="per doubling of failures above the usual")
    brute_force: float = Field(6.0, ge=0, description="a success after failures from one source")
    new_source: float = Field(1.5, ge=0, description="per source address new for this user")
    odd_hour: float = Field(2.0, ge=0, description="a login at an hour this user never logs in")
    many_hosts: float = Field(1.0, ge=0, description="per host above the user's usual")
    privileged: float = Field(2.0, ge=0, description="privileged use this user never made")
    above_others: float = Field(1.0, ge=0, description="failures far above all other users now")
    hbi_login: float = Field(2.0, ge=0, description="per HBI host this user never logged in to")
    explicit: float = Field(1.5, ge=0, description="someone else's credentials used (Windows 4648)")
    spray_success: float = Field(
        6.0, ge=0, description="a sprayed account got in, or got a ticket, for the spraying address"
    )
    account_change: float = Field(
        3.0, ge=0, description="per computer account created or account renamed (4741, 4781)"
    )


class SuspiciousUsersOptions(Strict):
    window: Duration = Field("24h", description="behaviour now...")
    baseline: Duration = Field("14d", description="...against the user's own before it")
    limit: int = Field(10, ge=1, le=20)
    exclude: list[str] = Field(default_factory=list, description="users or patterns (svc-*)")
    min_failures: int = Field(5, ge=1, description="fewer failures never score")
    alert_score: float = Field(5.0, ge=0, description="a NEW user is highlighted from this score")
    alert_failures: int = Field(
        50, ge=1, description="failures on one account that highlight it, new or not, got in or not"
    )
    spray_accounts: int = Field(
        5, ge=2, description="one source trying this many accounts, few times each, is a spray"
    )
    weights: Weights = Field(default_factory=Weights)
    inventory: ConfigPath | None = Field(None, description="CSV ip,name,criticality: HBI hosts")
    changes: str | None = Field(None, description="a changes source: logins during a change")


Options = SuspiciousUsersOptions


@dataclass(frozen=True)
class AuthInputs:
    events: list[dict]  # compact attempts: ts, host, user, src_ip, outcome, method, ...
    hbi: frozenset = frozenset()  # lower-case names of high-business-impact hosts
    changes: tuple = ()  # change spans (start, end, hosts, title) for maintenance words
    covered_since: datetime | None = None  # the source's first read: history before is unknown
    hours: dict = field(default_factory=dict)  # UTC hour start -> HourSummary of the hours whose
    # attempts are not in `events` (whole hours of the baselines, suspect_baseline.py)


def check(options: SuspiciousUsersOptions, source) -> list[tuple[str, str]]:
    return []


def load(reader, panel, context: PanelContext) -> AuthInputs:
    options: SuspiciousUsersOptions = panel.options
    start = context.now - 2 * options.window - options.baseline  # the previous window too
    assets = inventory.read_inventory(options.inventory)
    hbi = frozenset(a.name.lower() for a in assets.values() if a.hbi)
    changes = tuple(reader.document(options.changes, "changes") or []) if options.changes else ()
    covered = reader.source_covered_since(context.source_id)
    hours = {}  # whole hours before the previous window (only baselines ask them) as summaries;
    # the two windows, and an hour a baseline's edge cuts, attempt by attempt
    if summaries := getattr(reader, "auth_hour_summaries", None):
        edges = [context.now - options.window - options.baseline]  # the current's baseline
        wanted = summarized_hours(start, context.now - 2 * options.window, edges)
        texts = summaries(context.source_id, wanted, summarize_hours, FORMAT)
        hours = {hour: HourSummary.from_text(text) for hour, text in texts.items()}
    events = [e for lo, hi in raw_spans(start, context.now, hours)
              for e in reader.auth_events(context.source_id, lo, hi)]  # fmt: skip
    return AuthInputs(events, hbi, changes, covered, hours)


def check_sources(options: SuspiciousUsersOptions, sources: dict) -> list[tuple[str, str]]:
    """`changes` must name a changes source."""
    if options.changes and getattr(sources.get(options.changes), "type", None) != "changes":
        return [("changes", f"'{options.changes}' is not a changes source")]
    return []


def compute(inputs: AuthInputs, options: SuspiciousUsersOptions, context: PanelContext) -> dict:
    """Top users by score with reasons, rank change and NEW; invalid-user attempts per source."""
    sprays = password_sprays(inputs.events, context.now, options)
    more = {"hbi": inputs.hbi, "changes": inputs.changes, "covered_since": inputs.covered_since}
    earlier = context.now - options.window
    current = score_users(inputs.events, context.now, options, context.tz, **more,
                          flagged=spray_factors(sprays),
                          pasts=_pasts(inputs, earlier, options))  # fmt: skip
    previous = score_users(inputs.events, earlier, options, context.tz, **more,
                           pasts=_pasts(inputs, earlier - options.window, options))  # fmt: skip
    before = {row["user"]: rank for rank, row in enumerate(previous, 1)}
    first_window = not any(e["ts"] < earlier.isoformat() for e in inputs.events) and not any(
        summary.held for summary in inputs.hours.values())
    rows = []
    for rank, row in enumerate(current[: options.limit], 1):
        was = before.get(row["user"])
        new = bool(previous) and (was is None or was > PREVIOUS_TOP)  # a list to be new on
        change = None if new or was is None else was - rank
        alert = ("brute_force" in row["factors"] or "spray_success" in row["factors"]
                 or row["failed"] >= options.alert_failures
                 or (new and row["score"] >= options.alert_score))  # fmt: skip
        rows.append({**row, "rank": rank, "new": new, "change": change, "alert": alert,
                     "first_window": first_window})  # fmt: skip
    start, events = context.now - options.window, inputs.events
    return {
        # the contract's facts (issue 21): the alarm rules use them; a sprayed account that
        # got in is its own alarm fact
        "facts": _facts(rows, sprays, start, context.now),
        **account_counts(events, start, context.now, options.exclude),
        "details": user_details(events, start, context.now, [r["user"] for r in rows]),
        "spray_accounts": spray_details(events, start, context.now, [s["src_ip"] for s in sprays]),
        "rows": rows,
        **invalid_user_summary(inputs.events, context.now, options),
        "sprays": sprays,
        "first_window": first_window,
        "highlight": any(r["alert"] for r in rows) or any(s["alert"] for s in sprays),
    }


def _pasts(inputs: AuthInputs, start: datetime, options) -> dict[str, Past]:
    """Each user's baseline before a window starting at `start`."""
    return pasts_between(inputs.events, inputs.hours, start - options.baseline, start)


def _facts(rows: list[dict], sprays: list[dict], start: datetime, end: datetime) -> list[dict]:
    """The panel's facts: a sprayed account that got in is its own fact (success after spray),
    not also a suspect account's."""
    got_in = spray_facts(sprays)
    said = {fact["row"] for fact in got_in}
    others = [f for f in suspect_facts(rows, sprays, start, end) if f["row"] not in said]
    return others + got_in


def password_sprays(events: list[dict], end: datetime, options) -> list[dict]:
    """Sprays in the window ending at `end`, and the sprayed accounts that got in after one."""
    return auth_sprays.password_sprays(_window(events, end - options.window, end), options)


def _window(events, start: datetime, end: datetime) -> list[dict]:
    lo, hi = start.isoformat(), end.isoformat()
    return [e for e in events if lo <= e["ts"] < hi]


def _excluded(user: str | None, patterns: list[str]) -> bool:
    return not user or any(fnmatch.fnmatchcase(user, p) for p in patterns)


def score_users(
    events: list[dict], end: datetime, options: SuspiciousUsersOptions, tz,
    hbi: frozenset = frozenset(), changes: tuple = (), covered_since: datetime | None = None,
    flagged: dict[str, str] | None = None, pasts: dict[str, Past] | None = None,
) -> list[dict]:
    """Every user with a score above 0 in the window ending at `end`, highest first.
    `flagged`: lower-case user -> the words of a success after a spray; `pasts`: each user's
    baseline (the window's `baseline` before it), summed from the attempts when not given."""
    start = end - options.window
    observed = _observed_days(covered_since, start, options.baseline)
    usable = [
        e for e in events if not e["invalid_user"] and not _excluded(e["user"], options.exclude)
    ]
    now_by_user = defaultdict(list)
    for e in _window(usable, start, end):
        now_by_user[e["user"]].append(e)
    if pasts is None:  # the baseline from the attempts themselves
        pasts = pasts_of(_window(events, start - options.baseline, start))
    days = max(1, round(options.baseline.total_seconds() / 86400))
    failures = {
        u: sum(e["count"] for e in es if e["outcome"] == "failure") for u, es in now_by_user.items()
    }
    rows = []
    for user, now_events in now_by_user.items():
        past = pasts.get(user) or Past()
        factors = user_factors(now_events, past, days, options, tz, observed)
        if words := (flagged or {}).get((user or "").lower().split("@", 1)[0]):
            factors["spray_success"] = (options.weights.spray_success, words)
        if against := _above_others(user, failures, options):
            factors["above_others"] = against
        if first := _first_hbi_logins(now_events, past, hbi):
            factors["hbi_login"] = (options.weights.hbi_login * len(first),
                                    "first login to " + ", ".join(f"{h} (HBI)" for h in first))
        score = sum(points for points, _ in factors.values())
        if score > 0 or failures[user] >= options.alert_failures:
            reasons = [text for points, text in sorted(factors.values(), key=lambda f: -f[0])][:3]
            reasons += _during_changes(now_events, changes)[:1]  # context, not points
            rows.append({"user": user, "score": round(score, 1), "reasons": reasons,
                         "factors": sorted(factors), "failed": failures[user]})  # fmt: skip
    return sorted(rows, key=lambda r: (-r["score"], r["user"]))


def _observed_days(covered_since: datetime | None, start: datetime, baseline) -> int:
    """Whole days of the baseline before `start` that the source did read (0: none)."""
    if covered_since is None:
        return 0
    return max(0, int((start - max(covered_since, start - baseline)).total_seconds() // 86400))


def _history(past: Past, observed: int, usual: str) -> str:
    """What may be said about a user's past: its usual (only from its own events), that it was
    quiet on days the source read, or that there is no history to compare with."""
    if past.events:
        return f"usual {usual}"
    return f"nothing in the {observed} days before" if observed else "no history before"


def user_factors(now: list[dict], past: Past, days: int, options, tz, observed: int = 0) -> dict:
    """Named factors of one user: name -> (points, words). Claims about the user's usual
    behaviour are made only from its own events in the baseline, or from days the source read."""
    w, factors = options.weights, {}
    failures = sum(e["count"] for e in now if e["outcome"] == "failure")
    per_day = past.failed
    usual = median([per_day.get(d, 0) for d in sorted(per_day)] + [0] * (days - len(per_day)))
    if failures >= max(options.min_failures, 3 * (usual + 1)):
        history = _history(past, observed, f"{usual:g}")
        factors["failures"] = (
            w.failures * math.log2(failures / (usual + 1)),
            f"{failures} failed ({history}), from {_sources(now)}{_status_words(now)}",
        )
    successes = sorted((e for e in now if e["outcome"] == "success"), key=lambda e: e["ts"])
    logins = [e for e in successes if e["method"] != "sudo"]  # sudo is privileged use, not a login
    if hit := _brute_force(now, logins, options.min_failures):
        factors["brute_force"] = (w.brute_force, f"success after {hit[1]} failures from {hit[0]}")
    new_ips = {e["src_ip"] for e in logins if e["src_ip"]} - past.sources
    if past.events and new_ips:
        plural = "s" if len(new_ips) > 1 else ""
        factors["new_source"] = (
            w.new_source * len(new_ips),
            f"{len(new_ips)} new source IP{plural}",
        )
    if odd := _odd_hour(logins, past, tz):
        factors["odd_hour"] = (w.odd_hour, f"login at {odd}")
    hosts, usual_hosts = _hosts(logins, past)
    if hosts >= max(3, 2 * usual_hosts + 1):
        factors["many_hosts"] = (
            w.many_hosts * (hosts - usual_hosts),
            f"logins on {hosts} hosts ({_history(past, observed, str(usual_hosts))})",
        )
    explicit = [e for e in now if e["method"] == "explicit credentials"]
    if explicit:  # "alice used administrator's credentials on ws-02"
        target = (explicit[0].get("reason") or "").removeprefix("explicit credentials of ")
        where = f" on {explicit[0]['host']}" if explicit[0].get("host") else ""
        factors["explicit"] = (w.explicit, f"used {target or 'other'}'s credentials{where}")
    changed = [e for e in now if e["method"] in ("computer account created", "account renamed")]
    if changed:  # 4741 then 4781: sAMAccountName spoofing's two steps
        factors["account_change"] = (w.account_change * len(changed),
                                     "; ".join(e["reason"] for e in changed[:2]))  # fmt: skip
    privileged = lambda events: any(e["privileged"] and e["outcome"] != "failure" for e in events)  # noqa: E731
    if privileged(now) and not past.privileged and (past.events or observed):
        words = "new for this user" if past.events else f"nothing in the {observed} days before"
        factors["privileged"] = (w.privileged, f"privileged use, {words}")
    return factors


def _first_hbi_logins(now: list[dict], past: Past, hbi: frozenset) -> list[str]:
    """HBI hosts this user logged in to now and never in the baseline (needs a baseline)."""
    if not hbi or not past.events:
        return []
    logged = lambda events: {e["host"] for e in events  # noqa: E731
                             if e["outcome"] == "success" and e["method"] != "sudo" and e["host"]}
    return sorted(h for h in logged(now) - past.login_hosts if h.lower() in hbi)


def _during_changes(now: list[dict], changes: tuple) -> list[str]:
    """'logins on db-02 during CHG-1042 ...': logins on a host while a change on it ran."""
    notes = []
    for change in changes:
        hosts = {h.lower() for h in change["hosts"]}
        during = sorted({e["host"] for e in now if e["outcome"] == "success" and e["host"]
                         and e["host"].lower() in hosts
                         and change["start"] <= e["ts"] < change["end"]})  # fmt: skip
        if during:
            notes.append(f"logins on {', '.join(during)} during change {change['title']}")
    return notes


def _status_words(events: list[dict]) -> str:
    """What the systems said, when they said more than 'failed': ', mostly wrong password'."""
    said = Counter(e.get("reason") for e in events if e["outcome"] == "failure")
    words = [r for r, _ in said.most_common() if r and r not in GENERIC_REASONS]
    return f", mostly {words[0]}" if words else ""


def _sources(events: list[dict]) -> str:
    """The addresses behind failures: '183.62.140.253 (276) and 4 more'."""
    per_ip = Counter()
    for e in events:
        if e["outcome"] == "failure" and e["count"]:
            per_ip[e["src_ip"] or "unknown source"] += e["count"]
    if not per_ip:
        return "no source"
    (top, count), rest = per_ip.most_common(1)[0], len(per_ip) - 1
    return f"{top} ({count}) and {rest} more" if rest else top


def _above_others(user: str, failures: dict[str, int], options) -> tuple[float, str] | None:
    """Failures far above what the other users see in the same window (their 90th percentile)."""
    others = sorted(n for u, n in failures.items() if u != user)
    if len(others) < 5:
        return None  # too few users to say what is usual for all
    typical = others[int(0.9 * (len(others) - 1))]
    mine = failures[user]
    if mine < max(options.min_failures, 3 * (typical + 1)):
        return None
    return options.weights.above_others * math.log2(
        mine / (typical + 1)
    ), f"others fail up to {typical}"


def _brute_force(now: list[dict], successes: list[dict], least: int) -> tuple[str, int] | None:
    """The first login preceded by `least`+ failures from the same source address in the window
    (three typos at one's own desk are not a brute force)."""
    for success in successes:
        failed = sum(e["count"] for e in now if e["outcome"] == "failure"
                     and e["src_ip"] == success["src_ip"] and e["ts"] < success["ts"])  # fmt: skip
        if success["src_ip"] and failed >= least:
            return success["src_ip"], failed
    return None


def _odd_hour(successes: list[dict], past: Past, tz) -> str | None:
    """The first login 2+ hours away from every local hour this user logged in at (5+ logins)."""
    local = lambda e: datetime.fromisoformat(e["ts"]).astimezone(tz)  # noqa: E731
    if past.successes < 5:
        return None
    usual = past.login_hours(tz)
    far = lambda hour: all(min(abs(hour - u), 24 - abs(hour - u)) >= 2 for u in usual)  # noqa: E731
    odd = next((local(e) for e in successes if far(local(e).hour)), None)
    return odd.strftime("%H:%M") if odd else None


def _hosts(successes: list[dict], past: Past) -> tuple[int, int]:
    usual = max((len(hosts) for hosts in past.hosts_per_day.values()), default=0)
    return len({e["host"] for e in successes}), usual


def render(payload: dict, options: SuspiciousUsersOptions, view: View):
    """A row per user: score bar and the reasons in words, whole; attempts on unknown names and
    password sprays below; the denominator last."""
    return suspects_view(payload, options, view)


def drawer(payload: dict, row: str, options: SuspiciousUsersOptions, view: View):
    """The side drawer of a user (its sources and hosts) or of a spray (the accounts tried)."""
    return suspect_drawer(payload, row, view)
