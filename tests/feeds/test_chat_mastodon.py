"""Mastodon through a local HTTP server replaying recorded responses in the documented shapes:
statuses as messages, min_id paging through a burst, sign-in required (401) and the RSS."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from socwall.dashboard.demo.chat_servers import MastodonReplay
from socwall.feeds.chat_mastodon import MastodonConfig, Poller, rss_messages, status_message
from socwall.feeds.fetch import FetchError

DATA = Path(__file__).parents[1] / "data" / "chat"
PAGE = json.loads((DATA / "mastodon_tag_cve.json").read_text())
RSS = (DATA / "mastodon_tag_cve.rss").read_bytes()
NOW = datetime(2025, 1, 14, 10, 0, tzinfo=UTC)


def status(n: int, text: str, **extra) -> dict:
    """A status in the recorded page's shape, id n (ids grow with time, as Snowflake ids do)."""
    base = dict(PAGE[0], id=str(113826400123456789 + n), content=f"<p>{text}</p>",
                uri=f"https://infosec.example/users/alice/statuses/{n}",
                url=f"https://infosec.example/@alice/{n}",
                created_at=f"2025-01-14T09:{n // 60 % 60:02d}:{n % 60:02d}.000Z")  # fmt: skip
    return {**base, **extra}


@pytest.fixture
def mastodon():
    servers = []

    def start(statuses, **kw):
        servers.append(MastodonReplay(statuses, **kw))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def test_recorded_statuses_become_messages_with_plain_text_and_full_handles():
    config = MastodonConfig(name="infosec", instance="https://mastodon.example", tags=["cve"])
    first, second = (status_message(s, config, "#cve", 1000) for s in PAGE)
    assert first.text == "Ivanti Connect Secure #CVE-2025-0282 exploited in the wild, patch now & check logs"
    assert first.author == "alice@infosec.example" and first.url == "https://infosec.example/@alice/113826400123456789"
    assert first.time == datetime(2025, 1, 14, 9, 12, 44, tzinfo=UTC)
    assert second.author == "bob@mastodon.example"  # acct of a local account has no domain
    assert second.text == "[CW exploit code] PoC for CVE-2024-3400 (PAN-OS GlobalProtect) #cve"
    boosted = status_message({**PAGE[0], "reblog": PAGE[1]}, config, "#cve", 1000)
    assert boosted is None  # a boost: the boosted post is its own status
    seen_elsewhere = status_message({**PAGE[0], "id": "1", "url": "https://other.example/x"}, config, "#cve", 1000)
    assert seen_elsewhere.id == first.id  # the same uri through another instance: one message


def test_the_tag_rss_gives_the_same_messages_without_an_author_element():
    config = MastodonConfig(name="infosec", instance="https://infosec.example", tags=["cve"])
    found = rss_messages(RSS, config, "#cve", 1000, NOW)
    assert [(m.author, m.text) for m in found] == [
        ("alice@infosec.example", "Ivanti Connect Secure #CVE-2025-0282 exploited in the wild & patch is out"),
        ("bob@other.example", "Content warning: exploit code PoC for CVE-2024-3400 (PAN-OS GlobalProtect)"),
    ]
    assert found[0].time == datetime(2025, 1, 14, 9, 12, 44, tzinfo=UTC)


def test_min_id_paging_reads_a_burst_of_more_than_a_page_oldest_first_and_then_nothing(mastodon):
    server = mastodon({"tag:cve": [status(n, f"post {n}") for n in range(95)]})
    config = MastodonConfig(name="m", instance=server.url, allow_hosts=["127.0.0.1"], tags=["#CVE"])
    state = {"tag:cve": str(113826400123456789 + 4)}  # stored up to post 4 before
    poller = Poller(config, 1000, state)
    found = poller.poll(NOW)
    assert [m.text for m in found] == [f"post {n}" for n in range(5, 95)]  # 90: three pages
    assert state["tag:cve"] == str(113826400123456789 + 94)
    assert Poller(config, 1000, state).poll(NOW) == []
    assert [p.split("?")[1] for p in server.requests] == [
        f"limit=40&min_id={113826400123456789 + n}" for n in (4, 44, 84, 94)]


def test_sign_in_required_falls_back_to_rss_and_says_so_or_uses_a_token(mastodon):
    server = mastodon({"tag:cve": PAGE}, rss={"/tags/cve.rss": RSS})
    server.locked = True
    config = MastodonConfig(name="m", instance=server.url, allow_hosts=["127.0.0.1"], tags=["cve"])
    poller = Poller(config, 1000, {})
    assert len(poller.poll(NOW)) == 2 and poller.state["rss"] is True
    assert poller.notes == ["the instance requires sign-in for its API (401): its public RSS is read "
                            "instead (20 items a poll); set `token`"]
    server.token = "t0ken"
    signed = MastodonConfig(name="m", instance=server.url, allow_hosts=["127.0.0.1"], tags=["cve"], token="t0ken")
    assert [m.author for m in Poller(signed, 1000, {}).poll(NOW)] == ["bob@127.0.0.1", "alice@infosec.example"]
    api_only = MastodonConfig(name="m", instance=server.url, allow_hosts=["127.0.0.1"], tags=["cve"], via="api")
    with pytest.raises(FetchError, match="requires sign-in \\(401\\); set `token`"):
        Poller(api_only, 1000, {}).poll(NOW)


def test_limited_federation_redirects_the_rss_to_sign_in_and_that_is_said(mastodon):
    server = mastodon({}, rss={"/tags/cve.rss": RSS})
    server.locked = server.rss_locked = True
    config = MastodonConfig(name="m", instance=server.url, allow_hosts=["127.0.0.1"], tags=["cve"], via="rss")
    with pytest.raises(FetchError, match="sends its public RSS to a sign-in page"):
        Poller(config, 1000, {}).poll(NOW)


def test_accounts_are_looked_up_once_and_read_like_tags(mastodon):
    server = mastodon({"account:alice": [status(1, "hello CVE-2024-3400")]})
    config = MastodonConfig(name="m", instance=server.url, allow_hosts=["127.0.0.1"], accounts=["alice", "nobody"])
    poller = Poller(config, 1000, {})
    assert [(m.channel, m.text) for m in poller.poll(NOW)] == [("@alice", "hello CVE-2024-3400")]
    assert poller.notes == [f"no account nobody on {server.url}"]
    Poller(config, 1000, poller.state).poll(NOW)
    assert sum("lookup?acct=alice" in p for p in server.requests) == 1


def test_config_errors_name_what_to_write():
    with pytest.raises(ValueError, match="give `tags` or `accounts`"):
        MastodonConfig(name="m", instance="https://infosec.exchange")
    with pytest.raises(ValueError, match="the instance's address"):
        MastodonConfig(name="m", instance="infosec.exchange/tags/cve", tags=["cve"])
