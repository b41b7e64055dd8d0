"""Tests for the ingredient_info tool: explanations, unrecognised ingredients, cautions."""

from __future__ import annotations

import pytest

from babyshield_chat.chat.model import Product
from babyshield_chat.chat.tools.common import localized_detail
from babyshield_chat.chat.tools.ingredients import ingredient_info

SIMILAC_360 = Product(
    name="Similac 360 Total Care",
    category="infant formula",
    ingredients=[
        "Nonfat Milk",
        "Lactose",
        "High Oleic Safflower Oil",
        "Soy Oil",
        "Coconut Oil",
        "Galactooligosaccharides",
        "Whey Protein Concentrate",
        "2'-Fucosyllactose",
        "C. Cohnii Oil",
        "M. Alpina Oil",
        "Soy Lecithin",
        "Ferrous Sulfate",
        "Calcium Carbonate",
        "Beta-Carotene",
        "Lutein",
        "Nucleotides",
    ],
)
BABY_WASH = Product(
    name="Baby wash",
    category="bath",
    ingredients=[
        "Water",
        "Cocamidopropyl Betaine",
        "Sodium Laureth Sulfate",
        "Glycerin",
        "Fragrance",
        "Propylparaben",
        "Methylparaben",
        "Phenoxyethanol",
    ],
)


def test_formula_ingredients_are_explained_one_sentence_each() -> None:
    result = ingredient_info(SIMILAC_360)

    [check] = result.checks
    assert check.status == "pass"
    assert check.detail == "Explained 16 of 16 ingredients."
    dha = next(x for x in result.facts["explained"] if x["ingredient"] == "C. Cohnii Oil")
    assert "omega-3" in dha["text"] and dha["caution"] is False


def test_unrecognised_ingredients_are_listed_not_guessed() -> None:
    product = Product(name="Teething wafers", ingredients=["Rice flour", "Kabocha squash powder", "Annatto extract"])

    result = ingredient_info(product)

    [check] = result.checks
    assert check.status == "unknown"
    assert result.facts["unrecognised"] == ["Kabocha squash powder", "Annatto extract"]
    assert "not described: Kabocha squash powder, Annatto extract" in check.detail
    assert all(x["ingredient"] != "Annatto extract" for x in result.facts["explained"])


def test_cautionary_ingredients_warn_and_cite_their_rule() -> None:
    result = ingredient_info(BABY_WASH)

    [check] = result.checks
    assert check.status == "warn"
    assert "Sodium Laureth Sulfate, Fragrance and Propylparaben" in check.detail
    assert [e.id for e in result.evidence] == ["eu-regulation-1004-2014"]


def test_long_unrecognised_lists_are_shortened() -> None:
    product = Product(ingredients=[f"Extract {n}" for n in range(8)])

    [check] = ingredient_info(product).checks

    assert check.detail.endswith("Extract 4 and 3 more.")


@pytest.mark.parametrize(
    ("product", "part"), [(None, "No product"), (Product(name="Mystery cream"), "no ingredient list")]
)
def test_nothing_to_explain_is_unknown(product, part) -> None:
    [check] = ingredient_info(product).checks

    assert check.status == "unknown"
    assert part in check.detail


def test_spanish_details_and_explanations() -> None:
    result = ingredient_info(BABY_WASH)

    assert localized_detail(result.checks[0], result, "es").startswith("Se explican 8 de 8 ingredientes.")
    water = result.facts["explained"][0]
    assert (water["text"], water["text_es"]) == ("Water.", "Agua.")
