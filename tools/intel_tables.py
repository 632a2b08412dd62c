"""Build the intel tables shipped in feeds/data/ from public data (run by hand, not at run time).

    python tools/intel_tables.py --attack CTI_CHECKOUT --misp MISP_GALAXY_CHECKOUT \
        --news NEWS_DIR [NEWS_DIR ...]

`--attack` and `--misp` are git checkouts of github.com/mitre/cti and
github.com/MISP/misp-galaxy (their commits go into the README by hand). `--news` folders
hold JSON or text exports of security headlines (see feeds/data/README.md for which ones).
Only derived tables are written: names with their aliases, and for the news only how many
documents contain each word or two-word phrase, never a text.
"""

import argparse
import json
import subprocess
from collections import Counter
from pathlib import Path

from socwall.feeds.subjects_text import fold, tokens

OUT = Path(__file__).resolve().parents[1] / "feeds" / "data"
ATTACK = [
    ("actor", "enterprise-attack/intrusion-set"),
    ("malware", "enterprise-attack/malware"),
    ("tool", "enterprise-attack/tool"),
    ("campaign", "enterprise-attack/campaign"),
    ("malware", "mobile-attack/malware"),
    ("actor", "ics-attack/intrusion-set"),
]
MISP = [
    ("actor", "threat-actor"),
    ("actor", "microsoft-activity-group"),
    ("ransomware", "ransomware"),
    ("malware", "botnet"),
    ("malware", "stealer"),
    ("malware", "backdoor"),
    ("tool", "tool"),
]
SUFFIXES = (" ransomware", " ransomware group", " group", " - g", " botnet", " (fake)")
MIN_DF = 3  # words in fewer documents are not worth shipping: absent means rare


def git_show(repo: Path, path: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "show", f"HEAD:{path}"], check=True, capture_output=True, text=True
    ).stdout


