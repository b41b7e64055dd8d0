"""Tests for the allergen check: synonyms, profile wording, hydrolysed formulas, missing data."""

from __future__ import annotations

import pytest

from babyshield_chat.chat.model import Product, Profile
from babyshield_chat.chat.tools.allergens import check_allergens, find_allergens, normalise_allergy
from babyshield_chat.chat.tools.common import localized_detail

SIMILAC_PRO_ADVANCE = Product(
    name="Similac Pro-Advance Infant Formula with Iron",
    brand="Similac",
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
    ],
)
GENTLE_PARTIALLY_HYDROLYSED = Product(
    name="Gerber Good Start GentlePro",
    ingredients=["Corn Maltodextrin", "Partially Hydrolyzed Whey Protein Concentrate (from Milk)", "Vegetable Oils"],
)
NUTRAMIGEN = Product(
    name="Enfamil Nutramigen",
    category="infant formula",
    ingredients=[
        "Corn Syrup Solids",
        "Vegetable Oil (Palm Olein, Soy, Coconut, High Oleic Sunflower)",
        "Casein Hydrolysate (Milk)",
        "Modified Corn Starch",
    ],
)
ELECARE = Product(
    name="EleCare Amino Acid-Based Infant Formula",
    ingredients=[
        "Corn Syrup Solids",
        "High Oleic Safflower Oil",
        "Medium-Chain Triglycerides",
        "Soy Oil",
        "L-Glutamine",
    ],
)
PEANUT_PUFFS = Product(name="Bamba Peanut Snacks", ingredients=["Peanuts (50%)", "Corn Grits", "Palm Oil", "Salt"])
OAT_BITES = Product(
    name="Organic Oat Bites",
    ingredients=["Gluten-free whole grain oats", "Rice flour", "Dairy free chocolate chips", "May contain tree nuts"],
)


@pytest.mark.parametrize(
    ("ingredient", "allergen"),
    [
        ("casein", "milk"),
        ("sodium caseinate", "milk"),
        ("whey", "milk"),
        ("lactose", "milk"),
        ("lactalbumin", "milk"),
        ("ghee", "milk"),
        ("butter", "milk"),
        ("albumin", "egg"),
        ("ovalbumin", "egg"),
        ("lysozyme (egg)", "egg"),
        ("dried egg yolk", "egg"),
        ("anchovy paste", "fish"),
        ("fish oil", "fish"),
        ("krill oil", "crustacean_shellfish"),
        ("shrimp powder", "crustacean_shellfish"),
        ("almond flour", "tree_nuts"),
        ("cashews", "tree_nuts"),
        ("marzipan", "tree_nuts"),
        ("arachis oil", "peanut"),
        ("peanut butter", "peanut"),
        ("semolina", "wheat"),
        ("durum wheat", "wheat"),
        ("spelt", "wheat"),
        ("farina", "wheat"),
        ("enriched flour", "wheat"),
        ("couscous", "wheat"),
        ("soy lecithin", "soy"),
        ("edamame", "soy"),
        ("tofu", "soy"),
        ("tahini", "sesame"),
        ("sesame seeds", "sesame"),
        ("leche entera en polvo", "milk"),
        ("harina de trigo", "wheat"),
    ],
)
def test_hidden_names_are_traced_to_their_allergen(ingredient: str, allergen: str) -> None:
    matches = find_allergens(Product(ingredients=[ingredient]))

    assert allergen in {m.allergen for m in matches}


@pytest.mark.parametrize(
    "ingredient",
    [
        "coconut milk",
        "cocoa butter",
        "shea butter",
        "eggplant",
        "buckwheat flour",
        "rice flour",
        "lactic acid",
        "calcium lactate",
        "cream of tartar",
        "gluten-free oats",
        "human milk oligosaccharides",
        "butternut squash",
        "nutmeg",
        "Schizochytrium sp. oil (DHA)",
        "coconut oil",
    ],
)
def test_look_alike_ingredients_are_not_allergens(ingredient: str) -> None:
    assert find_allergens(Product(ingredients=[ingredient])) == []


