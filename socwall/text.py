"""Text the wall shows: one line of what can be seen, in the order it was written.

C0/C1 control characters, zero-width characters and the bidirectional formatting characters
(U+200E/F marks, U+202A-202E embeddings and overrides, U+2066-2069 isolates) are removed: a
U+202E in a feed's title would otherwise show the headline reversed ("Trojan Source"), and a
zero-width space can hide a word from a search. Every reader that keeps text for display
(feeds, chat, the KEV catalog, change titles) cleans it here, once, when it is read.
"""

import re

INVISIBLE = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
)


def one_line(text: object) -> str:
    """Visible plain text on one line: invisible characters removed, whitespace collapsed."""
    return " ".join(INVISIBLE.sub("", str(text).replace("\t", " ").replace("\n", " ")).split())
