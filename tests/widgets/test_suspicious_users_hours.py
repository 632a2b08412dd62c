"""suspicious_users through the hourly summaries of its baselines gives the payload of reading
every attempt, on a real Redis and data with the edges that could differ: windows cut hours,
a DST change in the baselines, a +05:45 time zone, late attempts, a rewritten day, attempts at
the very edges, an old or foreign summary and a day whose times are not UTC ISO."""

import json
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from socwall.dashboard.jobs import PanelReader
from socwall.widgets import suspicious_users as su
from socwall.widgets.context import PanelContext

NOW = datetime(2026, 11, 3, 10, 17, 23, 500000, tzinfo=UTC)  # the baselines hold Oct 25's DST
OPTIONS = su.SuspiciousUsersOptions(window="24h", baseline="14d", exclude=["svc-*"], limit=20)
DAY = timedelta(days=1)


def attempt(ts: datetime, user, outcome="success", ip="10.0.0.5", host="srv-1", count=1,
            invalid=False, method="publickey", privileged=False) -> dict:  # fmt: skip
    return {"ts": ts.isoformat(), "host": host, "user": user, "src_ip": ip, "outcome": outcome,
            "method": method, "invalid_user": invalid, "privileged": privileged, "count": count,
            "reason": "wrong password" if outcome == "failure" else None}  # fmt: skip


def history(seed: int = 3) -> list[dict]:
    """17 days of 30 users with habits (hours, addresses, hosts), failures, sudo, guessers, and
    attempts exactly at the edges of both windows and both baselines."""
    rng = random.Random(seed)
    start = NOW - 2 * OPTIONS.window - OPTIONS.baseline - timedelta(hours=3)
    events = []
    for n in range(30):
        user = f"user{n:02d}" if n != 29 else "svc-backup"
        hours = [9, 10] if n == 5 else rng.sample(range(6, 20), 2)
        for day in range(18):
            base = (start + day * DAY).replace(minute=0, second=0, microsecond=0)
            for _ in range(rng.randrange(4)):
                at = base.replace(hour=rng.choice(hours)) + timedelta(seconds=rng.randrange(3600))
                odd = rng.random() < 0.05  # now and then at night, from elsewhere, elsewhere
                at = at.replace(hour=3) if odd else at
                events.append(attempt(at, user, ip=f"10.0.{n}.{rng.randrange(3) + 9 * odd}",
                                      host=f"srv-{rng.randrange(3) + 5 * odd}"))  # fmt: skip
            if rng.random() < 0.3:
                at = base + timedelta(hours=rng.randrange(24), microseconds=rng.randrange(10**6))
                events.append(attempt(at, user, "failure", ip=f"203.0.113.{rng.randrange(40)}",
                                      count=rng.choice([1, 2, 40]), method="password"))  # fmt: skip
            if rng.random() < 0.05:
                at = base + timedelta(hours=rng.randrange(24))
                events.append(attempt(at, user, method="sudo", privileged=True))
    night = NOW - timedelta(hours=11)  # user05 at night from a new address; user07 everywhere
    events.append(attempt(night, "user05", ip="10.200.0.1"))
    events += [attempt(night + timedelta(minutes=m), "user07", ip="10.0.7.1", host=f"db-{m}")
               for m in range(10)]  # fmt: skip
    for day in range(18):  # user40 always at 10:20 UTC: 16:05 in Kathmandu, the quarter counts
        events.append(attempt(start.replace(hour=10, minute=20) + day * DAY, "user40"))
    events.append(attempt(night.replace(hour=11, minute=30), "user40"))  # 17:15 there: usual
    for k in range(400):  # guessers at names that do not exist, and at root
        at = start + timedelta(seconds=rng.randrange(int((NOW - start).total_seconds())))
        name = f"guess{rng.randrange(50)}" if k % 3 else "root"
        events.append(attempt(at, name, "failure", ip=f"198.51.100.{k % 20}", invalid=k % 3 > 0,
                              method="password"))  # fmt: skip
    window, baseline = OPTIONS.window, OPTIONS.baseline
    edges = [NOW - window, NOW - 2 * window, NOW - window - baseline, NOW - 2 * window - baseline]
    for edge in edges:
        for nudge in (timedelta(0), timedelta(microseconds=-1), timedelta(hours=1)):
            at = edge + nudge
            events.append(attempt(at, "user01", ip="10.9.9.9", host="srv-9"))
            events.append(attempt(at.replace(minute=0, second=0, microsecond=0), "user02",
                                  "failure", ip="10.9.9.8", method="password"))  # fmt: skip
    return [e for e in events if e["ts"] < NOW.isoformat()]


def store_attempts(store, events: list[dict]) -> None:
    """Each attempt into its UTC day's list, as the auth source writes them."""
    per_day: dict = {}
    for event in events:
        day = datetime.fromisoformat(event["ts"]).astimezone(UTC).date()
        per_day.setdefault(day, []).append(json.dumps(event, separators=(",", ":")))
    for day, items in per_day.items():
        store.redis.rpush(store.keys.auth_events("auth", day), *items)