@pytest.mark.parametrize(
    ("allergy", "keys"),
    [
        ("milk", ("milk",)),
        ("Dairy", ("milk",)),
        ("cow's milk protein", ("milk",)),
        ("CMPA", ("milk",)),
        ("leche", ("milk",)),
        ("Lácteos", ("milk",)),
        ("eggs", ("egg",)),
        ("huevo", ("egg",)),
        ("peanuts", ("peanut",)),
        ("cacahuate", ("peanut",)),
        ("nuts", ("tree_nuts", "peanut")),
        ("frutos secos", ("tree_nuts", "peanut")),
        ("cashews", ("tree_nuts",)),
        ("shellfish", ("crustacean_shellfish",)),
        ("mariscos", ("crustacean_shellfish",)),
        ("gluten", ("wheat",)),
        ("celiac disease", ("wheat",)),
        ("soja", ("soy",)),
        ("ajonjolí", ("sesame",)),
        ("latex", ()),
        ("strawberries", ()),
    ],
)
def test_profile_allergies_in_parents_words_map_to_the_nine(allergy: str, keys: tuple[str, ...]) -> None:
    assert normalise_allergy(allergy) == keys


def test_milk_allergy_fails_a_milk_based_formula_naming_the_ingredients() -> None:
    result = check_allergens(SIMILAC_PRO_ADVANCE, Profile(allergies=["dairy"]))

    [check] = result.checks
    assert (check.name, check.status) == ("allergen_milk", "fail")
    assert "Nonfat Milk" in check.detail and "Whey Protein Concentrate" in check.detail
    assert result.ok
    assert [e.id for e in result.evidence] == ["21-usc-343w"]


def test_partially_hydrolysed_formula_is_not_for_milk_allergy() -> None:
    [check] = check_allergens(GENTLE_PARTIALLY_HYDROLYSED, Profile(allergies=["milk"])).checks

    assert check.status == "fail"


def test_extensively_hydrolysed_formula_is_a_warning_to_take_to_the_pediatrician() -> None:
    result = check_allergens(NUTRAMIGEN, Profile(allergies=["cow's milk protein"]))

    [check] = result.checks
    assert check.status == "warn"
    assert "pediatrician" in check.detail
    assert "aap-hypoallergenic-formulas-2000" in {e.id for e in result.evidence}


def test_refined_soy_oil_warns_while_soy_lecithin_fails() -> None:
    elecare = check_allergens(ELECARE, Profile(allergies=["soy"])).checks[0]
    similac = check_allergens(SIMILAC_PRO_ADVANCE, Profile(allergies=["soy"])).checks[0]

    assert elecare.status == "warn" and "refin" in elecare.detail
    assert similac.status == "fail" and "Soy Lecithin" in similac.detail


def test_amino_acid_formula_passes_for_milk_allergy() -> None:
    [check] = check_allergens(ELECARE, Profile(allergies=["milk"])).checks

    assert check.status == "pass"
    assert "5 listed ingredients" in check.detail


def test_advisory_may_contain_line_warns_and_free_from_claims_do_not_match() -> None:
    result = check_allergens(OAT_BITES, Profile(allergies=["tree nuts", "wheat", "milk"]))

    statuses = {c.name: c.status for c in result.checks}
    assert statuses == {"allergen_milk": "pass", "allergen_tree_nuts": "warn", "allergen_wheat": "pass"}


def test_one_check_per_allergy_in_the_laws_order() -> None:
    result = check_allergens(PEANUT_PUFFS, Profile(allergies=["sesame", "peanut", "egg"]))

    assert [(c.name, c.status) for c in result.checks] == [
        ("allergen_egg", "pass"),
        ("allergen_peanut", "fail"),
        ("allergen_sesame", "pass"),
    ]


def test_allergy_outside_the_nine_is_never_passed() -> None:
    result = check_allergens(PEANUT_PUFFS, Profile(allergies=["strawberries"]))

    [check] = result.checks
    assert (check.name, check.status) == ("allergen_other", "unknown")
    assert "'strawberries'" in check.detail
    assert result.facts["unlisted_allergies"] == ["strawberries"]


def test_allergy_outside_the_nine_fails_when_named_literally() -> None:
    product = Product(ingredients=["Banana puree", "Strawberry puree"])

    [check] = check_allergens(product, Profile(allergies=["strawberry"])).checks

    assert check.status == "fail"
    assert "Strawberry puree" in check.detail


def test_no_ingredient_list_is_unknown_naming_what_could_not_be_checked() -> None:
    result = check_allergens(Product(name="Mystery puffs"), Profile(allergies=["milk", "peanuts"]))

    [check] = result.checks
    assert check.status == "unknown"
    assert "no ingredient list" in check.detail and "milk and peanuts" in check.detail


