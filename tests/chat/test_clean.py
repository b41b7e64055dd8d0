"""Clean text: one full stop, cuts at a sentence with "…", short titles (spec 4b.10)."""

from __future__ import annotations

import pytest

from babyshield_chat.chat.clean import end_sentence, short_title, shorten, shown_number, tidy


@pytest.mark.parametrize(
    ("text", "ended"),
    [("Fall hazard", "Fall hazard."), ("Fall hazard.", "Fall hazard."), ("Fall hazard..", "Fall hazard."),
     ("Call now!", "Call now!"), ("Wait...", "Wait..."), ("Risk, ", "Risk."), ("", "")],
)
def test_a_sentence_ends_with_exactly_one_stop(text, ended) -> None:
    assert end_sentence(text) == ended


def test_a_short_text_is_kept_whole() -> None:
    assert shorten("The latch can break.") == "The latch can break."


def test_a_long_text_is_cut_after_a_whole_sentence_with_an_ellipsis() -> None:
    text = "The latch can break. " + "More detail follows here. " * 20

    cut = shorten(text, 80)

    assert cut.startswith("The latch can break. More detail follows here.") and cut.endswith(" …")
    assert len(cut) <= 82


def test_a_long_first_sentence_is_cut_at_a_word() -> None:
    cut = shorten("word " * 100, 50)

    assert cut.endswith("word…") and len(cut) <= 51


def test_tidy_leaves_one_stop_and_no_space_before_punctuation() -> None:
    assert tidy("It was recalled.. Stop using it !  Now.") == "It was recalled. Stop using it! Now."
    assert tidy("Wait...") == "Wait..."
    assert tidy("Is it ok?.") == "Is it ok?"


def test_a_long_title_is_cut_after_a_clause() -> None:
    title = ("Abbott Similac Advance Infant Formula with Iron 12.4oz, 6 cans per case, UPC 070074533605, "
             "distributed nationwide")

    assert short_title(title) == "Abbott Similac Advance Infant Formula with Iron 12.4oz…"
    assert short_title("Thule Sleek strollers") == "Thule Sleek strollers"


def test_a_page_slug_is_no_recall_number_to_show() -> None:
    assert shown_number("13115") == "13115"
    assert shown_number("F-0935-2022") == "F-0935-2022"
    assert shown_number("2023/Fisher-Price-Reannounces-Recall-of-Rock-n-Play") is None
    assert shown_number(None) is None
