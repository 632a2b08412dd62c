"""check-config never crashes: zones, cross-source options, duplicate keys, bytes, alias bombs."""

import re
import time
from pathlib import Path

import pytest
import yaml

from socwall.dashboard.cli import main
from socwall.dashboard.config import ConfigError, load_config
from socwall.dashboard.yaml_read import YamlError, read_yaml

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config.yaml"


def demo_raw() -> dict:
    return yaml.safe_load(REPO_CONFIG.read_text())


def check(tmp_path: Path, raw_or_bytes, capsys) -> list[str]:
    """Problems reported by `socwall check-config`, which must exit 2 (a crash would raise)."""
    path = tmp_path / "config.yaml"
    if isinstance(raw_or_bytes, bytes):
        path.write_bytes(raw_or_bytes)
    else:
        path.write_text(yaml.safe_dump(raw_or_bytes))
    assert main(["check-config", str(path)]) == 2
    return [line.strip() for line in capsys.readouterr().err.splitlines()[1:]]


def source_key(raw: dict, source_type: str) -> str:
    return next(k for k, s in raw["sources"].items() if s["type"] == source_type)


def test_misspelt_zones_anywhere_name_their_key_and_suggest(tmp_path, capsys):
    raw = demo_raw()
    auth, events = source_key(raw, "auth"), source_key(raw, "events")
    raw["sources"][auth]["timezone"] = "Europe/Berln"
    raw["sources"][events]["timestamp_timezone"] = "../../etc/passwd"
    assert sorted(check(tmp_path, raw, capsys)) == sorted([
        f'sources.{auth}.timezone: unknown time zone "Europe/Berln"; use an IANA name; '
        "did you mean Europe/Berlin or Europe/Belfast or Europe/Helsinki?",
        f'sources.{events}.timestamp_timezone: unknown time zone "../../etc/passwd"; '
        "use an IANA name, e.g. Europe/Berlin",
    ])


def _feed_keywords_panel(raw: dict) -> tuple[str, dict]:
    for p, page in enumerate(raw["pages"]):
        for i, panel in enumerate(page["panels"]):
            if panel["widget"] == "feed_keywords":
                return f"pages[{p}].panels[{i}]", panel
    raise AssertionError("the demo config has a feed_keywords panel")


@pytest.mark.parametrize("kev", ["missing_source", "events"])
def test_feed_keywords_kev_must_name_a_kev_source(tmp_path, kev, capsys):
    raw = demo_raw()
    key, panel = _feed_keywords_panel(raw)
    target = source_key(raw, "events") if kev == "events" else kev
    panel.setdefault("options", {})["kev"] = target
    problems = check(tmp_path, raw, capsys)
    assert len(problems) == 1 and problems[0].startswith(f"{key}.options.kev: ")
    wanted = "unknown source 'missing_source'" if kev != "events" else "not a kev source"
    assert wanted in problems[0]


def test_duplicate_keys_are_an_error_naming_both_lines(tmp_path, capsys):
    text = REPO_CONFIG.read_text().replace("title:", "title: First\ntitle:", 1)
    first = text.splitlines().index("title: First") + 1
    problems = check(tmp_path, text.encode(), capsys)
    assert f"duplicate key 'title' on line {first + 1} (first on line {first})" in problems[0]


def test_merge_keys_are_not_duplicates():
    tree = read_yaml(b"base: &b {x: 1, y: 1}\npanel: {<<: *b, x: 2}\n", "c.yaml")
    assert tree["panel"] == {"x": 2, "y": 1}


def test_non_utf8_byte_names_the_line(tmp_path, capsys):
    data = REPO_CONFIG.read_bytes().replace(b"title:", b"title: caf\xe9 ", 1)
    line = data[: data.index(b"\xe9")].count(b"\n") + 1
    assert check(tmp_path, data, capsys) == [
        f"not UTF-8: byte 0xe9 on line {line}; save the file as UTF-8"  # the file: named above
    ]


def test_an_alias_bomb_is_refused_quickly(tmp_path):
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    started = time.perf_counter()
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert time.perf_counter() - started < 2
    sizes = [1 + 9]  # an independent count: each level is a list of 9 of the one before
    for _ in range(8):
        sizes.append(1 + 9 * sizes[-1])
    total = 1 + sum(1 + size for size in sizes)  # the top mapping, its keys and values
    assert f"YAML aliases expand to {total:,} nodes" in caught.value.problems[0]


