"""Tests for the age check: the product's age grading, missing data, and how rules join in."""

from __future__ import annotations

import datetime as dt

import pytest

from babyshield_chat.chat.model import ChildAge, Product
from babyshield_chat.chat.tools.age import check_age, kind_named_in
from babyshield_chat.chat.tools.common import localized_detail


def test_child_younger_than_the_label_fails_the_age_grading(age_result) -> None:
    activity_arch = Product(name="Activity arch", category="baby gear", age_min_months=6)

    result = age_result(activity_arch, 4)

    [check] = [c for c in result.checks if c.name == "age_minimum"]
    assert check.status == "fail"
    assert check.detail == "Labelled for 6 months and up; your child is 4 months old by the birthdate in your profile."
    assert "age-grading" in {e.id for e in result.evidence}
    assert result.facts["child_age_months"] == 4


def test_child_at_or_past_the_label_passes_the_age_grading(age_statuses) -> None:
    high_chair = Product(name="Stokke Tripp Trapp", category="high chairs", age_min_months=6)

    assert age_statuses(high_chair, 6) == {"age_minimum": "pass"}


@pytest.mark.parametrize(
    ("product", "months", "detail_part"),
    [
        (None, 6, "No product"),
        (Product(name="Bouncer"), 6, "does not state a minimum age"),
        (Product(name="Bouncer", age_min_months=0), None, "tell us how old your child is, or add the birthdate"),
    ],
)
def test_missing_age_information_is_unknown_never_pass(age_result, product, months, detail_part) -> None:
    [check] = [c for c in age_result(product, months).checks if c.name == "age_minimum"]

    assert check.status == "unknown"
    assert detail_part in check.detail


def test_birthdate_in_the_future_is_unknown() -> None:
    result = check_age(Product(name="Activity mat", age_min_months=0), dt.date(2026, 9, 1), dt.date(2026, 3, 15))

    assert [(c.status, c.detail) for c in result.checks] == [
        ("unknown", "Labelled for 0 months and up; the birthdate in your profile is in the future.")
    ]
    assert result.facts["child_age_months"] is None


@pytest.mark.parametrize(
    ("stated", "said"),
    [
        (ChildAge(months=1, weeks=5, source="message"), "you said your baby is 5 weeks old"),
        (ChildAge(months=0, newborn=True, source="message"), "you said your baby is a newborn"),
        (ChildAge(months=24, source="message"), "you said your child is 2 years old"),
    ],
)
def test_an_age_stated_in_the_message_wins_and_is_said_to_come_from_it(stated, said) -> None:
    jumper = Product(name="Doorway jumper", age_min_months=36)
    # The profile's child is 4 years old: old enough, but the message is about another child.
    result = check_age(jumper, dt.date(2022, 3, 1), dt.date(2026, 3, 15), stated=stated)

    [check] = [c for c in result.checks if c.name == "age_minimum"]
    assert check.status == "fail"
    assert check.detail == f"Labelled for 3 years and up; {said}."
    assert "profile" not in check.detail
    assert result.facts["child_age_source"] == "message"


def test_a_spanish_stated_age_is_said_in_spanish() -> None:
    result = check_age(Product(name="Andador", age_min_months=6), None, dt.date(2026, 3, 15),
                       stated=ChildAge(months=3, source="message"))

    assert localized_detail(result.checks[0], result, "es") == "Indicado a partir de 6 meses; nos dijo que su bebé " \
                                                              "tiene 3 meses."


def test_an_unrelated_product_gets_only_the_age_grading_check(age_result) -> None:
    result = age_result(Product(name="Organic cotton onesie", category="clothing", age_min_months=0), 3)

    assert [c.name for c in result.checks] == ["age_minimum"]
    assert result.facts["rules_matched"] == []


def test_category_rules_follow_the_age_grading_with_their_citations(age_result) -> None:
    result = age_result(Product(name="LEGO Classic Creative Bricks", category="toys", age_min_months=48), 17)

    assert [(c.name, c.status) for c in result.checks] == [("age_minimum", "fail"), ("small_parts", "fail")]
    assert result.facts["rules_matched"] == ["small_parts"]
    assert [e.id for e in result.evidence] == ["age-grading", "16-cfr-1501", "16-cfr-1500.19"]


def test_every_check_has_a_spanish_detail(age_result) -> None:
    result = age_result(Product(name="LEGO bricks", category="toys", age_min_months=48), 17)

    for check in result.checks:
        assert localized_detail(check, result, "es") != check.detail
    assert localized_detail(result.checks[0], result, "es") == (
        "Indicado a partir de 4 años; su hijo tiene 17 meses según la fecha de nacimiento de su perfil."
    )


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("can my baby sleep in the dockatot?", "dockatot"),
        ("can my baby sleep in a weighted sleep sack?", "weighted sleep sack"),
        ("¿mi bebé puede dormir con saco de dormir con peso?", "weighted sleep sack"),
        ("can my baby sleep on the couch?", None),
    ],
)
def test_the_kind_a_rule_is_about_is_found_in_a_message(message, kind) -> None:
    assert kind_named_in(message) == kind
