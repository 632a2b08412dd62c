"""Reading config YAML: libyaml reads a sound file, the Python parser says what is wrong.

The fast path must give the very tree the Python loader gives, and leave every refusal (its
words, its line numbers, its limits) to the Python loader.
"""

from pathlib import Path

import pytest
import yaml

from socwall.dashboard import yaml_read
from socwall.dashboard.yaml_read import SLOW, DuplicateKeyLoader, YamlError, read_yaml

ROOT = Path(__file__).resolve().parents[2]


def python_tree(text: str):
    loader = DuplicateKeyLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


@pytest.mark.parametrize("path", [ROOT / "config.yaml", ROOT / "deploy" / "compose.yaml"])
def test_libyaml_reads_the_same_tree_as_the_python_parser(path):
    text = path.read_text()
    fast = yaml_read._read_fast(text)
    assert fast is not SLOW
    assert fast == python_tree(text) == read_yaml(text.encode(), path.name)
    assert fast  # a real tree, not an empty file


def test_anchors_merges_and_types_come_out_as_the_python_parser_builds_them():
    text = ("base: &b {refresh: 1m, at: [1, 2]}\nother:\n  <<: *b\n  enabled: yes\n"
            "  when: 2026-12-07\n"
            "  ratio: 1.5e-9\n  none: ~\n  text: '010'\n  octal: 010\n")  # fmt: skip
    fast = yaml_read._read_fast(text)
    assert fast == python_tree(text)
    other = fast["other"]
    assert other["refresh"] == "1m" and other["enabled"] is True and other["octal"] == 8


@pytest.mark.parametrize("text", [
    "title: a\ntitle: b\n",  # duplicate: the Python loader names both lines
    "web:\n\tport: 8050\n",  # a tab
    "pages: [\n  - id: x\n",  # unclosed
    "title: a\x07b\n",  # a character PyYAML refuses
    "\ufefftitle: x\n",  # a byte-order mark
])  # fmt: skip
def test_a_file_with_a_problem_goes_to_the_python_parser(text):
    assert yaml_read._read_fast(text) is SLOW


def test_the_node_limit_counts_as_the_python_parser_does_an_alias_where_it_is_written():
    text = "x: &x [1, 2]\nl: [*x, *x, {a: *x}]\nm: &m {k: *x}\nn: *m\n"
    python = DuplicateKeyLoader(text)
    python.get_single_node()
    fast = yaml_read.FastLoader(text)
    assert yaml_read._written(fast.get_single_node(), set()) == python.nodes == 18
    python.dispose(), fast.dispose()


def test_a_file_long_enough_to_pass_the_node_limit_is_counted_by_the_python_parser():
    aliases = "x: &x 1\nl: [" + ",".join(["*x"] * 50_001) + "]\n"
    assert yaml_read._read_fast(aliases) is SLOW
    with pytest.raises(YamlError, match="more than 50,000 YAML nodes by line 2"):
        read_yaml(aliases.encode(), "c.yaml")


def test_without_libyaml_every_file_takes_the_python_parser(monkeypatch):
    monkeypatch.setattr(yaml_read, "CSafeLoader", None)
    text = (ROOT / "config.yaml").read_text()
    assert yaml_read._read_fast(text) is SLOW
    assert read_yaml(text.encode(), "config.yaml") == python_tree(text)
    assert yaml.__with_libyaml__  # this machine tests the fast path above, not only this one
