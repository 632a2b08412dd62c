"""Password sprays at their thresholds: a spray from exactly `spray_accounts` accounts, an
alarm from exactly twice that, at most 5 tries an account on average (more is brute force);
and how many of the sprayed accounts exist, counted by a plain loop as well."""

from datetime import timedelta

import pytest

from socwall.widgets import auth_sprays
from socwall.widgets import suspicious_users as su
from tests.widgets.test_suspicious_users_spray import CONTEXT, NOW, SPRAYER, ev

START = NOW - timedelta(hours=2)


def tries(accounts: int, per_account: int = 1, invalid: int = 0) -> list[dict]:
    """`accounts` accounts tried `per_account` times each; the first `invalid` do not exist."""
    return [ev(f"user{n:02d}", START + timedelta(seconds=n * per_account + k), "failure",
               method="password", invalid=n < invalid)
            for n in range(accounts) for k in range(per_account)]  # fmt: skip


def sprays(events, **options) -> list[dict]:
    return auth_sprays.password_sprays(events, su.SuspiciousUsersOptions(**options))


@pytest.mark.parametrize("threshold", [2, 5, 7])
def test_a_spray_starts_at_exactly_spray_accounts(threshold):
    assert sprays(tries(threshold - 1), spray_accounts=threshold) == []
    (found,) = sprays(tries(threshold), spray_accounts=threshold)
    assert (found["src_ip"], found["accounts"], found["alert"]) == (SPRAYER, threshold, False)


@pytest.mark.parametrize("threshold", [2, 5])
def test_the_alarm_starts_at_exactly_twice_spray_accounts(threshold):
    (below,) = sprays(tries(2 * threshold - 1), spray_accounts=threshold)
    (at,) = sprays(tries(2 * threshold), spray_accounts=threshold)
    (above,) = sprays(tries(2 * threshold + 1), spray_accounts=threshold)
    assert (below["alert"], at["alert"], above["alert"]) == (False, True, True)


def test_five_tries_an_account_is_a_spray_six_is_brute_force():
    (found,) = sprays(tries(5, per_account=5))
    assert (found["accounts"], found["attempts"]) == (5, 25)
    one_more = [ev("user00", START, "failure", method="password")]  # 26 tries on 5 accounts
    assert sprays(tries(5, per_account=5) + one_more) == []
    other = [ev("user99", START, "failure", method="password")]  # 27 tries on 6 accounts
    assert [s["attempts"] for s in sprays(tries(5, per_account=5) + one_more + other)] == [27]


def test_existing_accounts_match_a_plain_loop():
    events = tries(8, invalid=3) + tries(2, per_account=2)  # user00, user01 again, existing now
    (found,) = sprays(events)
    existing = set()
    for e in events:  # an account exists when any of its failures did not say otherwise
        if e["outcome"] == "failure" and not e["invalid_user"]:
            existing.add(e["user"])
    assert found["existing"] == len(existing) == 7  # user02 is the only one never valid
    assert found["accounts"] == 8


def test_the_panel_counts_the_same_spray_at_its_threshold():
    data = su.compute(su.AuthInputs(tries(5)), su.SuspiciousUsersOptions(), CONTEXT)
    assert [(s["accounts"], s["alert"]) for s in data["sprays"]] == [(5, False)]
    data = su.compute(su.AuthInputs(tries(4)), su.SuspiciousUsersOptions(), CONTEXT)
    assert data["sprays"] == []
