"""widgets/auth_sprays.py where the mutation run found no test: the account's name folding,
the three sprays kept and their order, which success counts (not before the spray, the delay
from this address's own last try) and the delay in words at each unit's edge."""

import json
from datetime import timedelta

import pytest

from socwall.widgets import auth_sprays
from socwall.widgets import suspicious_users as su
from tests.widgets.test_suspicious_users_spray import NOW, SPRAYER, ev

START = NOW - timedelta(hours=2)


def tries(accounts: int, ip: str = SPRAYER, at=START) -> list[dict]:
    return [ev(f"user{n:02d}", at + timedelta(seconds=n), "failure", ip=ip, method="password")
            for n in range(accounts)]  # fmt: skip


def sprays(events) -> list[dict]:
    return auth_sprays.password_sprays(events, su.SuspiciousUsersOptions())


def test_an_account_is_one_whatever_its_case_or_realm():
    realms = [ev("USER00@CORP.EXAMPLE", START, "failure", method="password"),
              ev("user04@corp.example", START, "failure", method="password")]  # fmt: skip
    events = tries(4) + realms
    (found,) = sprays(events)
    assert found["accounts"] == 5  # user00..user03, and user04 once under its realm


def test_three_sprays_kept_most_accounts_first_then_by_address():
    events = (tries(5, "10.0.0.1") + tries(9, "10.0.0.2") + tries(6, "10.0.0.3")
              + tries(6, "10.0.0.0"))  # fmt: skip
    assert [(s["src_ip"], s["accounts"]) for s in sprays(events)] == [
        ("10.0.0.2", 9), ("10.0.0.0", 6), ("10.0.0.3", 6)]  # 10.0.0.1 is the fourth: left out


def hit(events) -> dict:
    (found,) = sprays(events)
    (success,) = found.get("succeeded") or [None]
    return success


def test_a_ticket_before_the_spray_began_is_no_success():
    before = ev("user03", START - timedelta(milliseconds=1), method="kerberos ticket")
    assert hit(tries(6) + [before]) is None
    at_start = ev("user03", START, method="kerberos ticket")
    assert hit(tries(6) + [at_start])["after_s"] == 0.0  # the first try itself: counts


def test_the_delay_runs_from_this_addresses_own_last_try_before_the_success():
    success = ev("user03", START + timedelta(seconds=2.5), method="kerberos ticket")
    others = [ev("x", START + timedelta(seconds=2.4), "failure", ip="10.0.2.99", method="password")]
    found = hit(tries(6) + others + [success])  # tries at +0 .. +5 s: +2 s is the last before
    assert (found["after_s"], found["host"], found["how"]) == (0.5, "DC01", "a Kerberos ticket")


@pytest.mark.parametrize("seconds,words", [
    (0.025, "25 ms"), (0.9, "900 ms"), (0.9996, "1000 ms"), (1, "1 s"), (1.5, "2 s"),
    (119, "119 s"), (120, "2 min"), (3600, "60 min"),
])  # fmt: skip
def test_the_delay_in_words_at_each_units_edge(seconds, words):
    assert auth_sprays.gap_words(seconds) == words


def test_a_spray_that_worked_comes_first_and_is_an_alarm_below_twice_the_threshold():
    worked = tries(5, "10.0.0.9") + [ev("user01", START + timedelta(seconds=6), ip="10.0.0.9",
                                        method="kerberos ticket")]  # fmt: skip
    found = sprays(tries(9, "10.0.0.1") + worked)
    assert [(s["src_ip"], s["alert"], bool(s.get("succeeded"))) for s in found] == [
        ("10.0.0.9", True, True), ("10.0.0.1", False, False)]


def test_events_read_back_from_the_store_count_the_same():
    """Outcomes decoded from JSON are equal strings, not the same objects as literals."""
    events = [json.loads(json.dumps(e)) for e in tries(5)]
    (found,) = sprays(events)
    assert (found["accounts"], found["attempts"]) == (5, 5)
