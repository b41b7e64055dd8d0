"""The `allergen_check` tool: the product's ingredients against the child's allergies.

Covers the nine major US food allergens of FALCPA (2004) and the FASTER Act
(2021, sesame): milk, egg, fish, crustacean shellfish, tree nuts, peanuts,
wheat, soybeans and sesame, each with the names it hides under in ingredient
lists (casein and whey are milk, semolina is wheat, tahini is sesame, ...).
Profile allergies are free text in English or Spanish ("dairy", "cow's milk
protein", "leche", "frutos secos") and are mapped to those nine.

One check per allergy in the profile:

- `fail`: an ingredient is that allergen or made from it.
- `warn`: only forms most allergic children tolerate but which still come
  from the allergen — extensively hydrolysed casein/whey formulas (designed
  for cow's milk protein allergy; use them with the pediatrician, never as a
  plain "OK"), highly refined soybean oil (exempt from allergen labelling
  because refining removes the protein) — or an advisory "may contain" line.
- `pass`: an ingredient list was given and nothing in it matches.
- `unknown`: no ingredient list, or no allergy in the profile (the check says
  which), or an allergy outside the nine whose hidden forms we cannot know.

Partially hydrolysed formulas ("partially hydrolyzed whey") are *not* for
milk allergy and fail like any milk ingredient. Coconut is not treated as a
tree nut, following FDA's 2025 guidance on the tree nut list.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from babyshield_chat.chat.model import CheckStatus, Product, Profile, ToolResult
from babyshield_chat.chat.text import fold
from babyshield_chat.chat.tools.common import CheckOutcome, Citation, Says, build_result, join_names, none_of, worst

TOOL_NAME = "allergen_check"

#: The nine, in the order the law lists them.
MAJOR_ALLERGENS: tuple[str, ...] = (
    "milk",
    "egg",
    "fish",
    "crustacean_shellfish",
    "tree_nuts",
    "peanut",
    "wheat",
    "soy",
    "sesame",
)

ALLERGEN_NAMES: dict[str, Says] = {
    "milk": Says("milk", "leche"),
    "egg": Says("egg", "huevo"),
    "fish": Says("fish", "pescado"),
    "crustacean_shellfish": Says("crustacean shellfish", "mariscos crustáceos"),
    "tree_nuts": Says("tree nuts", "frutos de cáscara"),
    "peanut": Says("peanuts", "cacahuate (maní)"),
    "wheat": Says("wheat", "trigo"),
    "soy": Says("soy", "soya"),
    "sesame": Says("sesame", "sésamo"),
}

FALCPA = Citation(
    type="regulation",
    id="21-usc-343w",
    title="FALCPA (2004) and FASTER Act (2021): labelling of the nine major food allergens, 21 U.S.C. 321(qq), 343(w)",
    url="https://www.law.cornell.edu/uscode/text/21/343",
)
AAP_HYPOALLERGENIC_FORMULA = Citation(
    type="guideline",
    id="aap-hypoallergenic-formulas-2000",
    title="AAP Committee on Nutrition: Hypoallergenic Infant Formulas, Pediatrics 2000;106(2):346-349",
)

# Plant "milks" and butters that are not dairy.
_NOT_DAIRY_BEFORE = "".join(
    f"(?<!{word} )"
    for word in (
        "coconut almond oat soy soya rice cashew hemp pea flax hazelnut macadamia breast human cocoa shea "
        "peanut nut apple seed mango sunflower body cacao avocado kokum murumuru cupuacu"
    ).split()
)
_NOT_WHEAT_FLOUR_BEFORE = "".join(
    f"(?<!{word} )"
    for word in (
        "rice oat corn almond coconut chickpea soy potato tapioca buckwheat banana cassava sorghum millet "
        "quinoa teff arrowroot pea lentil bean barley rye amaranth hemp flax chestnut maize peanut sesame "
        "carob"
    ).split()
)

_SOURCES: dict[str, str] = {
    "milk": (
        rf"\b{_NOT_DAIRY_BEFORE}(?:milk|butter)\b(?!\s*(?:thistle|weed))"
        r"|\bmilkfat\b|\bbuttermilk\b|\bdairy\b|\bcheese\b"
        r"|\bcream\b(?!\s+of\s+tartar)|\bcasein(?:ates?)?\b|\bcaseinates?\b|\bwhey\b|\blactose\b"
        r"|\blactalbumin\b|\blactoglobulin\b|\blactoferrin\b|\bghee\b|\bcurds?\b|\byog(?:h)?urt\b|\bkefir\b"
        r"|\bcustard\b|\brecaldent\b|\bleche\b|\blacteos?\b|\bsuero\s+de\s+leche\b|\bmantequilla\b|\bqueso\b"
    ),
    "egg": (
        r"\beggs?\b(?!\s*plant)|\balbum[ei]n\b|\bovalbumin\b|\bovomucoid\b|\bovomucin\b|\bovotransferrin\b"
        r"|\bovovitellin\b|\blysozyme\b|\blivetin\b|\bvitellin\b|\bmayonnaise\b|\bmeringue\b|\bhuevos?\b"
    ),
    "fish": (
        r"\bfish\b|\banchov(?:y|ies)\b|\bcod(?:fish)?\b|\bsalmon\b|\btuna\b|\btilapia\b|\bpoll[ao]ck\b|\bhaddock\b"
        r"|\bhalibut\b|\bsardines?\b|\btrout\b|\bcatfish\b|\bmackerel\b|\bherring\b|\bflounder\b|\bhake\b"
        r"|\bmahi[\s-]?mahi\b|\bsnapper\b|\bswordfish\b|\bmenhaden\b|\bsurimi\b|\bpescado\b|\batun\b"
    ),
    "crustacean_shellfish": (
        r"\bshrimp\b|\bprawns?\b|\bcrabs?\b|\blobsters?\b|\bcrayfish\b|\bcrawfish\b|\blangoustines?\b|\bkrill\b"
        r"|\bshellfish\b|\bscampi\b|\bcrustaceans?\b|\bcamarone?s?\b|\bgambas?\b|\blangosta\b|\bcangrejo\b"
    ),
    "tree_nuts": (
        r"\balmonds?\b|\bcashews?\b|\bwalnuts?\b|\bpecans?\b|\bpistachios?\b|\bhazelnuts?\b|\bfilberts?\b"
        r"|\bbrazil\s+nuts?\b|\bmacadamias?\b|\bpine\s+nuts?\b|\bpignoli\b|\bchestnuts?\b|\bheartnuts?\b"
        r"|\btree\s+nuts?\b|\bmixed\s+nuts\b|\bnut\s+(?:butter|oil|paste|meal|flour)\b|\bpraline\b|\bmarzipan\b"
        r"|\bgianduja\b|\balmendras?\b|\bnuez\b|\bnueces\b|\bavellanas?\b|\bpistachos?\b|\banacardos?\b"
    ),
    "peanut": (
        r"\bpeanuts?\b|\bground\s*nuts?\b|\barachis\b|\bmonkey\s+nuts\b|\bcacahuat?e?s?\b|\bcacahuetes?\b|\bmani\b"
    ),
    "wheat": (
        rf"\bwheat\b|\b{_NOT_WHEAT_FLOUR_BEFORE}flour\b|\bsemolina\b|\bdurum\b|\bspelt\b|\bfarina\b|\beinkorn\b"
        r"|\bemmer\b|\bkamut\b|\bkhorasan\b|\bbulgur\b|\bcouscous\b|\bseitan\b|\btriticale\b|\bfarro\b"
        r"|\bfreekeh\b|\bgraham\b|\bbread\s*crumbs\b|\bcracker\s+meal\b|\bmatzoh?\b|\bgluten\b|\btrigo\b"
    ),
    "soy": (
        r"\bsoy(?:a|beans?)?\b|\bsoja\b|\bedamame\b|\btofu\b|\btempeh\b|\bmiso\b|\bnatto\b|\bshoyu\b|\btamari\b"
        r"|\btextured\s+vegetable\s+protein\b|\btvp\b"
    ),
    "sesame": r"\bsesam(?:e|o|ol)\b|\btahin[ia]\b|\bbenne\b|\bgingelly\b|\bhalvah?\b|\bajonjoli\b",
}
_SOURCE_PATTERNS = {key: re.compile(pattern) for key, pattern in _SOURCES.items()}

# Forms that come from the allergen yet are usually tolerated (see docstring).
_EXTENSIVELY_HYDROLYSED = re.compile(
    r"\bextensively\s+hydroly[sz]ed\b|\bcasein\s+hydrolysate\b|\bhydroly[sz]ed\s+casein\b"
)
_PARTIALLY_HYDROLYSED = re.compile(r"\bpartially\s+hydroly[sz]ed\b")
_HYPOALLERGENIC_PRODUCT = re.compile(r"\b(?:hypoallergenic|nutramigen|alimentum|pregestimil|extensive\s*ha)\b")
_REFINED_SOY_OIL = re.compile(r"\b(?:soy|soya|soybean)\s+oil\b")
# "Vegetable oil (palm olein, soy, coconut)": soy named inside an oil blend.
_OIL_BLEND = re.compile(r"\boils?\b")
_BARE_SOY = re.compile(r"\b(?:soy|soya|soybeans?)\b(?!\s+(?:lecithin|protein|flour|sauce|milk|beverage|fiber|fibre))")
_UNREFINED = re.compile(r"\b(?:cold[\s-]pressed|expeller[\s-]pressed|unrefined|virgin)\b")
# "gluten-free oats", "sin lactosa": the allergen named only to say it is absent.
_FREE_FROM = re.compile(r"\b[\w']+[\s-]free\b|\bfree\s+(?:of|from)\s+[^,;()]+|\bsin\s+[^,;()]+")
_ADVISORY = re.compile(
    r"\bmay\s+contain\b|\b(?:made|processed|produced|manufactured)\s+(?:in|on)\s+(?:a\s+)?(?:facility|equipment|line)\b"
    r"|\bshared\s+(?:facility|equipment)\b|\btraces?\s+of\b|\bpuede\s+contener\b|\btrazas\s+de\b"
)

# Profile allergies: free text -> allergen keys. One text may name several
# ("nuts" is said of peanuts as often as of tree nuts, so it checks both).
_PROFILE_TERMS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = tuple(
    (re.compile(pattern), keys)
    for pattern, keys in (
        (r"\b(?:milk|dairy|lactose|casein|whey|cmpa|cmpi|cmp|leche|lacteos?|lactosa|aplv)\b", ("milk",)),
        (r"\beggs?\b|\bhuevos?\b", ("egg",)),
        (r"\bfish\b|\bpescados?\b|\bsalmon\b|\btuna\b|\bcod\b|\batun\b", ("fish",)),
        (
            r"\bshellfish\b|\bcrustaceans?\b|\bshrimp\b|\bprawns?\b|\bcrabs?\b|\blobsters?\b"
            r"|\bmariscos?\b|\bcrustaceos?\b|\bcamarone?s?\b|\bgambas?\b",
            ("crustacean_shellfish",),
        ),
        (r"\bpeanuts?\b|\bgroundnuts?\b|\bcacahuat?e?s?\b|\bcacahuetes?\b|\bmani\b", ("peanut",)),
        (
            r"\btree\s*nuts?\b|\balmonds?\b|\bcashews?\b|\bwalnuts?\b|\bpecans?\b|\bpistachios?\b|\bhazelnuts?\b"
            r"|\bmacadamias?\b|\bbrazil\s+nuts?\b|\bnueces\b|\bnuez\b|\balmendras?\b|\bavellanas?\b|\banacardos?\b",
            ("tree_nuts",),
        ),
        (r"^(?:nuts?|nut allergy|frutos secos)$|\bfrutos\s+secos\b|^all\s+nuts$", ("tree_nuts", "peanut")),
        (r"\bwheat\b|\bgluten\b|\bc(?:o)?eliac\b|\btrigo\b|\bceliac[oa]\b|\bceliaquia\b", ("wheat",)),
        (r"\bsoy(?:a|beans?)?\b|\bsoja\b", ("soy",)),
        (r"\bsesame\b|\bsesamo\b|\bajonjoli\b|\btahini\b", ("sesame",)),
    )
)


def normalise_allergy(text: str) -> tuple[str, ...]:
    """The major allergens a free-text profile allergy names (empty if none)."""
    folded = fold(text)
    keys: list[str] = []
    for pattern, named in _PROFILE_TERMS:
        if pattern.search(folded):
            keys.extend(k for k in named if k not in keys)
    return tuple(sorted(keys, key=MAJOR_ALLERGENS.index))


# Allergies a parent states in the question ("my son is allergic to milk"): the
# answer must take them into account even when the profile does not list them.
_STATED = tuple(
    re.compile(pattern)
    for pattern in (
        r"(?<!not )(?<!n't )\ballergic\s+to\s+([^,.;:?!]+)",
        r"\b((?:[\w'-]+\s+){0,3}?[\w'-]+)\s+allerg(?:y|ies)\b",
        r"(?<!no es )(?<!no son )\balergic[oa]s?\s+(?:a|al)\s+([^,.;:?!]+)",
        r"\balergias?\s+(?:a|al)\s+([^,.;:?!]+)",
    )
)
_STATED_MAX_WORDS = 4


def allergies_stated(question: str) -> list[str]:
    """The allergies a question states, as the parent wrote them (each names a major allergen)."""
    folded = fold(question)
    stated: list[str] = []
    for pattern in _STATED:
        for match in pattern.finditer(folded):
            phrase = " ".join(match.group(1).split()[:_STATED_MAX_WORDS])
            if normalise_allergy(phrase) and phrase not in stated:
                stated.append(phrase)
    return stated


@dataclass(frozen=True)
class AllergenMatch:
    """One ingredient that is, or comes from, a major allergen."""

    allergen: str
    ingredient: str
    status: CheckStatus
    why: str  # "ingredient", "extensively_hydrolysed", "refined_oil" or "advisory"

    def as_fact(self) -> dict[str, str]:
        return {"allergen": self.allergen, "ingredient": self.ingredient, "status": self.status, "why": self.why}


def _is_refined_soy_oil(folded: str) -> bool:
    """Soy here is only oil ("soybean oil", "vegetable oil (soy, palm)"), not stated unrefined."""
    if _UNREFINED.search(folded) or not _OIL_BLEND.search(folded):
        return False
    rest = _BARE_SOY.sub(" ", _REFINED_SOY_OIL.sub(" ", folded))
    return not _SOURCE_PATTERNS["soy"].search(rest)


def find_allergens(product: Product) -> list[AllergenMatch]:
    """Every (allergen, ingredient) pair in the product's ingredient list."""
    hypoallergenic = bool(_HYPOALLERGENIC_PRODUCT.search(fold(product.name or "")))
    matches: list[AllergenMatch] = []
    for ingredient in product.ingredients:
        folded = _FREE_FROM.sub(" ", fold(ingredient))
        advisory = bool(_ADVISORY.search(folded))
        for allergen in MAJOR_ALLERGENS:
            if not _SOURCE_PATTERNS[allergen].search(folded):
                continue
            status: CheckStatus = "fail"
            why = "ingredient"
            if advisory:
                status, why = "warn", "advisory"
            elif (
                allergen == "milk"
                and not _PARTIALLY_HYDROLYSED.search(folded)
                and (_EXTENSIVELY_HYDROLYSED.search(folded) or (hypoallergenic and "hydroly" in folded))
            ):
                status, why = "warn", "extensively_hydrolysed"
            elif allergen == "soy" and _is_refined_soy_oil(folded):
                status, why = "warn", "refined_oil"
            matches.append(AllergenMatch(allergen=allergen, ingredient=ingredient, status=status, why=why))
    return matches


