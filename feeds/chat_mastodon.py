"""Mastodon: hashtag timelines and accounts of one instance, polled by the source's job.

The REST API (docs.joinmastodon.org, methods/timelines#tag and methods/accounts#statuses) is
read with `min_id` (the page of statuses just newer than the newest one stored, returned
newest first: stored oldest first, then the next page), so a burst of more than one page
between two polls loses nothing. An instance that requires sign-in answers 401: with no
`token` the public RSS of the tag or account is read instead (`/tags/NAME.rss`, `/@user.rss`:
20 items, no cursor, deduplicated by link), and said so. A status is keyed by its `uri`,
which is the same through every instance, so a post seen twice is stored once; boosts are
skipped (the boosted post is its own status).
"""

import http.client
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime

from socwall.errors import in_words
from socwall.feeds.chat_config import MastodonConfig
from socwall.feeds.chat_message import Message, clean_text, message_id
from socwall.feeds.feed_parse import parse_feed, plain_text
from socwall.feeds.fetch import USER_AGENT, FetchError, _read_until
from socwall.feeds.http_guard import guarded

PAGE = 40  # the API's largest page
MAX_PAGES = 5  # pages read per target and poll; the rest waits for the next poll
MAX_BYTES = 4 << 20
SIGN_IN_NOTE = ("the instance requires sign-in for its API (401): its public RSS is read "
                "instead (20 items a poll); set `token`")
AUTHOR = re.compile(r"/@([^/@]+)(?:@([^/]+))?/")


@dataclass(frozen=True)
class Answer:
    code: int
    body: bytes
    headers: dict


def get(url: str, token: str | None, timeout: float, allow_hosts=()) -> Answer:
    """GET with a deadline and a size cap, only where feeds/http_guard.py lets it go, redirects
    not followed (Mastodon sends a sign-in page that way); FetchError if unreachable."""
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json, application/rss+xml"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, headers=headers)
    try:
        with guarded(timeout, allow_hosts, redirects=False) as opener:
            with opener.open(request, timeout=timeout) as response:
                body = _read_until(response, _deadline(timeout), timeout, MAX_BYTES)
                return Answer(response.status, body, dict(response.headers))
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read(65536) if error.fp else b"", dict(error.headers))
    except urllib.error.URLError as error:
        raise FetchError(f"unreachable: {error.reason}") from None
    except TimeoutError:
        raise FetchError(f"no answer within {timeout:g} s") from None
    except (http.client.HTTPException, OSError) as error:  # refused, closed, garbled
        raise FetchError(in_words(error)) from None


def _deadline(timeout: float) -> float:
    return time.monotonic() + timeout


def status_message(status: dict, config: MastodonConfig, channel: str,
                   limit: int) -> Message | None:  # fmt: skip
    """A status of the API as a message; None for a boost or a status without text."""
    if status.get("reblog"):
        return None
    body = plain_text(status.get("content") or "")
    warning = plain_text(status.get("spoiler_text") or "", "text/plain")
    text, cut = clean_text(f"[CW {warning}] {body}" if warning else body, limit)
    if not text:
        return None
    host = urllib.parse.urlsplit(config.instance).hostname or ""
    account = status.get("account") or {}
    acct = str(account.get("acct") or account.get("username") or "?")
    author = acct if "@" in acct else f"{acct}@{host}"  # acct is relative to the instance asked
    when = datetime.fromisoformat(status["created_at"]).astimezone(UTC)
    uri = status.get("uri") or status.get("url") or f"{config.instance}/{status['id']}"
    return Message(message_id("mastodon", uri), "mastodon", config.name, channel, author, when,
                   text, status.get("url") or uri, cut)  # fmt: skip


def rss_messages(body: bytes, config: MastodonConfig, channel: str, limit: int,
                 fetched_at: datetime) -> list[Message]:  # fmt: skip
    """The items of a tag's or account's RSS as messages (the author from the item's link)."""
    entries, _problem = parse_feed(body, config.name, "application/rss+xml", fetched_at)
    found = []
    for entry in entries:
        text, cut = clean_text(entry["summary"] or entry["title"], limit)
        link = entry["link"] or entry["id"]
        who = AUTHOR.search(urllib.parse.urlsplit(link).path + "/")
        host = urllib.parse.urlsplit(link).hostname or ""
        author = f"{who.group(1)}@{who.group(2) or host}" if who else "?"
        when = datetime.fromisoformat(entry["published"])
        found.append(Message(message_id("mastodon", link), "mastodon", config.name, channel,
                             author, when, text, link, cut))  # fmt: skip
    return found


