"""Words of feed text as the subject finder sees them: tokens, folded plurals, shipped tables.

The tables in `feeds/data/` are derived from public data while developing (see its README);
nothing is downloaded at run time.
"""

import csv
import io
import re
from functools import lru_cache
from importlib import resources

TOKEN = re.compile(r"[A-Za-z0-9@][A-Za-z0-9.+#@/-]*[A-Za-z0-9+#]|[A-Za-z0-9]")
KEEP_S = ("ss", "us", "is", "os", "ys", "as")  # 'sshd'... 'virus', 'analysis', 'ios', 'days'


def tokens(text: str) -> list[str]:
    """Word tokens in order, case kept: 'PAN-OS', 'XSS.is', 'Log4j', '@angular/core'; a
    sentence's full stop, a possessive and an underscore are not part of a word."""
    text = text.replace("_", " ").replace("’", "'")
    found = []
    for raw in TOKEN.findall(re.sub(r"'s\b", "", text)):
        found.append(raw.rstrip(".-/"))
    return [t for t in found if t]


def fold(word: str) -> str:
    """The form a word is counted under: lower case, a plural folded ('attacks' -> 'attack',
    'vulnerabilities' -> 'vulnerability'); 'ios', 'virus' and 'analysis' stay as they are."""
    word = word.lower()
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(KEEP_S) and word[-2].isalpha():
        return word[:-1]
    return word


def folded(text: str) -> list[str]:
    return [fold(t) for t in tokens(text)]


def squash(words) -> str:
    """A name without spaces, hyphens or dots: 'INC Ransom' -> 'incransom', 'PAN-OS' -> 'panos'."""
    return re.sub(r"[^a-z0-9]", "", "".join(words).lower())


def _data(name: str) -> str:
    return resources.files("socwall.feeds").joinpath("data", name).read_text(encoding="utf-8")


def read_table(name: str) -> list[list[str]]:
    """Rows of a shipped tab-separated table; lines starting with '#' are its notes."""
    lines = [line for line in _data(name).splitlines() if line and not line.startswith("#")]
    return list(csv.reader(io.StringIO("\n".join(lines)), delimiter="\t"))


@lru_cache(maxsize=1)
def background() -> tuple[int, dict[str, int]]:
    """(documents, term -> documents containing it) of the shipped security-news corpus."""
    rows = read_table("background_df.tsv")
    total = int(rows[0][1])
    return total, {term: int(count) for term, count in rows[1:]}


def background_share(term: str) -> float:
    """The share of background documents that contain a folded term (or phrase)."""
    total, counts = background()
    return counts.get(term, 0) / total
