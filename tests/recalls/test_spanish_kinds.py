"""Spanish kind words read as the English kinds the recall data and the rules use."""

import pytest

from babyshield_chat.recalls.spanish_kinds import english_kinds, translate_tokens


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("la silla de auto graco", "la car seat graco"),
        ("el corralito", "el play yard"),
        ("una cuna de lado abatible", "una drop side crib"),
        ("el chupon y el biberon", "el pacifier y el bottle"),
        ("la sillita alta", "la high chair"),
        ("el nido de bebe", "el baby nest"),
        ("un cojin de lactancia", "un nursing pillow"),
    ],
)
def test_spanish_kinds_become_english_ones_longest_first(text, english):
    assert english_kinds(text) == english


def test_english_text_and_spanish_words_that_name_no_kind_are_left_alone():
    assert english_kinds("is the graco stroller recalled") == "is the graco stroller recalled"
    assert english_kinds("mi hermana tina") == "mi hermana tina"


def test_translated_tokens_say_where_each_kind_starts_and_how_long_it_is():
    tokens, kinds = translate_tokens("el corralito 4moms breeze y la silla de auto".split())

    assert tokens == ["el", "play", "yard", "4moms", "breeze", "y", "la", "car", "seat"]
    assert kinds == {1: 2, 7: 2}


def test_a_de_between_the_kind_and_the_brand_is_dropped():
    tokens, kinds = translate_tokens("el cochecito de graco".split())

    assert tokens == ["el", "stroller", "graco"] and kinds == {1: 1}
