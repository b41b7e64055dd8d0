"""Tests for the pregnancy check: what to avoid or limit, in which products, at which stage."""

from __future__ import annotations

import pytest

from babyshield_chat.chat.model import Pregnancy, Product, Profile
from babyshield_chat.chat.tools.common import localized_detail
from babyshield_chat.chat.tools.pregnancy import check_pregnancy, find_concerns, product_use

RETINOL_SERUM = Product(
    name="Retinol 0.5% in Squalane",
    category="skincare serum",
    ingredients=["Squalane", "Caprylic/Capric Triglyceride", "Retinol", "Hydroxymethoxyphenyl Decanoic Acid"],
)
PRENATAL = Product(
    name="Prenatal multivitamin",
    category="supplements",
    ingredients=[
        "Vitamin A (as retinyl palmitate)",
        "Folic acid",
        "Iron (as ferrous fumarate)",
        "DHA (from algal oil)",
    ],
)
BETA_CAROTENE_PRENATAL = Product(
    name="Prenatal gummies",
    category="supplements",
    ingredients=["Vitamin A (as beta carotene)", "Folate", "Pectin"],
)
IBUPROFEN = Product(name="Advil tablets", category="pain relief", ingredients=["Ibuprofen 200 mg", "Corn starch"])
BABY_LOTION = Product(
    name="Baby lotion",
    category="lotion",
    ingredients=["Water", "Glycerin", "Cetyl Alcohol", "Fragrance", "Phenoxyethanol"],
)
TUNA_ROLL = Product(name="Spicy tuna roll sushi", category="food", ingredients=["Sushi rice", "Raw tuna", "Nori"])
OATMEAL = Product(name="Instant oatmeal", category="food", ingredients=["Whole grain oats", "Cane sugar", "Salt"])


def check(product: Product | None, trimester: int | None = None):
    result = check_pregnancy(product, Profile(pregnancy_trimester=trimester))
    [only] = result.checks
    return result, only


@pytest.mark.parametrize(
    ("product", "use"),
    [
        (RETINOL_SERUM, "topical"),
        (PRENATAL, "dietary"),
        (IBUPROFEN, "dietary"),
        (BABY_LOTION, "topical"),
        (Product(name="Bio-Oil"), "unknown"),
    ],
)
def test_product_use_is_read_from_name_and_category(product: Product, use: str) -> None:
    assert product_use(product) == use


def test_retinol_serum_is_to_avoid_citing_acog() -> None:
    result, only = check(RETINOL_SERUM, trimester=1)

    assert only.status == "fail"
    assert only.detail.startswith("Avoid in pregnancy: Retinol (a retinoid")
    assert [e.id for e in result.evidence] == ["acog-skin-conditions-pregnancy"]


def test_vitamin_a_in_a_prenatal_is_a_limit_not_a_ban() -> None:
    result, only = check(PRENATAL, trimester=2)

    assert only.status == "warn"
    assert "10,000 IU" in only.detail
    assert result.facts["findings"][0]["concern"] == "vitamin_a"


def test_beta_carotene_is_not_preformed_vitamin_a() -> None:
    _, only = check(BETA_CAROTENE_PRENATAL)

    assert only.status == "pass"


@pytest.mark.parametrize(("trimester", "status"), [(1, "warn"), (2, "warn"), (3, "fail"), (None, "warn")])
def test_nsaids_are_the_one_trimester_aware_rule(trimester: int | None, status: str) -> None:
    result, only = check(IBUPROFEN, trimester)

    assert only.status == status
    assert "20 weeks" in only.detail
    assert "fda-nsaids-20-weeks" in {e.id for e in result.evidence}


def test_nsaid_detail_says_when_the_stage_is_unknown() -> None:
    _, only = check(IBUPROFEN, None)

    assert "We do not know how far along you are." in only.detail


@pytest.mark.parametrize(("weeks", "status"), [(19, "warn"), (20, "fail"), (30, "fail")])
def test_weeks_stated_in_the_message_decide_the_nsaid_rule_and_are_credited_to_it(weeks, status) -> None:
    stated = Pregnancy(trimester=2 if weeks < 28 else 3, weeks=weeks, source="message")

    [only] = check_pregnancy(IBUPROFEN, Profile(pregnancy_trimester=1), stated).checks

    assert only.status == status
    assert f"You said you are {weeks} weeks pregnant." in only.detail


def test_a_trimester_stated_in_the_message_wins_over_the_profile() -> None:
    stated = Pregnancy(trimester=3, source="message")

    [only] = check_pregnancy(IBUPROFEN, Profile(pregnancy_trimester=1), stated).checks

    assert only.status == "fail"
    assert "You said you are in the third trimester." in only.detail


def test_the_product_name_counts_when_no_ingredient_shows_the_concern() -> None:
    queso = Product(name="Queso fresco cheese", ingredients=["milk", "salt", "enzymes"])

    [only] = check_pregnancy(queso, Profile(pregnancy_trimester=1)).checks

    assert only.status == "warn"
    assert "pasteurised" in only.detail and "Queso fresco cheese" in only.detail


def test_spanish_names_tell_a_cream_from_a_food() -> None:
    assert product_use(Product(name="Crema de noche con retinol")) == "topical"
    assert product_use(Product(name="Ibuprofeno 200 mg tabletas")) == "dietary"


