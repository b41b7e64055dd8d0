"""Normalisation: the record and the question meet on one spelling."""

import pytest

from babyshield_chat.recalls.normalise import brand_key, compact, model_key, pair_joins, singular, words


@pytest.mark.parametrize(
    "spelling",
    ["Rock 'n Play", "Rock n Play", "Rock and Play", "rock & play", "ROCK ‘N’ PLAY", "Rock-n-Play", "rock n' play"],
)
def test_every_spelling_of_rock_n_play_gives_the_same_words(spelling):
    assert words(spelling) == ["rock", "play"]


@pytest.mark.parametrize("spelling", ["Fisher-Price", "Fisher Price", "fisherprice", "FISHER–PRICE®", "Fisher-Price, Inc."])
def test_brand_spellings_share_one_key(spelling):
    assert brand_key(spelling) == "fisherprice"


def test_brand_key_drops_legal_forms_and_the_place_after_a_comma():
    assert brand_key("The Boppy Company") == "boppy"
    assert brand_key("Peony Design Co., of Howell, MI") == "peonydesign"
    assert brand_key("Huizhou Huitong Crafts Co. Ltd., of China") == "huizhouhuitongcrafts"


def test_a_brand_made_only_of_legal_words_keeps_them():
    assert brand_key("The Company") == "thecompany"


def test_marks_accents_and_case_disappear():
    assert words("Nap Nanny® Chill™ Crème © (TM)") == ["nap", "nanny", "chill", "creme"]


@pytest.mark.parametrize(
    ("plural", "singular_form"),
    [("cribs", "crib"), ("sleepers", "sleeper"), ("babies", "baby"), ("boxes", "box"), ("mattresses", "mattress"),
     ("glasses", "glass"), ("toys", "toy"), ("onesies", "onesie"), ("rattles", "rattle"), ("children", "child"),
     ("strollers", "stroller"), ("highchairs", "highchair")],
)
def test_plurals_become_singular(plural, singular_form):
    assert singular(plural) == singular_form


@pytest.mark.parametrize("word", ["glass", "dress", "bus", "series", "kit", "seat", "atv"])
def test_words_that_are_not_plurals_stay(word):
    assert singular(word) == word


def test_possessives_and_hyphens_split_into_plain_words():
    assert words("Children's Drop-Side Cribs") == ["child", "drop", "side", "crib"]


def test_pair_joins_give_the_one_word_spelling_at_the_second_position():
    assert pair_joins(["high", "chair", "graco"]) == [(1, "highchair"), (2, "chairgraco")]


def test_pair_joins_skip_two_numbers():
    assert pair_joins(["12", "16"]) == []


@pytest.mark.parametrize("spelling", ["YJ MGC 5×5", "yj-mgc 5x5", "YJMGC 5 x 5", "yj.mgc.5X5"])
def test_model_numbers_compare_without_case_or_separators(spelling):
    assert model_key(spelling) == "YJMGC5X5"


def test_compact_is_the_cleaned_text_without_spaces():
    assert compact("Stork Craft Drop-Side Cribs™") == "storkcraftdropsidecribs"