def _allergen_outcome(allergen: str, matches: list[AllergenMatch], count: int, *, stated: bool = False) -> CheckOutcome:
    name = ALLERGEN_NAMES[allergen]
    mine = [m for m in matches if m.allergen == allergen]
    status = worst((m.status for m in mine), default="pass")
    check = f"allergen_{allergen}"
    if status == "pass":
        return CheckOutcome(
            check,
            "pass",
            Says(
                f"{none_of(count)} a known source of {name.en}.",
                f"{none_of(count, 'es')} una fuente conocida de {name.es}.",
            ),
        )
    found = join_names(dict.fromkeys(m.ingredient for m in mine if m.status == status))
    if status == "fail":
        if stated:  # spec 4b.6: the answer says where the fact came from
            return CheckOutcome(check, "fail", Says(
                f"You said your child is allergic to {name.en}, and it contains {name.en}: {found}.",
                f"Nos dijo que su hijo es alérgico a {name.es}, y contiene {name.es}: {found}.",
            ))
        return CheckOutcome(
            check,
            "fail",
            Says(f"Contains {name.en}: {found}.", f"Contiene {name.es}: {found}."),
        )
    whys = {m.why for m in mine}
    if "extensively_hydrolysed" in whys:
        says = Says(
            f"{found} is an extensively hydrolysed milk protein: such formulas are made for cow's milk protein "
            "allergy and most allergic babies tolerate them, but they still come from milk, so use it only as your "
            "pediatrician advises.",
            f"{found} es proteína de leche extensamente hidrolizada: estas fórmulas están hechas para la alergia "
            "a la proteína de la leche de vaca y la mayoría de los bebés alérgicos las toleran, pero siguen viniendo "
            "de la leche; úsela solo como le indique su pediatra.",
        )
    elif "refined_oil" in whys:
        says = Says(
            f"{found} is a highly refined soy oil, exempt from allergen labelling because refining removes "
            "most soy protein; most soy-allergic children tolerate it, but ask your pediatrician.",
            f"{found} es aceite de soya muy refinado, exento del etiquetado de alérgenos porque el refinado quita "
            "casi toda la proteína; la mayoría de los niños alérgicos a la soya lo toleran, pero consulte a su "
            "pediatra.",
        )
    else:
        says = Says(
            f"The label warns it may contain {name.en} ({found}); such warnings are voluntary and not "
            "standardised, so the risk cannot be ruled out.",
            f"La etiqueta advierte que puede contener {name.es} ({found}); estas advertencias son voluntarias "
            "y no están reguladas, así que no se puede descartar el riesgo.",
        )
    return CheckOutcome(check, "warn", says)