def readers(store) -> tuple[PanelReader, PanelReader]:
    """(through the summaries, every attempt read as before)."""
    config = SimpleNamespace(sources={"auth": SimpleNamespace(bucket=timedelta(minutes=5))})
    raw = PanelReader(config, store)
    raw.auth_hour_summaries = None
    return PanelReader(config, store), raw


def payload(reader, tz: str = "Europe/Berlin", now: datetime = NOW, options=OPTIONS):
    context = PanelContext(now, ZoneInfo(tz), "auth")
    inputs = su.load(reader, SimpleNamespace(options=options), context)
    return su.compute(inputs, options, context), inputs


@pytest.mark.parametrize("tz", ["Europe/Berlin", "Asia/Kathmandu", "America/St_Johns"])
def test_the_summaries_give_the_payload_of_every_attempt(store, tz):
    store_attempts(store, history())
    hours, raw = readers(store)
    expected, everything = payload(raw, tz)
    for _ in range(2):  # the first refresh makes the summaries, the second reads them
        got, summarized = payload(hours, tz)
        assert got == expected
    assert len(summarized.hours) > 300 and len(summarized.events) < len(everything.events) / 4
    factors = {f for row in expected["rows"] for f in row["factors"]}
    assert {"failures", "new_source", "odd_hour", "many_hosts", "privileged"} <= factors
    assert not expected["first_window"] and expected["rows"]


@pytest.mark.parametrize("tz", ["Asia/Kathmandu", "America/St_Johns"])
def test_each_users_past_from_summaries_says_what_its_attempts_say(store, tz):
    """The baseline's questions asked of the attempts themselves, as score_users asked them
    before, against the Past merged from the hourly summaries."""
    events = history()
    store_attempts(store, events)
    _, summarized = payload(readers(store)[0])
    zone = ZoneInfo(tz)
    for end in (NOW - OPTIONS.window, NOW - 2 * OPTIONS.window):
        start = end - OPTIONS.baseline
        pasts = su.pasts_between(summarized.events, summarized.hours, start, end)
        base = [e for e in events if start.isoformat() <= e["ts"] < end.isoformat()
                and e["user"] and not e["invalid_user"]]  # fmt: skip
        assert sorted(pasts) == sorted({e["user"] for e in base})
        for user, past in pasts.items():
            mine = [e for e in base if e["user"] == user]
            logins = [e for e in mine if e["outcome"] == "success" and e["method"] != "sudo"]
            hosts_per_day = {}
            for e in mine:
                if e["outcome"] == "success":
                    hosts_per_day.setdefault(e["ts"][:10], set()).add(e["host"])
            assert past.events == len(mine)
            assert past.successes == sum(e["outcome"] == "success" for e in mine)
            assert past.failed == Counter(e["ts"][:10] for e in mine if e["outcome"] == "failure"
                                          for _ in range(e["count"]))  # fmt: skip
            assert past.sources == {e["src_ip"] for e in mine if e["src_ip"]}
            assert past.login_hours(zone) == {
                datetime.fromisoformat(e["ts"]).astimezone(zone).hour for e in logins
            }
            assert past.login_hosts == {e["host"] for e in logins if e["host"]}
            assert dict(past.hosts_per_day) == hosts_per_day
            assert past.privileged == any(e["privileged"] and e["outcome"] != "failure"
                                          for e in mine)  # fmt: skip


def test_an_hour_cut_by_a_baseline_is_read_whole():
    """Every window starts at hh:17:23.5: no summary may be asked across an edge."""
    edges = [NOW - OPTIONS.window - OPTIONS.baseline]
    start = NOW - 2 * OPTIONS.window - OPTIONS.baseline
    hours = su.summarized_hours(start, NOW - 2 * OPTIONS.window, edges)
    assert hours[0] == int(start.timestamp()) // 3600 * 3600 + 3600
    assert hours[-1] + 3600 <= (NOW - 2 * OPTIONS.window).timestamp()
    cut = int(edges[0].timestamp()) // 3600 * 3600
    assert cut not in hours and cut - 3600 in hours and cut + 3600 in hours
    with pytest.raises(ValueError, match="cut"):
        su.pasts_between([], {cut: su.HourSummary(1, {})}, edges[0], NOW)


