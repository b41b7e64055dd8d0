"""Tests for the text folding the rule matchers share."""

from __future__ import annotations

import pytest

from babyshield_chat.chat.text import fold


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Se Está AHOGANDO", "se esta ahogando"),
        ("niño pequeño", "nino pequeno"),
        ("he\u2019s choking", "he's choking"),
        ("isn\u02bct", "isn't"),
        ("choking\u2013hazard", "choking-hazard"),
        ("  two\n\tlines  ", "two lines"),
        ("Straße", "strasse"),
    ],
)
def test_fold_gives_one_spelling_for_what_phones_type(typed: str, folded: str) -> None:
    assert fold(typed) == folded


def test_fold_of_empty_text_is_empty() -> None:
    assert fold("") == ""
