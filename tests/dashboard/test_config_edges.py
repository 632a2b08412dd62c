"""check-config never crashes: zones, cross-source options, duplicate keys, bytes, alias bombs."""

import time
from pathlib import Path

import pytest
import yaml

from socwall.dashboard.cli import main
from socwall.dashboard.config import ConfigError, load_config
from socwall.dashboard.yaml_read import read_yaml

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
