"""Tests for the age check's toy and gear rules, and the rule machinery."""

from __future__ import annotations

import re

import pytest

from babyshield_chat.chat.model import Product
from babyshield_chat.chat.tools.age_rules import CategoryRule, RuleContext, apply_rules
from babyshield_chat.chat.tools.common import CheckOutcome, Citation, Says


@pytest.mark.parametrize(
    ("product", "check", "status"),
    [
        (Product(name="Infant walker with activity tray"), "walker", "warn"),
        (Product(name="Ring sling carrier"), "sling", "warn"),
        (Product(name="Baby bath seat with suction cups"), "bath_seat", "warn"),
        (Product(name="Baltic amber teething necklace"), "teething_jewelry", "fail"),
    ],
)
def test_gear_rules_for_a_two_month_old(age_result, product: Product, check: str, status: str) -> None:
    result = age_result(product, 2)

    assert {c.name: c.status for c in result.checks}[check] == status
    assert result.evidence, "a rule must cite what it is based on"


def test_push_walker_toy_is_not_treated_as_a_sit_in_walker(age_statuses) -> None:
    assert "walker" not in age_statuses(Product(name="VTech Sit-to-Stand Learning Walker", category="toys"), 10)


def test_sling_warning_is_for_babies_under_four_months(age_statuses) -> None:
    sling = Product(name="Ring sling carrier")

    assert age_statuses(sling, 2)["sling"] == "warn"
    assert "sling" not in age_statuses(sling, 8)


class TestSmallParts:
    def test_toy_graded_three_plus_fails_for_a_toddler(self, age_statuses) -> None:
        lego = Product(name="LEGO Classic Creative Bricks", category="toys", age_min_months=48)

        assert age_statuses(lego, 17)["small_parts"] == "fail"

    def test_toy_without_grading_warns_for_an_under_three(self, age_result) -> None:
        result = age_result(Product(name="Wooden stacking rings", category="toys"), 9)

        [check] = [c for c in result.checks if c.name == "small_parts"]
        assert check.status == "warn"
        assert "toilet-paper tube" in check.detail

    def test_marbles_fail_for_under_three_even_without_grading(self, age_statuses) -> None:
        assert age_statuses(Product(name="Glass marbles set"), 20)["small_parts"] == "fail"

    def test_small_parts_pass_once_the_child_is_over_three(self, age_statuses) -> None:
        puzzle = Product(name="Puzzle 100 pieces", category="toys", age_min_months=36)

        assert age_statuses(puzzle, 50) == {"age_minimum": "pass", "small_parts": "pass"}

    def test_unknown_child_age_with_a_three_plus_toy_warns_not_passes(self, age_statuses) -> None:
        play_doh = Product(name="Play-Doh set", category="toys", age_min_months=36)

        assert age_statuses(play_doh, None) == {"age_minimum": "unknown", "small_parts": "warn"}

    def test_unknown_child_age_and_ungraded_toy_is_unknown(self, age_statuses) -> None:
        assert age_statuses(Product(name="Rubber duck toy"), None)["small_parts"] == "unknown"


@pytest.mark.parametrize(("months", "status"), [(30, "fail"), (170, "pass"), (None, "warn")])
def test_magnet_sets_are_for_fourteen_and_up(age_statuses, months, status) -> None:
    assert age_statuses(Product(name="Neodymium magnetic balls set"), months)["magnets"] == status


@pytest.mark.parametrize(("months", "status"), [(8, "fail"), (14, "pass"), (None, "warn")])
def test_honey_is_not_for_babies_under_twelve_months(age_statuses, months, status) -> None:
    biscuits = Product(name="Teething biscuits", ingredients=["Wheat flour", "Honey", "Butter"])

    assert age_statuses(biscuits, months)["honey"] == status


def test_benzocaine_teething_gel_fails_under_two(age_statuses) -> None:
    gel = Product(name="Baby teething gel", ingredients=["Benzocaine 7.5%", "Glycerin"])

    assert age_statuses(gel, 7)["benzocaine"] == "fail"


def test_balloons_warn_until_eight_years(age_statuses) -> None:
    balloons = Product(name="Party balloons 50 pack")

    assert age_statuses(balloons, 60)["balloons"] == "warn"
    assert "balloons" not in age_statuses(balloons, 100)


def test_apply_rules_skips_rules_that_do_not_match_or_decline() -> None:
    cite = Citation("guideline", "g", "A guideline")
    says = Says("x", "x")
    rules = (
        CategoryRule(re.compile(r"\bkite\b"), lambda ctx: CheckOutcome("kite", "warn", says), (cite,)),
        CategoryRule(re.compile(r"\bcrib\b"), lambda ctx: None, (cite,)),
        CategoryRule(re.compile(r"\bcrib\b"), lambda ctx: CheckOutcome("crib", "pass", says), (cite,)),
        CategoryRule(
            re.compile(r"\bhoney\b"), lambda ctx: CheckOutcome("honey", "fail", says), (), on_ingredients=True
        ),
    )
    ctx = RuleContext(text="wooden crib", ingredients="", age=3, age_min=None)

    assert [(o.name, c) for o, c in apply_rules(rules, ctx)] == [("crib", (cite,))]
