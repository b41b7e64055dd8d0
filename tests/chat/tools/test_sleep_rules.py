"""Tests for the safe-sleep rules of the age check."""

from __future__ import annotations

import pytest

from babyshield_chat.chat.model import Product


def test_rock_n_play_is_an_inclined_sleeper_banned_by_law(age_result) -> None:
    result = age_result(Product(name="Fisher-Price Newborn Rock 'n Play Sleeper"), 1)

    assert {c.name: c.status for c in result.checks}["inclined_sleeper"] == "fail"
    assert {"safe-sleep-for-babies-act-2022", "16-cfr-1241", "aap-safe-sleep-2022"} <= {e.id for e in result.evidence}


@pytest.mark.parametrize(
    ("product", "check", "status"),
    [
        (Product(name="Padded crib bumper set", category="nursery bedding"), "crib_bumper", "fail"),
        (Product(name="Breathable mesh crib liner"), "crib_bumper", "warn"),
        (Product(name="Anti-roll sleep positioner"), "sleep_positioner", "fail"),
        (Product(name="Baby reflux wedge pillow"), "sleep_positioner", "fail"),
        (Product(name="Newborn head-shaping pillow"), "infant_pillow", "fail"),
        (Product(name="Boppy newborn lounger"), "not_for_sleep", "warn"),
        (Product(name="Weighted sleep sack 0-6 months"), "weighted_sleep", "warn"),
        (Product(name="In-bed sleeper for co-sleeping"), "in_bed_sleeper", "warn"),
        (Product(name="Organic cotton baby nest"), "not_for_sleep", "warn"),
        (Product(name="Sleepyhead Deluxe+ baby pod"), "not_for_sleep", "warn"),
        (Product(name="DockATot Deluxe+"), "not_for_sleep", "warn"),
        (Product(name="Acme co-sleeper"), "co_sleeper", "warn"),
        (Product(name="Zobbler infant sleeper"), "infant_sleeper", "warn"),
        (Product(name="Classic drop-side crib", category="cribs"), "drop_side_crib", "fail"),
    ],
)
def test_sleep_products_for_a_two_month_old(age_result, product: Product, check: str, status: str) -> None:
    result = age_result(product, 2)

    assert {c.name: c.status for c in result.checks}[check] == status
    assert result.evidence, "a safe-sleep rule must cite what it is based on"


@pytest.mark.parametrize(("months", "status"), [(6, "fail"), (18, "warn"), (None, "warn")])
def test_infant_pillow_fails_in_the_first_year_and_warns_after(age_statuses, months, status) -> None:
    assert age_statuses(Product(name="Toddler pillow"), months)["infant_pillow"] == status


def test_bassinet_warning_starts_when_babies_can_roll(age_statuses, age_result) -> None:
    bassinet = Product(name="Halo BassiNest Swivel Sleeper bassinet")

    assert "bassinet_outgrown" not in age_statuses(bassinet, 1)
    older = age_result(bassinet, 6)
    assert {c.name: c.status for c in older.checks}["bassinet_outgrown"] == "warn"
    assert "16-cfr-1218" in {e.id for e in older.evidence}


def test_an_ordinary_crib_has_no_safe_sleep_finding(age_statuses) -> None:
    assert age_statuses(Product(name="Babyletto Hudson 3-in-1 convertible crib", category="cribs"), 3) == {
        "age_minimum": "unknown"
    }


def test_an_inclined_infant_sleeper_is_the_banned_kind_not_the_flat_one(age_statuses) -> None:
    statuses = age_statuses(Product(name="Inclined infant sleeper"), 2)

    assert statuses["inclined_sleeper"] == "fail" and "infant_sleeper" not in statuses


@pytest.mark.parametrize(
    ("product", "check"),
    [
        (Product(name="Columpio para bebé"), "sitting_device"),
        (Product(name="Silla de auto Graco"), "sitting_device"),
        (Product(name="Nido de bebé"), "not_for_sleep"),
        (Product(name="Protector de cuna acolchado"), "crib_bumper"),
        (Product(name="Posicionador para dormir"), "sleep_positioner"),
        (Product(name="Moisés de mimbre"), "bassinet_outgrown"),
        (Product(name="Saco de dormir con peso"), "weighted_sleep"),
    ],
)
def test_spanish_product_names_meet_the_same_rules(age_statuses, product: Product, check: str) -> None:
    assert check in age_statuses(product, 6)
