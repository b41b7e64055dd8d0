"""Tests for the age check: age grading, category rules, and missing data."""

from __future__ import annotations

import datetime as dt

import pytest

from babyshield_chat.chat.model import Product
from babyshield_chat.chat.tools.age import check_age, child_age_months, format_age
from babyshield_chat.chat.tools.common import localized_detail

TODAY = dt.date(2026, 3, 15)


def born_months_ago(months: int) -> dt.date:
    year, month = divmod(TODAY.year * 12 + TODAY.month - 1 - months, 12)
    return dt.date(year, month + 1, 10)


def statuses(result) -> dict[str, str]:
    return {c.name: c.status for c in result.checks}


@pytest.mark.parametrize(
    ("birthdate", "today", "months"),
    [
        (dt.date(2025, 3, 15), dt.date(2026, 3, 15), 12),
        (dt.date(2025, 3, 16), dt.date(2026, 3, 15), 11),
        (dt.date(2026, 1, 31), dt.date(2026, 2, 28), 0),
        (dt.date(2026, 3, 15), dt.date(2026, 3, 15), 0),
        (dt.date(2026, 6, 1), dt.date(2026, 3, 15), -2),
    ],
)
def test_child_age_counts_whole_months(birthdate, today, months) -> None:
    assert child_age_months(birthdate, today) == months


@pytest.mark.parametrize(
    ("months", "language", "text"),
    [
        (1, "en", "1 month"),
        (18, "en", "18 months"),
        (36, "en", "3 years"),
        (30, "en", "2 years 6 months"),
        (30, "es", "2 años y 6 meses"),
    ],
)
def test_format_age_reads_naturally(months, language, text) -> None:
    assert format_age(months, language) == text


def test_child_younger_than_the_label_fails_the_age_grading() -> None:
    stroller_toy = Product(name="Activity arch", category="baby gear", age_min_months=6)

    result = check_age(stroller_toy, born_months_ago(4), TODAY)

    [check] = [c for c in result.checks if c.name == "age_minimum"]
    assert check.status == "fail"
    assert check.detail == "Labelled for 6 months and up; your child is 4 months."
    assert "age-grading" in {e.id for e in result.evidence}


def test_child_at_or_past_the_label_passes_the_age_grading() -> None:
    high_chair = Product(name="Stokke Tripp Trapp", category="high chairs", age_min_months=6)

    assert statuses(check_age(high_chair, born_months_ago(6), TODAY)) == {"age_minimum": "pass"}


@pytest.mark.parametrize(
    ("product", "birthdate", "detail_part"),
    [
        (None, born_months_ago(6), "No product"),
        (Product(name="Bouncer"), born_months_ago(6), "does not state a minimum age"),
        (Product(name="Bouncer", age_min_months=0), None, "add your child's birthdate"),
        (Product(name="Bouncer", age_min_months=0), dt.date(2026, 9, 1), "in the future"),
    ],
)
def test_missing_age_information_is_unknown_never_pass(product, birthdate, detail_part) -> None:
    [check] = [c for c in check_age(product, birthdate, TODAY).checks if c.name == "age_minimum"]

    assert check.status == "unknown"
    assert detail_part in check.detail


def test_rock_n_play_is_an_inclined_sleeper_banned_by_law() -> None:
    result = check_age(Product(name="Fisher-Price Newborn Rock 'n Play Sleeper"), born_months_ago(1), TODAY)

    assert statuses(result)["inclined_sleeper"] == "fail"
    assert {"safe-sleep-for-babies-act-2022", "16-cfr-1241", "aap-safe-sleep-2022"} <= {e.id for e in result.evidence}


@pytest.mark.parametrize(
    ("product", "check", "status"),
    [
        (Product(name="Padded crib bumper set", category="nursery bedding"), "crib_bumper", "fail"),
        (Product(name="Breathable mesh crib liner"), "crib_bumper", "warn"),
        (Product(name="Anti-roll sleep positioner"), "sleep_positioner", "fail"),
        (Product(name="Newborn head-shaping pillow"), "infant_pillow", "fail"),
        (Product(name="Boppy newborn lounger"), "not_for_sleep", "warn"),
        (Product(name="Weighted sleep sack 0-6 months"), "weighted_sleep", "warn"),
        (Product(name="In-bed sleeper for co-sleeping"), "in_bed_sleeper", "warn"),
        (Product(name="Classic drop-side crib", category="cribs"), "drop_side_crib", "fail"),
        (Product(name="Infant walker with activity tray"), "walker", "warn"),
        (Product(name="Ring sling carrier"), "sling", "warn"),
        (Product(name="Baby bath seat with suction cups"), "bath_seat", "warn"),
        (Product(name="Baltic amber teething necklace"), "teething_jewelry", "fail"),
    ],
)
def test_category_rules_for_a_two_month_old(product: Product, check: str, status: str) -> None:
    result = check_age(product, born_months_ago(2), TODAY)

    assert statuses(result)[check] == status
    assert result.evidence, "a category rule must cite what it is based on"


