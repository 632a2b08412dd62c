# ruff: noqa: E501 - sshd lines on one line each
"""sshd's words for an account that does not exist, each form flagged or not by hand: the
standalone `Invalid user` notice is the one sshd writes first for every such try."""

import pytest

from tests.feeds.test_auth_readers import one

L = "Jan  2 09:00:00 h sshd[1]: "


@pytest.mark.parametrize("message,user,invalid", [
    ("Invalid user oracle from 203.0.113.7 port 40000", "oracle", True),
    ("invalid user oracle from 203.0.113.7", "oracle", True),  # older sshd, no port
    ("Disconnected from invalid user oracle 203.0.113.7 port 40000 [preauth]", "oracle", True),
    ("Connection closed by authenticating user root 203.0.113.7 port 40000 [preauth]", "root", False),
    ("error: maximum authentication attempts exceeded for invalid user pi from 203.0.113.7 port 40000 ssh2 [preauth]", "pi", True),
    ("error: maximum authentication attempts exceeded for root from 203.0.113.7 port 40000 ssh2 [preauth]", "root", False),
    ("Failed password for invalid user oracle from 203.0.113.7 port 40000 ssh2", "oracle", True),
    ("Failed password for oracle from 203.0.113.7 port 40000 ssh2", "oracle", False),
    ("Failed password for invalid from 203.0.113.7 port 40000 ssh2", "invalid", False),  # a user named so
])  # fmt: skip
def test_which_sshd_lines_say_the_account_does_not_exist(message, user, invalid):
    event = one(L + message)
    assert (event.user, event.invalid_user, event.src_ip) == (user, invalid, "203.0.113.7")


def test_the_standalone_notice_is_not_an_attempt_but_names_a_missing_account():
    event = one(L + "Invalid user admin from 203.0.113.7 port 40000")
    assert (event.outcome, event.reason, event.invalid_user, event.count) == (
        None, "invalid user", True, 1)


def test_only_roots_success_is_privileged():
    root = one(L + "Accepted publickey for root from 203.0.113.7 port 40000 ssh2")
    bob = one(L + "Accepted publickey for bob from 203.0.113.7 port 40000 ssh2")
    failed = one(L + "Failed password for root from 203.0.113.7 port 40000 ssh2")
    assert (root.privileged, bob.privileged, failed.privileged) == (True, False, False)