def _unlisted_outcome(allergies: list[str], ingredients: list[str]) -> CheckOutcome:
    """Allergies outside the nine: only a literal mention can be found."""
    hits = {a: [i for i in ingredients if fold(a) and fold(a) in fold(i)] for a in allergies}
    named = join_names(f"'{a}'" for a in allergies)
    found = [f"{a} ({join_names(items)})" for a, items in hits.items() if items]
    if found:
        return CheckOutcome(
            "allergen_other",
            "fail",
            Says(f"Ingredients name {join_names(found)}.", f"Los ingredientes mencionan {join_names(found, 'es')}."),
        )
    return CheckOutcome(
        "allergen_other",
        "unknown",
        Says(
            f"{named} is not one of the nine major allergens, so only an ingredient with that exact name could be "
            "found, and none is; other forms of it cannot be ruled out.",
            f"{named} no es uno de los nueve alérgenos principales, así que solo se podría encontrar un ingrediente "
            "con ese nombre exacto, y no hay ninguno; no se pueden descartar otras formas.",
        ),
    )


def check_allergens(product: Product | None, profile: Profile, stated: Sequence[str] = ()) -> ToolResult:
    """Check the product's ingredients against the profile's allergies.

    `stated`: the allergies the message itself states (already among the
    profile's for this answer); a match on one of them says "you said".
    """
    ingredients = [i for i in (product.ingredients if product else []) if i.strip()]
    recognised: list[str] = []
    unlisted: list[str] = []
    for allergy in profile.allergies:
        keys = normalise_allergy(allergy)
        if keys:
            recognised.extend(k for k in keys if k not in recognised)
        elif allergy.strip():
            unlisted.append(allergy.strip())
    recognised.sort(key=MAJOR_ALLERGENS.index)

    matches = find_allergens(product) if product and ingredients else []
    contains = {a: [m.ingredient for m in matches if m.allergen == a] for a in MAJOR_ALLERGENS}
    facts = {
        "allergies": recognised,
        "unlisted_allergies": unlisted,
        "ingredients_checked": len(ingredients),
        "matches": [m.as_fact() for m in matches],
        "contains": {a: items for a, items in contains.items() if items},
    }

    if not recognised and not unlisted:
        present = [ALLERGEN_NAMES[a] for a in facts["contains"]]
        tail_en = f" The ingredients include {join_names(p.en for p in present)}." if present else ""
        tail_es = f" Los ingredientes incluyen {join_names((p.es for p in present), 'es')}." if present else ""
        outcome = CheckOutcome(
            "allergens",
            "unknown",
            Says(
                "Your profile lists no allergies, so there is nothing to check the ingredients against." + tail_en,
                "Su perfil no indica alergias, así que no hay con qué comparar los ingredientes." + tail_es,
            ),
        )
        return build_result(TOOL_NAME, [outcome], facts, [FALCPA] if present else [])

    if not ingredients:
        what = join_names([ALLERGEN_NAMES[a].en for a in recognised] + unlisted)
        what_es = join_names([ALLERGEN_NAMES[a].es for a in recognised] + unlisted, "es")
        reason = "No product was given" if product is None else "The product has no ingredient list"
        reason_es = "No se indicó ningún producto" if product is None else "El producto no tiene lista de ingredientes"
        outcome = CheckOutcome(
            "allergens",
            "unknown",
            Says(
                f"{reason}, so {what} could not be checked.", f"{reason_es}, así que no se pudo comprobar: {what_es}."
            ),
        )
        return build_result(TOOL_NAME, [outcome], facts)

    from_message = {key for allergy in stated for key in normalise_allergy(allergy)}
    outcomes = [_allergen_outcome(a, matches, len(ingredients), stated=a in from_message) for a in recognised]
    failing = [o for o in outcomes if o.status == "fail"]
    facts["fail_from_message"] = bool(failing) and all(
        o.name.removeprefix("allergen_") in from_message for o in failing)
    if unlisted:
        outcomes.append(_unlisted_outcome(unlisted, ingredients))
    citations = [FALCPA] if recognised else []
    if any(m.why == "extensively_hydrolysed" and m.allergen in recognised for m in matches):
        citations.append(AAP_HYPOALLERGENIC_FORMULA)
    return build_result(TOOL_NAME, outcomes, facts, citations)
