"""auth_pairing.settle at its edges, called directly: the pair window at exactly five minutes
(either order), the same host and process only, what waits and for how long, the bound on
waiting lines and what the next read is handed (carry)."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from socwall.feeds import auth_pairing
from socwall.feeds.auth_event import AuthEvent
from socwall.feeds.auth_pairing import PAIR_WINDOW, settle

T = datetime(2026, 1, 2, 10, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
FIVE_MINUTES = timedelta(minutes=5)  # the window in words (the module's PAIR_WINDOW)


def pam(ts, pid=7, host="h", method="sshd", outcome="failure") -> AuthEvent:
    return AuthEvent(ts, host, "sshd", user="root", src_ip="198.51.100.4", outcome=outcome,
                     method=method, reason="pam", extra={"pam": True, "pid": pid})  # fmt: skip


def own(ts, pid=7, host="h", outcome="failure") -> AuthEvent:
    return AuthEvent(ts, host, "sshd", user="root", src_ip="198.51.100.4", outcome=outcome,
                     method="password", extra={"pid": pid})  # fmt: skip


def attempts(events) -> int:
    return sum(e.outcome == "failure" for e in events)


@pytest.mark.parametrize("gap, paired", [(FIVE_MINUTES, True), (FIVE_MINUTES + SECOND, False)])
@pytest.mark.parametrize("own_first", [False, True])
def test_the_pair_window_is_five_minutes_either_way(gap, paired, own_first):
    offset = -gap if own_first else gap
    settled, carry = settle([pam(T), own(T + offset)], None, None, final=True)
    assert attempts(settled) == (1 if paired else 2) and carry is None
    assert [e.outcome for e in settled if e.extra.get("pam")] == [None if paired else "failure"]


@pytest.mark.parametrize("other", [own(T + SECOND, pid=8), own(T + SECOND, host="g"),
                                   own(T + SECOND, outcome="success")])  # fmt: skip
def test_only_a_failure_of_the_same_host_and_process_pairs(other):
    settled, _ = settle([pam(T), other], None, None, final=True)
    assert [e.outcome for e in settled] == ["failure", other.outcome]


def test_what_does_not_wait_is_settled_as_it_is():
    """A PAM line of a service whose own lines do not count (su), a PAM notice, an own line."""
    events = [pam(T, method="su"), pam(T, outcome=None), own(T, pid=9)]
    settled, carry = settle(events, None, None, final=False)
    assert settled == events
    assert carry == {"pending": [], "own": [["h", "9", [T.isoformat()]]]}


@pytest.mark.parametrize("later, waits", [(PAIR_WINDOW, True), (PAIR_WINDOW + SECOND, False)])
def test_a_pam_line_waits_until_the_data_moves_five_minutes_past_it(later, waits):
    settled, carry = settle([pam(T)], None, T + later, final=False)  # `newest`: another line's
    assert attempts(settled) == (0 if waits else 1)
    assert (carry is not None and len(carry["pending"]) == 1) == waits


def test_a_waiting_line_is_handed_on_whole_and_settles_in_the_next_read():
    _, carry = settle([pam(T, pid=42)], None, None, final=False)
    assert carry is not None and len(carry["pending"]) == 1
    settled, carry = settle([], carry, None, final=False)  # nothing new: it waits on
    assert settled == [] and len(carry["pending"]) == 1
    settled, carry = settle([own(T + 2 * SECOND, pid=42)], carry, None, final=False)
    (back, mine) = settled
    assert (back.ts, back.host, back.user, back.src_ip, back.method, back.reason) == (
        T, "h", "root", "198.51.100.4", "sshd", "pam")
    assert back.extra == {"pam": True, "pid": 42} and back.outcome is None  # paired
    assert mine.outcome == "failure"


def test_nothing_read_and_nothing_waiting_hands_nothing_on():
    assert settle([], None, None, final=False) == ([], None)
    assert settle([pam(T)], None, None, final=True)[1] is None


def test_own_lines_are_handed_on_for_five_minutes_of_data():
    events = [own(T, pid=1), own(T + SECOND, pid=2), own(T + PAIR_WINDOW + SECOND, pid=3)]
    _, carry = settle(events, None, None, final=False)  # the newest line is the horizon
    kept = {pid: times for _, pid, times in carry["own"]}
    assert kept == {"2": [(T + SECOND).isoformat()], "3": [(T + PAIR_WINDOW + SECOND).isoformat()]}


def test_waiting_lines_are_bounded_the_oldest_counting_first(monkeypatch):
    monkeypatch.setattr(auth_pairing, "MAX_WAITING", 3)
    lines = [pam(T + n * SECOND, pid=n) for n in range(4)]
    settled, carry = settle(lines[:3], None, None, final=False)  # exactly the bound: all wait
    assert settled == [] and len(carry["pending"]) == 3
    settled, carry = settle(lines, None, None, final=False)  # one more: the oldest counts
    assert [e.extra["pid"] for e in settled] == [0] and len(carry["pending"]) == 3


def test_ten_thousand_lines_wait_and_one_more_makes_the_oldest_count():
    """The bound itself (10,000), not one set by the test: within 100 s, all in the window."""
    lines = [pam(T + n * timedelta(milliseconds=10), pid=n) for n in range(10_001)]
    settled, carry = settle(lines[:10_000], None, None, final=False)
    assert settled == [] and len(carry["pending"]) == 10_000
    settled, carry = settle(lines, None, None, final=False)
    assert [e.extra["pid"] for e in settled] == [0] and len(carry["pending"]) == 10_000


def test_an_own_failure_whose_outcome_was_decoded_from_text_pairs_too():
    """Equal words, not the same object: an outcome read from JSON is not CPython's interned
    literal (`is "failure"` would miss it)."""
    decoded = own(T + SECOND, outcome=json.loads('"failure"'))
    settled, _ = settle([pam(T), decoded], None, None, final=True)
    assert [e.outcome for e in settled] == [None, "failure"]
