"""Tests for the curated ingredient glossary."""

from __future__ import annotations

import pytest

from babyshield_chat.chat.tools.ingredient_glossary import GLOSSARY, explain


@pytest.mark.parametrize(
    ("ingredient", "entry"),
    [
        ("C. Cohnii Oil", "dha"),
        ("Schizochytrium sp. oil", "dha"),
        ("M. Alpina Oil", "ara"),
        ("2'-FL", "hmo"),
        ("Bifidobacterium infantis", "probiotic"),
        ("Partially Hydrolyzed Whey Protein Concentrate", "hydrolysed_protein"),
        ("Corn Syrup Solids", "corn_syrup_solids"),
        ("Palm Olein", "palm_olein"),
        ("Phenoxyethanol", "phenoxyethanol"),
        ("Butylparaben", "long_chain_paraben"),
        ("Methylisothiazolinone", "methylisothiazolinone"),
        ("Parfum", "fragrance"),
        ("Zinc Oxide 40%", "zinc_oxide"),
        ("Colloidal Oatmeal 1%", "colloidal_oatmeal"),
        ("Sucralose", "non_nutritive_sweetener"),
        ("Cane sugar", "added_sugar"),
        ("Honey", "honey"),
        ("Organic brown rice flour", "rice"),
        ("Fenoxietanol", "phenoxyethanol"),
    ],
)
def test_common_baby_product_ingredients_are_recognised(ingredient: str, entry: str) -> None:
    assert entry in {e.key for e in explain(ingredient)}


def test_every_glossary_entry_has_both_languages_and_a_unique_key() -> None:
    keys = [e.key for e in GLOSSARY]

    assert len(keys) == len(set(keys))
    assert all(e.says.en.endswith(".") and e.says.es.endswith(".") for e in GLOSSARY)


@pytest.mark.parametrize("ingredient", ["Kabocha squash powder", "Annatto extract", "Xylitol-free base"])
def test_unknown_ingredients_have_no_entry(ingredient: str) -> None:
    assert explain(ingredient) == ()


def test_one_ingredient_can_need_two_entries() -> None:
    keys = [e.key for e in explain("Partially Hydrolyzed Whey Protein Concentrate (from Milk)")]

    assert keys == ["hydrolysed_protein", "whey"]
