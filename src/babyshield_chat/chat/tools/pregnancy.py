"""The `pregnancy_check` tool: ingredients to avoid or limit while pregnant.

Each concern is an ingredient pattern with a status and the published
guidance behind it: `fail` means guidance says avoid, `warn` means limit, or
use only with the doctor's or midwife's advice. The list is deliberately
short and sourced; an ingredient not on it is not thereby declared safe, and
the `pass` detail says so.

Context matters: retinyl palmitate in a face serum is a topical retinoid
(avoid), in a prenatal vitamin it is vitamin A (keep under the upper limit);
alcohol and caffeine matter in food and drink, not as "cetyl alcohol" in a
lotion. The product's name and category decide whether it is taken by mouth
(`dietary`), put on the skin (`topical`), or unknown (both readings apply,
with the milder status).

Breastfeeding is not pregnancy: what passes into breast milk is another
question, with other answers (NSAIDs to avoid late in pregnancy are common
choices while breastfeeding; caffeine and alcohol are about timing). A question
asked while breastfeeding gets an `unknown` check that says so and where to
ask, never the pregnancy guidance, unless the message also states a pregnancy.

Only NSAIDs are trimester-aware, because only there does the published
guidance differ by stage: FDA (2020) advises avoiding them from 20 weeks, so
they `fail` in the third trimester and `warn` before. Everything else on the
list applies the same way throughout pregnancy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from babyshield_chat.chat.model import CheckStatus, Pregnancy, Product, Profile, ToolResult
from babyshield_chat.chat.text import fold
from babyshield_chat.chat.tools.common import CheckOutcome, Citation, Says, build_result, join_names, none_of, worst

TOOL_NAME = "pregnancy_check"

#: How many flagged ingredients the check's detail names before "and N more".
DEFAULT_DETAIL_ITEMS = 3

Use = Literal["dietary", "topical", "unknown"]

ACOG_SKIN = Citation(
    "guideline",
    "acog-skin-conditions-pregnancy",
    "ACOG: Skin Conditions During Pregnancy (retinoids and acne treatments)",
    "https://www.acog.org/womens-health/faqs/skin-conditions-during-pregnancy",
)
IOM_VITAMIN_A = Citation(
    "guideline",
    "iom-vitamin-a-upper-limit",
    "Institute of Medicine: upper limit for preformed vitamin A, 3,000 µg RAE (10,000 IU) a day, in pregnancy too",
)
FDA_FISH = Citation(
    "guideline",
    "fda-epa-advice-about-eating-fish",
    "FDA/EPA: Advice about Eating Fish, for people who are or might become pregnant",
    "https://www.fda.gov/food/consumers/advice-about-eating-fish",
)
FDA_LISTERIA = Citation(
    "guideline",
    "fda-food-safety-pregnancy",
    "FDA: food safety for pregnant women — unpasteurised milk, soft cheeses, deli meats and refrigerated smoked "
    "seafood (Listeria)",
)
CDC_ALCOHOL = Citation(
    "guideline", "cdc-alcohol-pregnancy", "CDC: there is no known safe amount of alcohol during pregnancy"
)
ACOG_CAFFEINE = Citation(
    "guideline",
    "acog-committee-opinion-462",
    "ACOG Committee Opinion 462: Moderate Caffeine Consumption During Pregnancy (under 200 mg a day)",
)
FDA_NSAIDS = Citation(
    "guideline",
    "fda-nsaids-20-weeks",
    "FDA Drug Safety Communication: avoid NSAIDs in pregnancy at 20 weeks or later",
    date="2020-10-15",
)
ACOG_ENVIRONMENT = Citation(
    "guideline",
    "acog-committee-opinion-832",
    "ACOG Committee Opinion 832: Reducing Prenatal Exposure to Toxic Environmental Agents (2021)",
)
FDA_EPHEDRA = Citation(
    "regulation",
    "fda-ephedra-rule-2004",
    "FDA final rule (2004): dietary supplements containing ephedrine alkaloids may not be sold",
)

_DIETARY = re.compile(
    r"\b(?:food|formula|snacks?|drinks?|beverages?|juices?|teas?|coffee|supplements?|vitamins?|prenatal|gummies|gummy|"
    r"bars?|cereals?|puree|cheese|yog(?:h)?urt|sushi|fish|seafood|capsules?|tablets?|softgels?|chocolate|candy|"
    r"smoothie|shake|powder|energy|soda|wine|beer|tincture|pills?|milk|meal|"
    r"comida|alimentos?|formula|bebidas?|jugos?|zumos?|te|cafe|suplementos?|vitaminas?|prenatal(?:es)?|gomitas|"
    r"barras?|cereal(?:es)?|papillas?|quesos?|yogur|pescado|mariscos|capsulas?|tabletas?|pastillas?|chocolate|"
    r"dulces?|batido|polvo|refresco|vino|cerveza|leche|galletas?)\b"
)
_TOPICAL = re.compile(
    r"\b(?:lotion|cream|serum|cleanser|face\s+wash|body\s+wash|wash|shampoo|conditioner|soap|ointment|balm|"
    r"skin|skincare|face|sunscreen|moisturi[sz]er|makeup|cosmetics?|toner|mask|peel|deodorant|perfume|nail|hair|"
    r"stretch\s+marks?|topical|gel|"
    r"crema|locion|serum|limpiador|jabon|champu|acondicionador|unguento|balsamo|piel|cara|facial|protector\s+solar|"
    r"maquillaje|cosmeticos?|tonico|mascarilla|exfoliante|desodorante|perfume|unas|cabello|pelo|estrias)\b"
)


def product_use(product: Product) -> Use:
    """Whether the product is taken by mouth, put on the skin, or unknown."""
    text = fold(f"{product.name or ''} {product.category or ''}")
    dietary, topical = bool(_DIETARY.search(text)), bool(_TOPICAL.search(text))
    if dietary == topical:
        return "unknown"
    return "dietary" if dietary else "topical"


@dataclass(frozen=True)
class Concern:
    """An ingredient to avoid or limit, where it applies, and why."""

    key: str
    pattern: re.Pattern[str]
    status: CheckStatus
    says: Says
    citation: Citation | None = None
    # Where the concern applies: a topical-only concern is ignored in food.
    applies_to: tuple[Use, ...] = ("dietary", "topical", "unknown")


def _c(
    key: str,
    pattern: str,
    status: CheckStatus,
    en: str,
    es: str,
    citation: Citation | None = None,
    applies_to: tuple[Use, ...] = ("dietary", "topical", "unknown"),
) -> Concern:
    return Concern(key, re.compile(pattern), status, Says(en, es), citation, applies_to)


# Fatty and cosmetic alcohols ("cetyl alcohol") are not drinking alcohol.
_FATTY_ALCOHOL = "".join(
    f"(?<!{w} )"
    for w in (
        "cetyl cetearyl stearyl benzyl behenyl lanolin isopropyl phenethyl myristyl lauryl oleyl "
        "polyvinyl sugar denat"
    ).split()
)

CONCERNS: tuple[Concern, ...] = (
    _c(
        "oral_retinoid",
        r"\bisotretinoin\b|\btazarotene\b|\bacitretin\b",
        "fail",
        "a retinoid medicine that must not be used in pregnancy",
        "un retinoide que no debe usarse en el embarazo",
        ACOG_SKIN,
    ),
    _c(
        "topical_retinoid",
        r"\bretin(?:ol|al|aldehyde|yl\s+(?:palmitate|acetate|propionate|retinoate))\b"
        r"|\btretinoin\b|\badapalene\b|\btrifarotene\b|\bhydroxypinacolone\s+retinoate\b",
        "fail",
        "a retinoid; skin products with retinoids are best avoided in pregnancy",
        "un retinoide; es mejor evitar los productos para la piel con retinoides en el embarazo",
        ACOG_SKIN,
        ("topical",),
    ),
    _c(
        "vitamin_a",
        r"\bretinyl\s+(?:palmitate|acetate)\b|\bvitamin\s+a\b(?!\s*\(?\s*(?:as\s+)?beta)|\bretinol\b",
        "warn",
        "preformed vitamin A; keep the daily total from all sources under 10,000 IU (3,000 µg)",
        "vitamina A preformada; mantenga el total diario de todas las fuentes por debajo de 10.000 UI (3.000 µg)",
        IOM_VITAMIN_A,
        ("dietary", "unknown"),
    ),
    _c(
        "salicylic_acid",
        r"\bsalicylic\s+acid\b|\bbeta\s+hydroxy\s+acid\b|\bmethyl\s+salicylate\b|\bwintergreen\s+oil\b",
        "warn",
        "a salicylate; small amounts in washes are considered low-risk, but avoid peels and high-strength products",
        "un salicilato; pequeñas cantidades en limpiadores se consideran de bajo riesgo, pero evite peelings y "
        "productos concentrados",
        ACOG_SKIN,
    ),
    # No pregnancy guideline covers hydroquinone; the concern is that much of
    # it is absorbed through the skin and its safety has not been studied.
    _c(
        "hydroquinone",
        r"\bhydroquinone\b",
        "warn",
        "a skin lightener absorbed through the skin whose safety in pregnancy has not been established",
        "un aclarante de piel que se absorbe por la piel y cuya seguridad en el embarazo no está establecida",
    ),
    _c(
        "unpasteurised_dairy",
        r"\braw\s+milk\b|\bun[\s-]?pasteuri[sz]ed\b|\bleche\s+cruda\b|\bsin\s+pasteurizar\b",
        "fail",
        "unpasteurised dairy, which can carry Listeria",
        "lácteo sin pasteurizar, que puede transmitir Listeria",
        FDA_LISTERIA,
        ("dietary", "unknown"),
    ),
    _c(
        "soft_cheese",
        r"\b(?:brie|camembert|feta|queso\s+fresco|queso\s+blanco|panela|blue\s+cheese|gorgonzola|roquefort)\b"
        r"(?!.*\bpasteuri[sz]ed\b)",
        "warn",
        "a soft cheese; eat it only if the label says it is made with pasteurised milk",
        "un queso blando; cómalo solo si la etiqueta dice que está hecho con leche pasteurizada",
        FDA_LISTERIA,
        ("dietary", "unknown"),
    ),
    _c(
        "raw_fish",
        r"\braw\s+(?:fish|salmon|tuna|oysters?|clams?|shellfish)\b|\bsushi\b|\bsashimi\b|\bceviche\b|\bpoke\b",
        "fail",
        "raw fish or shellfish, which can carry Listeria and other infections",
        "pescado o marisco crudo, que puede transmitir Listeria y otras infecciones",
        FDA_FISH,
        ("dietary", "unknown"),
    ),
    _c(
        "smoked_seafood",
        r"\bsmoked\s+(?:salmon|trout|whitefish|fish|mackerel)\b|\blox\b",
        "warn",
        "refrigerated smoked seafood, which should be eaten only cooked, for example in a casserole",
        "pescado ahumado refrigerado, que solo debe comerse cocinado",
        FDA_LISTERIA,
        ("dietary", "unknown"),
    ),
    _c(
        "deli_meat",
        r"\b(?:deli|luncheon|lunch)\s+(?:meats?|turkey|ham|chicken|beef|slices?)\b|\bcold\s+cuts?\b|\bhot\s*dogs?\b"
        r"|\bbologna\b|\bsalami\b|\bpate\b|\bmeat\s+spreads?\b|\bfiambres?\b|\bembutidos?\b",
        "warn",
        "deli meat, hot dogs and refrigerated pâté can carry Listeria; eat them only heated until steaming hot",
        "los fiambres, las salchichas y el paté refrigerado pueden transmitir Listeria; cómalos solo bien calientes",
        FDA_LISTERIA,
        ("dietary", "unknown"),
    ),
    _c(
        "high_mercury_fish",
        r"\bking\s+mackerel\b|\bmarlin\b|\borange\s+roughy\b|\bshark\b|\bswordfish\b|\btilefish\b|\bbigeye\s+tuna\b",
        "fail",
        "a high-mercury fish on the FDA/EPA 'choices to avoid' list",
        "un pescado con mucho mercurio de la lista de la FDA/EPA de opciones a evitar",
        FDA_FISH,
        ("dietary", "unknown"),
    ),
    _c(
        "alcohol",
        rf"\b{_FATTY_ALCOHOL}alcohol\b(?!\s+denat)|\bethanol\b|\bwine\b(?!\s+vinegar)|\bbeer\b|\brum\b|\bbrandy\b"
        r"|\bbourbon\b|\bwhiske?y\b"
        r"|\bvodka\b|\bliqueur\b|\bsake\b|\bhard\s+cider\b",
        "fail",
        "alcohol; there is no known safe amount during pregnancy",
        "alcohol; no se conoce ninguna cantidad segura durante el embarazo",
        CDC_ALCOHOL,
        ("dietary",),
    ),
    _c(
        "caffeine",
        r"\bcaffeine\b|\bcoffee\b|\bespresso\b|\bguarana\b|\byerba\s+mate\b|\bkola\s+nut\b|\bcola\s+nut\b"
        r"|\bgreen\s+tea\s+extract\b|\bmatcha\b|\bcafeina\b|\bcafe\b",
        "warn",
        "caffeine; keep the daily total under 200 mg (about one 12 oz cup of coffee)",
        "cafeína; mantenga el total diario por debajo de 200 mg (una taza grande de café)",
        ACOG_CAFFEINE,
        ("dietary", "unknown"),
    ),
    _c(
        "ephedra",
        r"\bephedra\b|\bma\s+huang\b|\bephedrine\b",
        "fail",
        "ephedra, banned from US dietary supplements and unsafe in pregnancy",
        "efedra, prohibida en suplementos en EE. UU. e insegura en el embarazo",
        FDA_EPHEDRA,
    ),
    # Herbs with a long record as abortifacients or uterine stimulants; no
    # single guideline lists them, so they are not cited.
    _c(
        "unsafe_herb",
        r"\bpennyroyal\b|\bpoleo\b|\bblue\s+cohosh\b",
        "fail",
        "an herb that can bring on contractions and has caused serious harm; do not use in pregnancy",
        "una hierba que puede provocar contracciones y ha causado daños graves; no la use en el embarazo",
    ),
    _c(
        "herb_to_avoid",
        r"\bblack\s+cohosh\b|\bdong\s+quai\b|\bmugwort\b|\btansy\b|\brue\b|\byohimbe\b|\bgoldenseal\b|\bfeverfew\b"
        r"|\bartemisa\b",
        "warn",
        "an herb traditionally used to bring on periods or labour; use it only if your doctor agrees",
        "una hierba usada tradicionalmente para provocar la menstruación o el parto; úsela solo si su médico está de "
        "acuerdo",
    ),
    _c(
        "nsaid",
        r"\bibuprofen\b|\bnaproxen\b|\bdiclofenac\b|\bketoprofen\b|\bcelecoxib\b|\baspirin\b"
        r"|\bacetylsalicylic\s+acid\b|\bibuprofeno\b|\bnaproxeno\b",
        "warn",  # raised to fail in the third trimester, see `_nsaid_status`
        "an NSAID pain reliever; the FDA advises avoiding NSAIDs from 20 weeks of pregnancy",
        "un analgésico AINE; la FDA aconseja evitarlos desde la semana 20 de embarazo",
        FDA_NSAIDS,
    ),
    _c(
        "phthalates",
        r"\bphthalates?\b|\bdibutyl\s+phthalate\b|\bdiethyl\s+phthalate\b|\bdep\b|\bdbp\b",
        "warn",
        "a phthalate; ACOG advises reducing exposure during pregnancy",
        "un ftalato; el ACOG aconseja reducir la exposición durante el embarazo",
        ACOG_ENVIRONMENT,
    ),
    _c(
        "fragrance",
        r"\bfragrance\b|\bparfum\b|\bperfume\b|\bfragancia\b",
        "warn",
        "an undisclosed fragrance mix, which can contain phthalates; fragrance-free products avoid the question",
        "una mezcla de fragancias sin detallar, que puede contener ftalatos; los productos sin perfume evitan la duda",
        ACOG_ENVIRONMENT,
    ),
)


#: FDA (2020): avoid NSAIDs from this week of pregnancy on.
NSAID_AVOID_FROM_WEEK = 20


def _nsaid_status(trimester: int | None, weeks: int | None = None) -> CheckStatus:
    # The third trimester begins at week 28, well past the 20-week line; a stated week decides exactly.
    if weeks is not None:
        return "fail" if weeks >= NSAID_AVOID_FROM_WEEK else "warn"
    return "fail" if trimester == 3 else "warn"


@dataclass(frozen=True)
class Finding:
    ingredient: str
    concern: Concern
    status: CheckStatus

    def as_fact(self) -> dict[str, str]:
        return {
            "ingredient": self.ingredient,
            "concern": self.concern.key,
            "status": self.status,
            "note": self.concern.says.en,
            "note_es": self.concern.says.es,
        }


def find_concerns(product: Product, trimester: int | None, weeks: int | None = None) -> list[Finding]:
    """Every ingredient on the avoid/limit list, given how the product is used.

    The product's name counts as well, for a concern no ingredient shows: a
    "Queso fresco" whose ingredients read "milk, salt, enzymes" is still a
    soft cheese.
    """
    use = product_use(product)
    findings: list[Finding] = []
    named = [(ingredient, False) for ingredient in product.ingredients] + [(product.name or "", True)]
    for ingredient, is_name in named:
        folded = fold(ingredient)
        for concern in CONCERNS:
            if use not in concern.applies_to or not concern.pattern.search(folded):
                continue
            if is_name and any(f.concern.key == concern.key for f in findings):
                break
            status = _nsaid_status(trimester, weeks) if concern.key == "nsaid" else concern.status
            findings.append(Finding(ingredient=ingredient, concern=concern, status=status))
            break  # one concern per ingredient: the first, most specific one
    return findings


def _listing(findings: list[Finding], language: str) -> str:
    items = [
        f"{f.ingredient} ({f.concern.says.es if language == 'es' else f.concern.says.en})"
        for f in findings[:DEFAULT_DETAIL_ITEMS]
    ]
    extra = len(findings) - DEFAULT_DETAIL_ITEMS
    if extra > 0:
        items.append(f"{extra} más" if language == "es" else f"{extra} more")
    return join_names(items, language)


def _summary(findings: list[Finding]) -> Says:
    """ "Avoid in pregnancy: ... Use with care: ..." with the avoid list first."""
    avoid = [f for f in findings if f.status == "fail"]
    care = [f for f in findings if f.status == "warn"]
    en: list[str] = []
    es: list[str] = []
    if avoid:
        en.append(f"Avoid in pregnancy: {_listing(avoid, 'en')}.")
        es.append(f"Evitar en el embarazo: {_listing(avoid, 'es')}.")
    if care:
        en.append(f"Use with care in pregnancy: {_listing(care, 'en')}.")
        es.append(f"Usar con precaución en el embarazo: {_listing(care, 'es')}.")
    return Says(" ".join(en), " ".join(es))


def _stage(pregnancy: Pregnancy | None) -> Says:
    """How far along, and who said so (spec 4b.6)."""
    if pregnancy is None or (pregnancy.trimester is None and pregnancy.weeks is None):
        return Says(" We do not know how far along you are.", " No sabemos de cuántas semanas está.")
    if pregnancy.source == "message":
        if pregnancy.weeks is not None:
            return Says(f" You said you are {pregnancy.weeks} weeks pregnant.",
                        f" Nos dijo que está embarazada de {pregnancy.weeks} semanas.")
        return Says(f" You said you are in the {_ORDINAL[pregnancy.trimester].en} trimester.",
                    f" Nos dijo que está en el {_ORDINAL[pregnancy.trimester].es} trimestre.")
    return Says(f" Your profile says trimester {pregnancy.trimester}.",
                f" Su perfil indica el trimestre {pregnancy.trimester}.")


_ORDINAL = {1: Says("first", "primer"), 2: Says("second", "segundo"), 3: Says("third", "tercer")}

LACTMED = Citation(
    "guideline",
    "nih-lactmed",
    "NIH LactMed: Drugs and Lactation Database (medicines and other substances in breast milk)",
    "https://www.ncbi.nlm.nih.gov/books/NBK501922/",
)
BREASTFEEDING = Says(
    "We check products against pregnancy guidance, not breastfeeding, so we cannot tell you whether it is OK "
    "while breastfeeding: ask your pediatrician or pharmacist, or look it up in LactMed, the NIH database of "
    "medicines and breastfeeding.",
    "Revisamos los productos según las recomendaciones para el embarazo, no para la lactancia, así que no podemos "
    "decirle si es adecuado durante la lactancia: pregunte a su pediatra o farmacéutico, o búsquelo en LactMed, la "
    "base de datos de los NIH sobre medicamentos y lactancia.",
)


def check_pregnancy(product: Product | None, profile: Profile, stated: Pregnancy | None = None, *,
                    breastfeeding: bool = False) -> ToolResult:
    """Check the product's ingredients against pregnancy guidance.

    A pregnancy `stated` in the message (weeks, trimester) wins over the profile's trimester (spec 4b.6). A
    question asked while `breastfeeding`, with no pregnancy in the message, is not checked against pregnancy
    guidance: the answer says what the check does not cover (see the module docstring).
    """
    if breastfeeding and stated is None:
        return build_result(TOOL_NAME, [CheckOutcome("breastfeeding", "unknown", BREASTFEEDING)],
                            {"breastfeeding": True, "findings": []}, [LACTMED])
    pregnancy = stated if stated is not None and (stated.trimester or stated.weeks) else None
    if pregnancy is None and profile.pregnancy_trimester:
        pregnancy = Pregnancy(trimester=profile.pregnancy_trimester, source="profile")
    trimester = pregnancy.trimester if pregnancy else None
    weeks = pregnancy.weeks if pregnancy else None
    ingredients = [i for i in (product.ingredients if product else []) if i.strip()]
    facts: dict[str, object] = {
        "trimester": trimester,
        "weeks": weeks,
        "stage_source": pregnancy.source if pregnancy else None,
        "use": product_use(product) if product else None,
        "ingredients_checked": len(ingredients),
        "findings": [],
    }
    findings = find_concerns(product, trimester, weeks) if product is not None else []
    if not ingredients and not findings:
        reason = Says(
            (
                "No product was given, so its ingredients could not be checked for pregnancy."
                if product is None
                else "The product has no ingredient list, so it could not be checked for pregnancy."
            ),
            (
                "No se indicó ningún producto, así que no se pudieron revisar sus ingredientes para el embarazo."
                if product is None
                else "El producto no tiene lista de ingredientes, así que no se pudo revisar para el embarazo."
            ),
        )
        return build_result(TOOL_NAME, [CheckOutcome("pregnancy", "unknown", reason)], facts)

    facts["findings"] = [f.as_fact() for f in findings]
    if not findings:
        says = Says(
            f"{none_of(len(ingredients))} on our list of ingredients to avoid or limit in pregnancy. This is not a "
            "full medical review: ask your doctor or midwife about anything you use often.",
            f"{none_of(len(ingredients), 'es')} de nuestra lista de ingredientes a evitar o limitar en el embarazo. "
            "No es una revisión médica completa: consulte a su médico o matrona sobre lo que use a menudo.",
        )
        return build_result(TOOL_NAME, [CheckOutcome("pregnancy", "pass", says)], facts)

    status = worst(f.status for f in findings)
    says = _summary(findings)
    if any(f.concern.key == "nsaid" for f in findings):
        stage = _stage(pregnancy)
        says = Says(says.en + stage.en, says.es + stage.es)
    citations = [f.concern.citation for f in findings if f.concern.citation]
    return build_result(TOOL_NAME, [CheckOutcome("pregnancy", status, says)], facts, citations)