def test_environment_overrides_any_key_and_check_config_shows_them(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SOCWALL_WEB__PORT", "9100")
    monkeypatch.setenv("SOCWALL_STORE__URL", "redis://:hunter2@127.0.0.1:6390/2")
    monkeypatch.setenv("SOCWALL_CONFIG", str(REPO_CONFIG))
    config = load_config(REPO_CONFIG)
    assert config.web.port == 9100 and config.store.url.endswith("@127.0.0.1:6390/2")
    assert main(["check-config"]) == 0
    out = capsys.readouterr().out
    assert "web.port = 9100 (from the environment)" in out
    assert "store.url = 'redis://***@127.0.0.1:6390/2'" in out and "hunter2" not in out
    monkeypatch.setenv("SOCWALL_WEB__PORT", "many")
    with pytest.raises(ConfigError) as caught:
        load_config(REPO_CONFIG)
    assert caught.value.problems[0].startswith("web.port: expected a valid integer")


def test_messages_say_what_is_wrong_once_and_suggest_only_close_keys(tmp_path, capsys):
    raw = demo_raw()
    raw["scheduler"]["lock_ttl"] = "0s"
    raw["web"]["poll"] = 2.5
    raw["screens"] = {}
    raw["access"] = {"auth": "basic", "basic": {"users": {}, "max_failures": 2.5}}
    raw["health"] = {"public_summary": True}  # not a key; nothing close to it either
    raw["timezon"] = "UTC"
    assert sorted(check(tmp_path, raw, capsys)) == sorted([
        'scheduler.lock_ttl: expected a duration of more than zero, like 30s or 5m, got "0s"',
        'web.poll: expected a duration like 30s or 5m, got "2.5"',
        "access.basic.users: expected at least 1 entry, got none",
        "access.basic.max_failures: expected a valid integer, got a number with a fractional part",
        "health: unknown key",
        "timezon: unknown key; did you mean 'timezone'?",
    ])  # fmt: skip


def test_a_file_over_the_size_limit_is_refused_before_parsing(tmp_path, capsys):
    # the case: one list of 1.15 M addresses, no alias; once 46 s and 1 GB of parsing
    data = b"pages:\n" + b"".join(b"  - 10.0.0.1\n" for _ in range(1_150_000))
    started = time.perf_counter()
    problems = check(tmp_path, data, capsys)
    assert time.perf_counter() - started < 2
    assert problems == [
        f"{len(data):,} bytes, over the limit of 1,048,576 bytes (1 MiB) for a config file; "
        "keep long lists in files that a source reads"
    ]


def test_too_many_nodes_stop_the_parse_and_are_not_called_an_alias_bomb(tmp_path, capsys):
    data = b"pages: [" + b",".join([b"1"] * 400_000) + b"]\n"  # 800 KB: under the size limit
    assert len(data) < 1 << 20
    started = time.perf_counter()
    problems = check(tmp_path, data, capsys)
    assert time.perf_counter() - started < 15  # the whole parse takes a minute
    assert problems == [
        "more than 50,000 YAML nodes by line 1, over the limit of 50,000 for a config file; "
        "keep long lists in files that a source reads"
    ]


YAML_CASES = {
    "deeper": (
        "web:\n  port: 8050\n   poll: 10s\n",
        "line 3 is indented 3 spaces, deeper than line 2, which already has its value: line "
        "'poll:' up with the keys it belongs with (2 spaces); YAML nests by indentation "
        "(the parser stopped on line 3, column 8: mapping values are not allowed here)",
    ),
    "between": (
        "pages:\n  - id: main\n    title: Main\n   panels: []\n",
        "line 4 is indented 3 spaces, between the blocks around it (2 spaces on line 2, "
        "4 spaces on lines 2-3): line 'panels:' up with the keys it belongs with; YAML nests "
        "by indentation (the parser stopped on line 4, column 4: expected <block end>, but "
        "found '<block mapping start>')",
    ),
    "found_late": (  # PyYAML stops 4 lines after the line that is off
        "sources:\n    a:\n      type: events\n      path: x\n    bucket: 5m\n"
        "  b:\n    type: events\n",
        "line 6 is indented 2 spaces, between the blocks around it (0 spaces on line 1, "
        "4 spaces on lines 2-5): line 'b:' up with the keys it belongs with; YAML nests by "
        "indentation (the parser stopped on line 6, column 3: expected <block end>, but found "
        "'<block mapping start>')",
    ),
    "tab": (
        "web:\n\tport: 8050\n",
        "line 2 is indented with a tab: YAML indents with spaces only (the parser stopped on "
        "line 2, column 1: found character '\\t' that cannot start any token)",
    ),
    "unquoted_variable": (
        "store: {url: 'redis://r:6379/0', password: ${REDIS_PASSWORD}}\n",
        '${REDIS_PASSWORD} on line 1 must be quoted inside {...} or [...], where braces have '
        'a meaning: write "${REDIS_PASSWORD}" (the parser stopped on line 1, column 45: '
        "expected ',' or '}', but got '{')",
    ),
    "no_colon": (
        "web:\n  port 8050\n  poll: 10s\n",
        "line 2 ('port 8050') has no ':' after its key (the parser stopped on line 3, column 7: "
        "mapping values are not allowed here)",
    ),
}


@pytest.mark.parametrize("case", YAML_CASES)
def test_yaml_errors_name_the_line_that_is_off_in_words(tmp_path, capsys, case):
    text, message = YAML_CASES[case]
    assert check(tmp_path, text.encode(), capsys) == [f"not valid YAML: {message}"]


def test_a_block_that_lost_its_indentation_is_named_beside_the_duplicate(tmp_path, capsys):
    text = "sources:\n  a:\n    type: events\n    b:\n    type: flows\n"
    assert check(tmp_path, text.encode(), capsys) == [
        "not valid YAML: duplicate key 'type' on line 5 (first on line 3); the later one would "
        "silently win; 'b:' on line 4 has no value: are the lines after it indented under it?"
    ]


def shifted_lines(text: str, every: int):
    """(line number, text): the demo config with one line moved by one space either way, for
    every `every`-th line that holds YAML (all of them take 20 s: PyYAML is pure Python)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip() and not line.lstrip().startswith("#") and i % every == 0:
            yield i + 1, "\n".join([*lines[:i], " " + line, *lines[i + 1 :]]) + "\n"
            if line.startswith(" "):
                yield i + 1, "\n".join([*lines[:i], line[1:], *lines[i + 1 :]]) + "\n"


def test_every_broken_indentation_of_the_demo_config_names_its_line():
    """One line of the demo config moved by a space: when that breaks the YAML, the message
    names that line (alone or as the first of a block) and says it is the indentation."""
    broken = missed = 0
    for number, text in shifted_lines(REPO_CONFIG.read_text(), every=4):
        try:
            yaml.load(text, Loader=yaml.CSafeLoader)  # libyaml: quick to skip what still parses
            continue
        except yaml.YAMLError:
            pass
        try:
            read_yaml(text.encode(), "c.yaml")
        except YamlError as error:
            said = str(error).split(" (the parser stopped")[0]
            if said.startswith("c.yaml: not valid YAML: duplicate key"):
                continue  # valid structure, other meaning: said with both lines
            broken += 1
            named = {int(n) for n in re.findall(r"\blines? (\d+)", said)}
            missed += not (number in named and "indent" in said)
    assert broken > 50 and missed == 0


def test_a_key_of_another_section_says_where_it_belongs(tmp_path, capsys):
    raw = demo_raw()
    events = source_key(raw, "events")
    raw["sources"][events]["time_column"] = "ts"  # a query source's key
    raw["web"]["refresh"] = "1m"
    assert sorted(check(tmp_path, raw, capsys)) == sorted([
        f"sources.{events}.time_column: unknown key here; time_column belongs in "
        "sources.<name> (type: query)",
        "web.refresh: unknown key here; refresh belongs in sources.<name> (any type) or "
        "pages[].panels[] (any widget)",
    ])  # fmt: skip


def test_environment_overrides_reach_list_items_by_index(monkeypatch):
    monkeypatch.setenv("SOCWALL_PAGES__0__TITLE", "Night shift")
    monkeypatch.setenv("SOCWALL_PAGES__1__PANELS__0__REFRESH", "2m")
    config = load_config(REPO_CONFIG)
    assert config.pages[0].title == "Night shift"
    assert config.pages[1].panels[0].refresh.total_seconds() == 120
    pages = len(demo_raw()["pages"])
    monkeypatch.setenv("SOCWALL_PAGES__9__TITLE", "X")
    with pytest.raises(ConfigError) as caught:
        load_config(REPO_CONFIG)
    assert caught.value.problems == [
        f"SOCWALL_PAGES__9__TITLE: pages is a list of {pages}: its items are numbered 0 to "
        f"{pages - 1}"
    ]