def test_no_product_is_unknown() -> None:
    [check] = check_allergens(None, Profile(allergies=["egg"])).checks

    assert check.status == "unknown"
    assert "No product" in check.detail


def test_no_allergies_in_profile_is_unknown_but_says_what_the_product_contains() -> None:
    result = check_allergens(SIMILAC_PRO_ADVANCE, Profile())

    [check] = result.checks
    assert check.status == "unknown"
    assert "lists no allergies" in check.detail
    assert "milk and soy" in check.detail
    assert set(result.facts["contains"]) == {"milk", "soy"}


def test_spanish_detail_is_available_for_every_check() -> None:
    result = check_allergens(SIMILAC_PRO_ADVANCE, Profile(allergies=["leche"]))

    [check] = result.checks
    assert localized_detail(check, result, "es").startswith("Contiene leche:")
    assert localized_detail(check, result, "en").startswith("Contains milk:")


def test_spanish_ingredient_names_of_milk_are_milk() -> None:
    product = Product(name="Fórmula infantil", ingredients=["suero de leche", "lactosa", "caseinato de sodio"])

    [check] = check_allergens(product, Profile(allergies=["leche"])).checks

    assert check.status == "fail"
    assert check.detail == "Contains milk: suero de leche, lactosa and caseinato de sodio."


def test_an_allergen_only_asked_about_is_a_warning_when_present_and_a_pass_when_absent() -> None:
    product = Product(name="Bars", ingredients=["oats", "soy protein isolate"])

    result = check_allergens(product, Profile(), asked=["soy", "milk"])

    assert [(c.name, c.status) for c in result.checks] == [("allergen_milk", "pass"), ("allergen_soy", "warn")]
    assert result.facts["asked"] == ["milk", "soy"]


def test_an_allergy_stated_in_the_message_is_checked_beside_the_profiles() -> None:
    product = Product(name="Cookies", ingredients=["wheat flour", "butter"])

    result = check_allergens(product, Profile(allergies=["wheat"]), stated=["dairy"])

    assert {c.name: c.status for c in result.checks} == {"allergen_milk": "fail", "allergen_wheat": "fail"}
    assert result.facts["from_message"] == ["milk"]
    milk = next(c for c in result.checks if c.name == "allergen_milk")
    assert milk.detail.startswith("You said your child is allergic to milk")


def test_celiac_disease_fails_barley_rye_and_malt_not_only_wheat() -> None:
    product = Product(name="Crackers", ingredients=["rice flour", "barley malt extract"])

    from_message = check_allergens(product, Profile(), stated=["celiac"])
    from_profile = check_allergens(product, Profile(allergies=["gluten"]))

    for result in (from_message, from_profile):
        assert {c.name: c.status for c in result.checks} == {"allergen_wheat": "pass", "allergen_gluten": "fail"}
    gluten = next(c for c in from_message.checks if c.name == "allergen_gluten")
    assert gluten.detail.startswith("You said your child cannot have gluten, and it contains gluten: barley malt")
    assert "profile lists gluten" in next(c for c in from_profile.checks if c.name == "allergen_gluten").detail


def test_gluten_asked_about_is_a_warning_when_present_and_a_pass_that_names_its_limits_when_absent() -> None:
    with_malt = check_allergens(Product(name="Wafers", ingredients=["rice", "malted barley flour"]), Profile(),
                                asked=["gluten"])
    without = check_allergens(Product(name="Rice cakes", ingredients=["rice", "salt"]), Profile(), asked=["gluten"])

    assert [(c.name, c.status) for c in with_malt.checks] == [("allergen_wheat", "pass"), ("allergen_gluten", "warn")]
    assert with_malt.facts["asked"] == ["wheat", "gluten"]
    assert [(c.name, c.status) for c in without.checks] == [("allergen_gluten", "pass")]
    assert "certified gluten-free" in without.checks[0].detail


def test_a_wheat_allergy_alone_does_not_fail_barley() -> None:
    result = check_allergens(Product(name="Wafers", ingredients=["rice", "barley"]), Profile(allergies=["wheat"]))

    assert [(c.name, c.status) for c in result.checks] == [("allergen_wheat", "pass")]
