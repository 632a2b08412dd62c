"""A PAM failure and the process's own failure line are one attempt, even across two reads.

sshd writes `pam_unix(sshd:auth): authentication failure` and then `Failed password` for the
same attempt (sudo: PAM lines, then "3 incorrect password attempts"). The attempt counts once:
the own line counts it, and the PAM line is a notice when an own failure line of the same host
and process lies within PAIR_WINDOW of it. Without one (PAM-only logging, as in older systems)
the PAM line is the attempt.

When a read ends between the two lines, the PAM line waits in the file's committed state
(`carry`) until its pair arrives, or until the file's data has moved PAIR_WINDOW past it, or
until the file is quiet (`final`); then it counts once. Own lines are remembered for
PAIR_WINDOW too, so the order of the two lines does not matter either.
"""

from dataclasses import replace
from datetime import datetime, timedelta

from socwall.feeds.auth_event import AuthEvent

PAIR_WINDOW = timedelta(minutes=5)  # sshd's LoginGraceTime is 2 min, sudo's prompt 5 min
PAIRED_SERVICES = {"sshd", "sudo"}  # their own lines count the attempt
MAX_WAITING = 10_000  # a flood of unpaired PAM lines: the oldest count rather than wait


def _key(event: AuthEvent) -> tuple[str, str]:
    return event.host, str(event.extra.get("pid") or "")


def _waits_for_pair(event: AuthEvent) -> bool:
    return bool(event.extra.get("pam")) and event.method in PAIRED_SERVICES and event.outcome


def settle(events: list[AuthEvent], carry: dict | None, newest: datetime | None,
           final: bool) -> tuple[list[AuthEvent], dict | None]:  # fmt: skip
    """The events of one read with PAM lines settled, and what waits for the next read.

    `events` are this read's, in file order; `carry` what the last read left; `newest` the
    latest time any line of this read carried (data time moves on with unrelated lines too);
    `final` when the file is quiet or rotated away: nothing waits any more."""
    carry = carry or {}
    waiting = [_event(item) for item in carry.get("pending", [])]
    own = {(h, p): [datetime.fromisoformat(t) for t in times]
           for h, p, times in carry.get("own", [])}  # fmt: skip
    for event in events:
        if event.outcome == "failure" and not event.extra.get("pam"):
            own.setdefault(_key(event), []).append(event.ts)
    times = [e.ts for e in events] + ([newest] if newest else [])
    horizon = max(times, default=None) or max((e.ts for e in waiting), default=None)
    settled, still = [], []
    for event in waiting + events:
        if not _waits_for_pair(event):
            settled.append(event)
        elif any(abs(t - event.ts) <= PAIR_WINDOW for t in own.get(_key(event), ())):
            settled.append(replace(event, outcome=None))  # the own line counts this attempt
        elif final or horizon is None or horizon - event.ts > PAIR_WINDOW:
            settled.append(event)  # no own line came: the PAM line is the attempt
        else:
            still.append(event)
    if len(still) > MAX_WAITING:
        settled, still = settled + still[:-MAX_WAITING], still[-MAX_WAITING:]
    return settled, _carry(still, own, horizon, final)


def _carry(still: list[AuthEvent], own: dict, horizon: datetime | None, final: bool) -> dict | None:
    """What the next read needs: waiting PAM lines, and own lines recent enough to pair."""
    if final or horizon is None:
        return None
    recent = [[h, p, [t.isoformat() for t in ts if horizon - t <= PAIR_WINDOW]]
              for (h, p), ts in own.items()]  # fmt: skip
    recent = [item for item in recent if item[2]]
    if not still and not recent:
        return None
    return {"pending": [_compact(e) for e in still], "own": recent}


def _compact(event: AuthEvent) -> dict:
    return {"ts": event.ts.isoformat(), "host": event.host, "program": event.program,
            "user": event.user, "src_ip": event.src_ip, "outcome": event.outcome,
            "method": event.method, "reason": event.reason,
            "pid": event.extra.get("pid")}  # fmt: skip


def _event(item: dict) -> AuthEvent:
    values = {k: v for k, v in item.items() if k not in ("ts", "pid")}
    return AuthEvent(ts=datetime.fromisoformat(item["ts"]), **values,
                     extra={"pam": True, "pid": item.get("pid")})  # fmt: skip
