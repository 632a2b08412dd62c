"""The one text cleaning: what the wall shows is visible and in the order it was written."""

import pytest

from socwall.text import one_line

BIDI = ["\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
        "\u2066", "\u2067", "\u2068", "\u2069"]  # fmt: skip


@pytest.mark.parametrize("mark", BIDI)
def test_every_bidi_control_is_removed_and_the_words_stay(mark):
    assert one_line(f"Patch {mark}now\u200b: exploited") == "Patch now: exploited"


def test_controls_go_whitespace_collapses_and_letters_of_every_script_stay():
    assert one_line("a\x00b\tc\n\nd\x1b[31m \x85e") == "ab c d[31m e"
    assert one_line("שלום مرحبا 你好 Ünïcödé") == "שלום مرحبا 你好 Ünïcödé"