def test_push_walker_toy_is_not_treated_as_a_sit_in_walker() -> None:
    result = check_age(Product(name="VTech Sit-to-Stand Learning Walker", category="toys"), born_months_ago(10), TODAY)

    assert "walker" not in statuses(result)


def test_bassinet_warning_starts_when_babies_can_roll() -> None:
    bassinet = Product(name="Halo BassiNest Swivel Sleeper bassinet")

    newborn = check_age(bassinet, born_months_ago(1), TODAY)
    older = check_age(bassinet, born_months_ago(6), TODAY)

    assert "bassinet_outgrown" not in statuses(newborn)
    assert statuses(older)["bassinet_outgrown"] == "warn"
    assert "16-cfr-1218" in {e.id for e in older.evidence}


class TestSmallParts:
    def test_toy_graded_three_plus_fails_for_a_toddler(self) -> None:
        lego = Product(name="LEGO Classic Creative Bricks", category="toys", age_min_months=48)

        result = check_age(lego, born_months_ago(17), TODAY)

        assert statuses(result) == {"age_minimum": "fail", "small_parts": "fail"}
        assert "16-cfr-1501" in {e.id for e in result.evidence}

    def test_toy_without_grading_warns_for_an_under_three(self) -> None:
        result = check_age(Product(name="Wooden stacking rings", category="toys"), born_months_ago(9), TODAY)

        assert statuses(result)["small_parts"] == "warn"
        assert "toilet-paper tube" in result.checks[1].detail

    def test_marbles_fail_for_under_three_even_without_grading(self) -> None:
        result = check_age(Product(name="Glass marbles set"), born_months_ago(20), TODAY)

        assert statuses(result)["small_parts"] == "fail"

    def test_small_parts_pass_once_the_child_is_over_three(self) -> None:
        result = check_age(
            Product(name="Puzzle 100 pieces", category="toys", age_min_months=36), born_months_ago(50), TODAY
        )

        assert statuses(result) == {"age_minimum": "pass", "small_parts": "pass"}

    def test_unknown_child_age_with_a_three_plus_toy_warns_not_passes(self) -> None:
        result = check_age(Product(name="Play-Doh set", category="toys", age_min_months=36), None, TODAY)

        assert statuses(result) == {"age_minimum": "unknown", "small_parts": "warn"}

    def test_unknown_child_age_and_ungraded_toy_is_unknown(self) -> None:
        result = check_age(Product(name="Rubber duck toy"), None, TODAY)

        assert statuses(result)["small_parts"] == "unknown"


@pytest.mark.parametrize(
    ("age_months", "status"),
    [(30, "fail"), (170, "pass"), (None, "warn")],
)
def test_magnet_sets_are_for_fourteen_and_up(age_months, status) -> None:
    birthdate = born_months_ago(age_months) if age_months is not None else None

    result = check_age(Product(name="Neodymium magnetic balls set"), birthdate, TODAY)

    assert statuses(result)["magnets"] == status


@pytest.mark.parametrize(("age_months", "status"), [(8, "fail"), (14, "pass"), (None, "warn")])
def test_honey_is_not_for_babies_under_twelve_months(age_months, status) -> None:
    biscuits = Product(name="Teething biscuits", ingredients=["Wheat flour", "Honey", "Butter"])
    birthdate = born_months_ago(age_months) if age_months is not None else None

    result = check_age(biscuits, birthdate, TODAY)

    assert statuses(result)["honey"] == status


def test_benzocaine_teething_gel_fails_under_two() -> None:
    gel = Product(name="Baby teething gel", ingredients=["Benzocaine 7.5%", "Glycerin"])

    assert statuses(check_age(gel, born_months_ago(7), TODAY))["benzocaine"] == "fail"


def test_balloons_warn_until_eight_years() -> None:
    balloons = Product(name="Party balloons 50 pack")

    assert statuses(check_age(balloons, born_months_ago(60), TODAY))["balloons"] == "warn"
    assert "balloons" not in statuses(check_age(balloons, born_months_ago(100), TODAY))


def test_an_unrelated_product_gets_only_the_age_grading_check() -> None:
    result = check_age(
        Product(name="Organic cotton onesie", category="clothing", age_min_months=0), born_months_ago(3), TODAY
    )

    assert statuses(result) == {"age_minimum": "pass"}
    assert result.facts["rules_matched"] == []


def test_every_check_has_a_spanish_detail() -> None:
    result = check_age(Product(name="LEGO bricks", category="toys", age_min_months=48), born_months_ago(17), TODAY)

    for check in result.checks:
        assert localized_detail(check, result, "es") != check.detail
    assert localized_detail(result.checks[0], result, "es") == "Indicado a partir de 4 años; su hijo tiene 17 meses."