def test_trimester_does_not_change_rules_that_do_not_depend_on_it() -> None:
    statuses = {check(RETINOL_SERUM, t)[1].status for t in (1, 2, 3, None)}

    assert statuses == {"fail"}


def test_fragrance_warns_but_fatty_alcohol_in_a_lotion_is_not_alcohol() -> None:
    result, only = check(BABY_LOTION, 2)

    assert only.status == "warn"
    assert [f["concern"] for f in result.facts["findings"]] == ["fragrance"]


@pytest.mark.parametrize(
    ("ingredient", "concern", "status"),
    [
        ("Raw milk", "unpasteurised_dairy", "fail"),
        ("Queso fresco", "soft_cheese", "warn"),
        ("Brie (made with pasteurized milk)", None, None),
        ("Smoked salmon", "smoked_seafood", "warn"),
        ("Deli turkey slices", "deli_meat", "warn"),
        ("Beef hot dogs", "deli_meat", "warn"),
        ("Chicken liver pâté", "deli_meat", "warn"),
        ("Swordfish steak", "high_mercury_fish", "fail"),
        ("Red wine", "alcohol", "fail"),
        ("Red wine vinegar", None, None),
        ("Guarana extract", "caffeine", "warn"),
        ("Pennyroyal leaf", "unsafe_herb", "fail"),
        ("Blue cohosh root", "unsafe_herb", "fail"),
        ("Dong quai root", "herb_to_avoid", "warn"),
        ("Ma huang (ephedra)", "ephedra", "fail"),
        ("Diethyl phthalate", "phthalates", "warn"),
    ],
)
def test_food_and_supplement_concerns(ingredient: str, concern: str | None, status: str | None) -> None:
    findings = find_concerns(Product(name="Snack box", category="food", ingredients=[ingredient]), None)

    assert [(f.concern.key, f.status) for f in findings] == ([(concern, status)] if concern else [])


@pytest.mark.parametrize(
    ("ingredient", "concern", "status"),
    [
        ("Salicylic acid 2%", "salicylic_acid", "warn"),
        ("Hydroquinone 2%", "hydroquinone", "warn"),
        ("Tretinoin 0.025%", "topical_retinoid", "fail"),
        ("Tazarotene", "oral_retinoid", "fail"),
        ("Alcohol denat.", None, None),
        ("Caffeine", None, None),
    ],
)
def test_skin_product_concerns(ingredient: str, concern: str | None, status: str | None) -> None:
    findings = find_concerns(Product(name="Face cream", category="skincare", ingredients=[ingredient]), None)

    assert [(f.concern.key, f.status) for f in findings] == ([(concern, status)] if concern else [])


def test_avoid_items_are_listed_before_use_with_care_items() -> None:
    mix = Product(name="Herbal tea blend", category="tea", ingredients=["Black tea", "Coffee", "Pennyroyal"])

    _, only = check(mix, 2)

    assert only.status == "fail"
    assert only.detail.index("Avoid in pregnancy: Pennyroyal") < only.detail.index("Use with care in pregnancy: Coffee")


def test_raw_fish_fails_with_fda_fish_advice() -> None:
    result, only = check(TUNA_ROLL, 1)

    assert only.status == "fail"
    assert "fda-epa-advice-about-eating-fish" in {e.id for e in result.evidence}


def test_nothing_on_the_list_passes_but_says_it_is_not_a_full_review() -> None:
    result, only = check(OATMEAL, 1)

    assert only.status == "pass"
    assert "None of the 3 listed ingredients" in only.detail
    assert "not a full medical review" in only.detail
    assert result.evidence == []


@pytest.mark.parametrize(
    ("product", "detail_part"),
    [(None, "No product was given"), (Product(name="Belly butter"), "no ingredient list")],
)
def test_missing_ingredients_are_unknown_never_pass(product: Product | None, detail_part: str) -> None:
    _, only = check(product, 2)

    assert only.status == "unknown"
    assert detail_part in only.detail


def test_spanish_detail_lists_the_same_findings() -> None:
    result, only = check(RETINOL_SERUM, 1)

    assert localized_detail(only, result, "es").startswith("Evitar en el embarazo: Retinol (un retinoide")


@pytest.mark.parametrize("profile", [Profile(), Profile(pregnancy_trimester=3)])
def test_a_breastfeeding_question_gets_no_pregnancy_guidance_but_where_to_ask(profile: Profile) -> None:
    result = check_pregnancy(Product(name="Ibuprofen", ingredients=["ibuprofen"]), profile, breastfeeding=True)

    assert [(c.name, c.status) for c in result.checks] == [("breastfeeding", "unknown")]
    detail = result.checks[0].detail
    assert "not breastfeeding" in detail and "pharmacist" in detail and "LactMed" in detail
    assert "NSAID" not in detail and "safe" not in detail.lower()
    assert "lactancia" in localized_detail(result.checks[0], result, "es")
    assert "nih-lactmed" in {e.id for e in result.evidence}


def test_a_pregnancy_stated_with_breastfeeding_is_still_checked_as_a_pregnancy() -> None:
    result = check_pregnancy(Product(name="Ibuprofen", ingredients=["ibuprofen"]), Profile(),
                             Pregnancy(weeks=30, trimester=3, source="message"), breastfeeding=True)

    assert {c.name: c.status for c in result.checks} == {"pregnancy": "fail"}