def git_ls(repo: Path, folder: str) -> list[str]:
    out = subprocess.run(
        ["git", "-C", str(repo), "ls-tree", "--name-only", "HEAD", folder + "/"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.split()


def clean(name: str) -> str:
    """'BlackByte 2.0 Ransomware - S1181' -> 'BlackByte 2.0'."""
    name = name.split(" - S")[0].split(" - G")[0].split(" - C")[0].strip()
    lowered = name.lower()
    for suffix in SUFFIXES:
        if lowered.endswith(suffix) and len(name) > len(suffix) + 2:
            name = name[: -len(suffix)].strip()
            lowered = name.lower()
    return name


def attack_names(repo: Path) -> list[tuple[str, str, set[str]]]:
    rows = []
    for kind, folder in ATTACK:
        for path in git_ls(repo, folder):
            for obj in json.loads(git_show(repo, path)).get("objects", []):
                if obj.get("revoked") or obj.get("x_mitre_deprecated") or "name" not in obj:
                    continue
                aliases = set(obj.get("aliases", [])) | set(obj.get("x_mitre_aliases", []))
                rows.append((kind, clean(obj["name"]), {clean(a) for a in aliases}))
    return rows


def misp_names(repo: Path) -> list[tuple[str, str, set[str]]]:
    rows = []
    for kind, cluster in MISP:
        for value in json.loads(git_show(repo, f"clusters/{cluster}.json"))["values"]:
            meta = value.get("meta") or {}
            if kind == "ransomware" and not (meta.get("links") or meta.get("synonyms")):
                continue  # only groups with a leak site or known under several names
            rows.append((kind, clean(value["value"]), {clean(s) for s in meta.get("synonyms", [])}))
    return rows


def merge(rows) -> list[tuple[str, str, list[str]]]:
    """One row per name: a name seen in several sources keeps the first label and kind."""
    by_key: dict[str, list] = {}
    for kind, label, aliases in rows:
        names = {label, *aliases}
        keys = {n.lower() for n in names if usable(n)}
        existing = next((by_key[k] for k in keys if k in by_key), None)
        if existing is None:
            existing = [kind, label, set()]
        existing[2] |= {n for n in names if usable(n)}
        for key in keys | {n.lower() for n in existing[2]}:
            by_key[key] = existing
    unique = {id(row): row for row in by_key.values()}.values()
    return sorted((k, label, sorted(a - {label})) for k, label, a in unique if usable(label))


def usable(name: str) -> bool:
    """A name worth looking for: letters in it, not a bare number or a one-letter word."""
    return len(name) >= 3 and any(c.isalpha() for c in name) and "\t" not in name


def news_documents(folders: list[Path]) -> list[str]:
    """Headline + summary texts of the news exports (JSON lists of objects or text lines)."""
    docs = []
    for folder in folders:
        for path in sorted(folder.iterdir()):
            if path.suffix == ".json":
                for item in json.loads(path.read_text()):
                    docs.append(f"{item.get('title', '')}. {item.get('summary', '')}")
            else:
                docs += [line for line in path.read_text().splitlines() if line.strip()]
    return docs


def document_frequencies(docs: list[str]) -> Counter:
    counts: Counter = Counter()
    for doc in docs:
        words = [fold(t) for t in tokens(doc)]
        counts.update(set(words) | {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)})
    return counts


def lowercase_words(docs: list[str]) -> Counter:
    """Per word, the cased documents that use it in lower case after their first word: an
    ordinary word ('play', 'royal'), not only a name, when it is a group's name too."""
    counts: Counter = Counter()
    for doc in docs:
        found = tokens(doc)
        if doc.islower() or sum(t[:1].isupper() for t in found) > 0.6 * len(found):
            continue  # a URL slug or a Title Case headline says nothing about case
        counts.update({t for t in found[1:] if t.isalpha() and t.islower()})
    return counts


def english_words(dictionary: Path, names, counts: Counter, kev: Path) -> set[str]:
    """Ordinary English words among the names and the headline words: such a name ('Play',
    'Anchor', 'Exchange') is only a name next to a word saying what it is."""
    plain = {
        fold(w)
        for w in dictionary.read_text(encoding="utf-8").split()
        if w.isalpha() and w.islower()
    }
    records = json.loads(kev.read_text())["vulnerabilities"]
    seen = {fold(t) for _, label, aliases in names for n in (label, *aliases) for t in tokens(n)}
    seen |= {fold(t) for r in records for t in tokens(f"{r['vendorProject']} {r['product']}")}
    seen |= {term for term, count in counts.items() if count >= MIN_DF and " " not in term}
    return plain & seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attack", type=Path, required=True)
    parser.add_argument("--misp", type=Path, required=True)
    parser.add_argument("--news", type=Path, nargs="+", required=True)
    parser.add_argument("--kev", type=Path, required=True, help="a KEV catalog JSON snapshot")
    parser.add_argument(
        "--dictionary",
        type=Path,
        default=Path("/usr/share/dict/american-english"),
        help="an English word list (Debian's wamerican, SCOWL)",
    )
    args = parser.parse_args()
    names = merge(attack_names(args.attack) + misp_names(args.misp))
    with open(OUT / "names.tsv", "w", encoding="utf-8") as out:
        out.write("# kind\tname\taliases (|); see README.md for sources and terms\n")
        for kind, label, aliases in names:
            out.write(f"{kind}\t{label}\t{'|'.join(aliases)}\n")
    docs = news_documents(args.news)
    counts = document_frequencies(docs)
    with open(OUT / "background_df.tsv", "w", encoding="utf-8") as out:
        out.write("# term\tdocuments containing it (folded words and two-word phrases)\n")
        out.write(f"__documents__\t{len(docs)}\n")
        for term, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            if count >= MIN_DF and "\t" not in term:
                out.write(f"{term}\t{count}\n")
    ordinary = lowercase_words(docs)
    with open(OUT / "ordinary_words.txt", "w", encoding="utf-8") as out:
        out.write("# words used in lower case in at least 2 cased background documents\n")
        out.write("\n".join(sorted(w for w, n in ordinary.items() if n >= 2)) + "\n")
    english = english_words(args.dictionary, names, counts, args.kev)
    with open(OUT / "english_words.txt", "w", encoding="utf-8") as out:
        out.write(
            "# English words (SCOWL via Debian wamerican) that are also names or headline words\n"
        )
        out.write("\n".join(sorted(english)) + "\n")
    kept = sum(c >= MIN_DF for c in counts.values())
    print(f"{len(names)} names, {len(docs)} documents, {kept} terms")


if __name__ == "__main__":
    main()
