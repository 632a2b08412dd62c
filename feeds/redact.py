"""Secrets kept off the wall: identifiers that carry a password are masked before storing.

Real captures have them: Zeek's ntlm.log of a competition network holds user names such as
`wwonka:ComeWithM3`, a password typed into the user field. The named rule `user:password`
masks everything after the first colon of a user name (user names have no colon on Windows or
Unix); any other rule is a regular expression whose matches are masked, in user names and in
the reasons shown beside them.
"""

import re
from dataclasses import dataclass, replace

USER_PASSWORD = "user:password"
MASK = "***"
_USER_PASSWORD = re.compile(r"^([^:\s]+):\S.*$")


def check_rules(rules: list[str]) -> list[str]:
    """The rules, each a regular expression or the named rule; a bad one names itself."""
    for rule in rules:
        if rule == USER_PASSWORD:
            continue
        try:
            re.compile(rule)
        except re.error as error:
            raise ValueError(f'"{rule}" is not a regular expression: {error}') from None
    return rules


@dataclass(frozen=True)
class Redactor:
    """Masks what the configured rules find in a user name or a reason."""

    rules: tuple[str, ...]

    def __post_init__(self):
        patterns = [re.compile(rule) for rule in self.rules if rule != USER_PASSWORD]
        object.__setattr__(self, "_patterns_compiled", patterns)
        object.__setattr__(self, "_colon", USER_PASSWORD in self.rules)

    def user(self, name: str | None) -> str | None:
        if not name:
            return name
        if self._colon and ":" in name:
            name = _USER_PASSWORD.sub(rf"\1:{MASK}", name)
        return self._patterns(name)

    def text(self, words: str | None) -> str | None:
        return self._patterns(words) if words else words

    def _patterns(self, text: str) -> str:
        for pattern in self._patterns_compiled:
            text = pattern.sub(MASK, text)
        return text

    def event(self, event):
        """The AuthEvent with its user and reason masked (the same event when nothing is)."""
        if not self._patterns_compiled and ":" not in (event.user or ""):
            return event  # the common case, a plain user name: nothing to look at
        user, reason = self.user(event.user), self.text(event.reason)
        if (user, reason) == (event.user, event.reason):
            return event
        return replace(event, user=user, reason=reason)
