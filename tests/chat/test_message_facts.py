"""Facts a parent states in the message: ages, pregnancy, allergies (spec 4b.6)."""

from __future__ import annotations

import pytest

from babyshield_chat.chat.message_facts import (
    allergens_asked,
    allergies_stated,
    breastfeeding_stated,
    child_age_stated,
    pregnancy_stated,
    read_message,
)


@pytest.mark.parametrize(
    ("message", "months", "weeks", "newborn"),
    [
        ("Can my 3 month old use this?", 3, None, False),
        ("is this ok for my 5 week old?", 1, 5, False),
        ("5-week-old in this?", 1, 5, False),
        ("6 wk old ok in this?", 1, 6, False),
        ("can my 3 mo sit in this high chair?", 3, None, False),
        ("is this ok for my 18 months old?", 18, None, False),
        ("my 2 year old wants this, ok?", 24, None, False),
        ("my 2 yo loves puzzles", 24, None, False),
        ("my daughter is 4 months, can she use this jumper?", 4, None, False),
        ("she's almost 2 years, ok?", 24, None, False),
        ("18 months - can he ride this?", 18, None, False),
        ("a one year old and a half?", 12, None, False),
        ("can my newborn go in this?", 0, None, True),
        ("3 week old newborn, temperature 100.4", 0, 3, False),
        ("¿Mi bebé de 3 meses puede usar esto?", 3, None, False),
        ("mi hija de 2 años puede jugar con esto", 24, None, False),
        ("tiene 5 meses, ¿puede usarlo?", 5, None, False),
        ("¿Puede dormir mi recién nacido aquí?", 0, None, True),
    ],
)
def test_a_childs_age_is_read_however_a_parent_writes_it(message, months, weeks, newborn) -> None:
    age = child_age_stated(message)

    assert age is not None
    assert (age.months, age.weeks, age.newborn, age.source) == (months, weeks, newborn, "message")


@pytest.mark.parametrize(
    "message",
    [
        "is it for 6 months and up?",
        "I'm 30 weeks pregnant, is this ok?",
        "Estoy embarazada de 20 semanas",
        "we bought it 3 months ago",
        "does it come with a 2 year warranty?",
        "was this one recalled? it's the newborn model",
        "is this stroller recalled?",
    ],
)
def test_numbers_that_are_not_the_childs_age_are_not_read_as_one(message) -> None:
    assert child_age_stated(message) is None


def test_the_first_age_in_the_message_is_the_one_asked_about() -> None:
    assert child_age_stated("my 10 month old is allergic to wheat; his brother is 4 years old").months == 10


@pytest.mark.parametrize(
    ("message", "trimester", "weeks"),
    [
        ("I'm 30 weeks pregnant, is this ok?", 3, 30),
        ("12 weeks pregnant, is this prenatal ok?", 1, 12),
        ("20 weeks along - can I use it?", 2, 20),
        ("third trimester - can I take this for back pain?", 3, None),
        ("in my 2nd trimester", 2, None),
        ("Estoy embarazada de 20 semanas, ¿puedo usar esta crema?", 2, 20),
        ("Estoy en el tercer trimestre", 3, None),
        ("pregnant - can i eat this?", None, None),
        ("is it fine during pregnancy?", None, None),
        ("estoy embarazada, ¿puedo tomarlo?", None, None),
    ],
)
def test_a_pregnancy_is_read_with_its_stage_when_given(message, trimester, weeks) -> None:
    pregnancy = pregnancy_stated(message)

    assert pregnancy is not None
    assert (pregnancy.trimester, pregnancy.weeks, pregnancy.source) == (trimester, weeks, "message")


@pytest.mark.parametrize("message", ["I'm not pregnant", "we are trying to get pregnant", "is this ok for my son?"])
def test_no_pregnancy_is_read_where_none_is_stated(message) -> None:
    assert pregnancy_stated(message) is None


@pytest.mark.parametrize(
    ("question", "stated"),
    [
        ("My son is allergic to milk, is this formula OK?", ["milk"]),
        ("my son has a milk allergy, is this ok for him?", ["milk"]),
        ("ok for my soy-allergic toddler?", ["soy"]),
        ("tiene alergia al huevo", ["huevo"]),
        ("mi hija es alérgica a la leche", ["leche"]),
        ("he is not allergic to milk", []),
        ("is this formula ok?", []),
        ("allergic to dogs, is this blanket ok?", []),
        ("he can't have eggs, ok?", ["eggs"]),
        ("she cannot eat dairy", ["dairy"]),
        ("my son is lactose intolerant, is this ok?", ["lactose"]),
        ("mi hijo no puede tomar leche", ["leche"]),
        ("she can't have too much sugar", []),
        ("he can't eat solids yet", []),
    ],
)
def test_allergies_stated_in_a_question_are_found(question, stated) -> None:
    assert allergies_stated(question) == stated


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("Is this ok for my 3 month old and does it have soy?", ["soy"]),
        ("is there milk in this?", ["milk"]),
        ("are there any tree nuts in it?", ["tree nuts"]),
        ("¿tiene leche?", ["leche"]),
        ("my son has a milk allergy", []),
        ("any recall on this?", []),
    ],
)
def test_allergens_a_question_only_asks_about_are_found(question, asked) -> None:
    assert allergens_asked(question) == asked


def test_an_allergen_both_stated_and_asked_about_is_an_allergy() -> None:
    stated = read_message("my son is allergic to milk - does it have milk?")

    assert stated.allergies == ["milk"] and stated.asked_allergens == []


@pytest.mark.parametrize(
    "message",
    ["can I take this while breastfeeding?", "is advil ok when breast feeding", "I'm nursing, is this ok?",
     "safe while lactating?", "¿puedo tomarlo durante la lactancia?", "estoy amamantando", "le estoy dando pecho"],
)
def test_breastfeeding_is_read_and_is_not_a_pregnancy(message) -> None:
    assert breastfeeding_stated(message)
    assert read_message(message).breastfeeding and read_message(message).pregnancy is None


@pytest.mark.parametrize(
    "message", ["is this nursing pillow safe for naps?", "¿el cojín de lactancia es seguro?", "I'm 20 weeks pregnant",
                "is this bottle ok for my breastfed baby?"]
)
def test_a_nursing_pillow_or_a_pregnancy_is_not_breastfeeding(message) -> None:
    assert not breastfeeding_stated(message)


def test_a_message_with_nothing_to_read_states_nothing() -> None:
    stated = read_message("Is this recalled?")

    assert (stated.child_age, stated.pregnancy, stated.allergies, stated.asked_allergens) == (None, None, [], [])
