"""IRC lines as text: bounded, decoded one by one, formatting codes and CTCP requests out.

Formatting codes per modern.ircdocs.horse/formatting; a line is UTF-8 when it is valid UTF-8,
else CP1252 (as irssi and HexChat read it), decoded per line, never per TCP chunk.
"""

import re

from jaraco.stream.buffer import LineBuffer

from socwall.feeds.chat_message import clean_text

IRC_FORMAT = re.compile(  # bold, colour (\x03 fg[,bg]), hex colour, reset, italics... (ircdocs)
    r"\x03(?:\d{1,2}(?:,\d{1,2})?)?|\x04(?:[0-9A-Fa-f]{6}(?:,[0-9A-Fa-f]{6})?)?"
    r"|[\x02\x0f\x11\x16\x1d\x1e\x1f]"
)
CTCP_ACTION = re.compile(r"^\x01ACTION (.*?)\x01?$", re.DOTALL)
IRC_LINE = re.compile(r"^(@[^ ]* )?(:[^ ]+ +)?[^ ]+")  # what the library's parser can take
MAX_LINE = 8191 + 512  # IRCv3: 8191 bytes of tags and 512 of message; longer is not IRC


def irc_text(raw: str, limit: int) -> tuple[str, bool] | None:
    """The visible text of a PRIVMSG body: formatting codes out, /me as '* text'; None for any
    other CTCP request (VERSION, PING...), which is no chat."""
    action = CTCP_ACTION.match(raw)
    if action:
        raw = "* " + action.group(1)
    elif raw.startswith("\x01"):
        return None
    return clean_text(IRC_FORMAT.sub("", raw), limit)


def decode_line(line: bytes) -> tuple[str, bool]:
    """UTF-8 when the line is valid UTF-8, else CP1252 (what irssi and HexChat do; Latin-1 would
    turn mIRC's '€' into a control character); True when the fallback was needed."""
    try:
        return line.decode("utf-8"), False
    except UnicodeDecodeError:
        return line.decode("cp1252", errors="replace"), True


class BoundedLines(LineBuffer):
    """Lines of at most MAX_LINE bytes, decoded one by one; longer ones are dropped whole
    (the rest of such a line is skipped as it arrives) and counted, and so are lines the
    library could not parse."""

    counts: dict  # set per connection: what was skipped, by reason

    def __init__(self):
        super().__init__()
        self.skipping = False

    def feed(self, data: bytes) -> None:
        if self.skipping:  # inside an overlong line: drop up to its end
            end = data.find(b"\n")
            if end < 0:
                return
            data, self.skipping = data[end + 1 :], False
        super().feed(data)
        if len(self.buffer) > MAX_LINE and b"\n" not in self.buffer:
            self.buffer, self.skipping = b"", True
            self._count("oversized")

    def lines(self):
        for line in super().lines():
            if len(line) > MAX_LINE:
                self._count("oversized")
                continue
            text, fallback = decode_line(line)
            if fallback:
                self._count("not UTF-8 (read as CP1252)")
            if text and not IRC_LINE.match(text):
                self._count("unreadable")
                continue
            yield text

    def _count(self, reason: str) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + 1