def test_late_attempts_and_a_rewritten_day_make_the_summaries_again(store):
    events = history()
    store_attempts(store, events)
    hours, raw = readers(store)
    payload(hours)  # summaries made
    old = NOW - OPTIONS.window - 5 * DAY  # in the current window's baseline: an odd-hour login
    late = [attempt(old.replace(hour=2), f"user{n:02d}", ip="10.77.0.1", host="srv-77")
            for n in range(30)]  # fmt: skip
    store_attempts(store, late)
    assert payload(hours)[0] == payload(raw)[0]
    day = old.date()  # rewritten with as many attempts, other ones: the summaries must go
    key = store.keys.auth_events("auth", day)
    kept = [json.loads(i) for i in store.redis.lrange(key, 0, -1)]
    changed = [*kept[:-1], {**kept[-1], "user": "user05", "src_ip": "10.200.0.1"}]
    start, end = (
        datetime.combine(day, datetime.min.time(), UTC),
        datetime.combine(day + DAY, datetime.min.time(), UTC),
    )
    store.replace_auth_events("auth", changed, start, end, NOW, timedelta(days=400))
    assert store.redis.llen(key) == len(kept)
    assert payload(hours)[0] == payload(raw)[0]


def test_an_old_or_foreign_summary_is_made_again(store):
    store_attempts(store, history())
    hours, raw = readers(store)
    day = (NOW - 10 * DAY).date()
    held = store.redis.llen(store.keys.auth_events("auth", day))
    wrong = json.dumps({"all": 1, "users": {}})
    hour = int(datetime.combine(day, datetime.min.time(), UTC).timestamp()) + 7 * 3600
    store.redis.hset(store.keys.auth_hours("auth", day),
                     mapping={str(hour): wrong, "_made": f"past-0:{held}"})  # fmt: skip
    assert payload(hours)[0] == payload(raw)[0]
    made = store.redis.hget(store.keys.auth_hours("auth", day), "_made")
    assert made == f"{su.FORMAT}:{held}"


def test_a_day_whose_times_are_not_utc_iso_is_read_whole(store):
    events = history()
    day = (NOW - 9 * DAY).date()
    berlin = ZoneInfo("Europe/Berlin")
    shifted = [{**e, "ts": datetime.fromisoformat(e["ts"]).astimezone(berlin).isoformat()}
               if datetime.fromisoformat(e["ts"]).date() == day else e for e in events]  # fmt: skip
    store_attempts(store, shifted)
    hours, raw = readers(store)
    got, inputs = payload(hours)
    assert got == payload(raw)[0]
    start = datetime.combine(day, datetime.min.time(), UTC).timestamp()
    assert not any(start <= hour < start + 86400 for hour in inputs.hours)


def test_a_store_without_attempts_and_a_short_window(store):
    hours, raw = readers(store)
    assert payload(hours)[0] == payload(raw)[0]
    store_attempts(store, history())
    short = su.SuspiciousUsersOptions(window="90m", baseline="2d")
    for now in (NOW, NOW.replace(minute=0, second=0, microsecond=0)):
        assert payload(hours, now=now, options=short)[0] == payload(raw, now=now, options=short)[0]


def test_attempts_read_by_their_time_in_the_text_or_decoded(store):
    """Store.auth_events skips decoding what its `ts` (written first) shows is outside the
    span; an attempt written with its keys in another order is decoded and kept."""
    inside, outside = NOW - timedelta(minutes=5), NOW - timedelta(hours=5)
    reordered = {"user": "bob", **attempt(inside, "bob")}
    store_attempts(store, [attempt(inside, "alice"), attempt(outside, "carol"), reordered])
    read = store.auth_events("auth", NOW - timedelta(hours=1), NOW)
    assert sorted(e["user"] for e in read) == ["alice", "bob"]


def test_a_span_inside_a_day_reads_what_the_whole_day_filtered_gives(store):
    """Store.auth_events (its text prefilter included) gives the same attempts, in the same
    order, as the day's whole list filtered, whatever their times look like."""
    berlin = ZoneInfo("Europe/Berlin")
    events = [attempt(NOW - timedelta(minutes=m), f"u{m}") for m in range(0, 600, 7)]
    local = (NOW - timedelta(minutes=90)).astimezone(berlin).isoformat()  # 09:47+01:00 as text
    events.append({**attempt(NOW, "local"), "ts": local})
    events.append({"user": "first", **attempt(NOW - timedelta(hours=4), "first")})
    key = store.keys.auth_events("auth", NOW.date())
    store.redis.rpush(key, *(json.dumps(e) for e in events))
    spans = [
        (NOW - timedelta(hours=1), NOW),
        (NOW.replace(hour=0, minute=0), NOW),
        (NOW - timedelta(hours=2, minutes=5), NOW - timedelta(minutes=61)),
    ]
    for start, end in spans:
        lo, hi = start.isoformat(), end.isoformat()
        whole = [json.loads(i) for i in store.redis.lrange(key, 0, -1)]
        assert store.auth_events("auth", start, end) == [e for e in whole if lo <= e["ts"] < hi]
    last_hour = {e["user"] for e in store.auth_events("auth", NOW - timedelta(hours=1), NOW)}
    assert "local" in last_hour and "first" not in last_hour and "u7" in last_hour