def newest_id(statuses: list[dict]) -> str:
    """Mastodon ids are strings of integers of any length: compare by length, then text."""
    return max((s["id"] for s in statuses), key=lambda i: (len(i), i))


class Poller:
    """Reads what is new for one instance; `state` (min_id per target, account ids) persists."""

    def __init__(self, config: MastodonConfig, limit: int, state: dict):
        self.config, self.limit, self.state = config, limit, state
        self.token = config.token.get_secret_value() if config.token else None
        self.notes: list[str] = []

    def targets(self) -> list[tuple[str, str]]:
        """(key, channel) of every tag and account."""
        return [(f"tag:{t}", f"#{t}") for t in self.config.tags] + [
            (f"account:{a}", f"@{a}") for a in self.config.accounts
        ]

    def poll(self, now: datetime) -> list[Message]:
        found: list[Message] = []
        for key, channel in self.targets():
            if self.config.via == "rss" or (self.config.via == "auto" and self.state.get("rss")):
                found += self._rss(key, channel, now)
            else:
                found += self._api(key, channel, now)
        return found

    def _api(self, key: str, channel: str, now: datetime) -> list[Message]:
        path = self._path(key)
        if path is None:
            return []
        found: list[Message] = []
        for _ in range(MAX_PAGES):
            query = {"limit": PAGE, **({"min_id": self.state[key]} if key in self.state else {})}
            answer = get(f"{self.config.instance}{path}?{urllib.parse.urlencode(query)}",
                         self.token, self.config.timeout.total_seconds(),
                         self.config.allow_hosts)  # fmt: skip
            if answer.code == 401 and self.config.via == "auto" and not self.token:
                self.state["rss"] = True
                self.notes.append(SIGN_IN_NOTE)
                return found + self._rss(key, channel, now)
            page = self._page(answer, channel)
            if not page:
                break
            found += [m for s in reversed(page)
                      if (m := status_message(s, self.config, channel, self.limit))]  # fmt: skip
            self.state[key] = newest_id(page)
            if len(page) < PAGE:
                break
        return found

    def _path(self, key: str) -> str | None:
        kind, _, name = key.partition(":")
        if kind == "tag":
            return f"/api/v1/timelines/tag/{urllib.parse.quote(name)}"
        ident = self.state.get(f"id:{name}")
        if ident is None:
            answer = get(f"{self.config.instance}/api/v1/accounts/lookup?acct="
                         f"{urllib.parse.quote(name)}", self.token,
                         self.config.timeout.total_seconds(), self.config.allow_hosts)  # fmt: skip
            if answer.code == 404:
                self.notes.append(f"no account {name} on {self.config.instance}")
                return None
            ident = self.state[f"id:{name}"] = str(self._json(answer, f"@{name}")["id"])
        return f"/api/v1/accounts/{ident}/statuses"

    def _page(self, answer: Answer, channel: str) -> list[dict]:
        if answer.code == 404:
            self.notes.append(f"{channel}: not found on {self.config.instance}")
            return []
        page = self._json(answer, channel)
        if not isinstance(page, list):
            raise ValueError(f"{channel}: the instance answered no list of statuses")
        return [s for s in page if isinstance(s, dict) and s.get("id") and s.get("created_at")]

    def _json(self, answer: Answer, what: str):
        if answer.code == 401:
            raise FetchError(f"{what}: the instance requires sign-in (401); set `token`")
        if answer.code == 429:
            reset = answer.headers.get("X-RateLimit-Reset", "later")
            raise FetchError(f"{what}: rate limited by the instance until {reset}")
        if answer.code != 200:
            raise FetchError(f"{what}: HTTP {answer.code}")
        try:
            return json.loads(answer.body)
        except ValueError:
            raise ValueError(f"{what}: the instance answered no JSON") from None

    def _rss(self, key: str, channel: str, now: datetime) -> list[Message]:
        kind, _, name = key.partition(":")
        path = f"/tags/{urllib.parse.quote(name)}.rss" if kind == "tag" else f"/@{name}.rss"
        answer = get(self.config.instance + path, None, self.config.timeout.total_seconds(),
                     self.config.allow_hosts)  # fmt: skip
        if 300 <= answer.code < 400:
            raise FetchError(f"{channel}: the instance sends its public RSS to a sign-in page "
                             "(limited federation); set `token`")  # fmt: skip
        if answer.code != 200:
            raise FetchError(f"{channel}: RSS answered HTTP {answer.code}")
        return rss_messages(answer.body, self.config, channel, self.limit, now)
