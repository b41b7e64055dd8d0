"""The age check's product rules, and the machinery every category rule shares.

A category rule applies when its keywords appear in the product's name and
category (or, for honey and benzocaine, its ingredients) and then judges the
child's age. This module holds the framework (`RuleContext`, `CategoryRule`,
`apply_rules`) and the rules for toys and gear, each based on a published
rule and cited: small parts in toys for under-3s (16 CFR 1501, warnings
16 CFR 1500.19), magnet sets for 14 and up (16 CFR 1262), balloons under 8,
infant walkers (AAP, 16 CFR 1216), slings under 4 months (16 CFR 1228), bath
seats (16 CFR 1215), teething jewellery (FDA), benzocaine under 2 (FDA) and
honey under 12 months (CDC/AAP). Safe-sleep rules are in `sleep_rules`.

A rule that needs the child's age and has none says what the rule is with
`warn` or `unknown`, never `pass`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from babyshield_chat.chat.tools.child_age import format_age
from babyshield_chat.chat.tools.common import CheckOutcome, Citation, Says

#: Below this age (months) toys must not have small parts (16 CFR 1501).
SMALL_PARTS_AGE_MONTHS = 36
#: Magnet sets are for ages 14 and up (16 CFR 1262).
MAGNET_SET_AGE_MONTHS = 14 * 12
#: Balloon warning age, 8 years (16 CFR 1500.19).
BALLOON_AGE_MONTHS = 8 * 12
#: Sling warnings single out babies younger than 4 months (16 CFR 1228).
SLING_YOUNG_MONTHS = 4
#: No honey before 12 months; no benzocaine teething products before 24.
HONEY_AGE_MONTHS = 12
BENZOCAINE_AGE_MONTHS = 24


@dataclass(frozen=True)
class RuleContext:
    """What a category rule may look at."""

    text: str  # folded name and category
    ingredients: str  # folded ingredient list
    age: int | None  # child age in months, None when unknown
    age_min: int | None


@dataclass(frozen=True)
class CategoryRule:
    """A category rule: when `pattern` is in the product text, `judge` decides."""

    pattern: re.Pattern[str]
    judge: Callable[[RuleContext], CheckOutcome | None]
    citations: tuple[Citation, ...]
    on_ingredients: bool = False


def is_younger(age: int | None, limit: int) -> bool | None:
    """Whether the child is below `limit` months; None when the age is unknown."""
    return None if age is None else age < limit


def cfr(part: str, title: str) -> Citation:
    """A citation of a part of Title 16 of the CFR (consumer product safety)."""
    return Citation(
        "regulation", f"16-cfr-{part}", f"16 CFR {part}: {title}", f"https://www.ecfr.gov/current/title-16/part-{part}"
    )


CFR_1501 = cfr("1501", "small parts ban for toys intended for children under 3")
CFR_1500_19 = Citation(
    "regulation",
    "16-cfr-1500.19",
    "16 CFR 1500.19: choking hazard warnings for small parts, balls, marbles and balloons",
    "https://www.ecfr.gov/current/title-16/section-1500.19",
)
CFR_1262 = cfr("1262", "Safety Standard for Magnets")
CFR_1216 = cfr("1216", "Safety Standard for Infant Walkers")
CFR_1228 = cfr("1228", "Safety Standard for Sling Carriers")
CFR_1215 = cfr("1215", "Safety Standard for Infant Bath Seats")
AAP_WALKERS = Citation(
    "guideline",
    "aap-infant-walkers-2001",
    "AAP: Injuries Associated With Infant Walkers, Pediatrics 2001;108(3):790-792",
    "https://doi.org/10.1542/peds.108.3.790",
)
FDA_TEETHING_JEWELRY = Citation(
    "guideline", "fda-teething-jewelry-2018", "FDA safety communication (2018): do not use teething jewelry"
)
FDA_BENZOCAINE = Citation(
    "guideline", "fda-benzocaine-2018", "FDA (2018): no benzocaine teething products for children under 2"
)
CDC_HONEY = Citation(
    "guideline", "cdc-aap-honey-infant-botulism", "CDC and AAP: no honey before 12 months (infant botulism)"
)


def _walker(ctx: RuleContext) -> CheckOutcome | None:
    # Push walkers and sit-to-stand toys are pushed by a child who already
    # stands; the AAP warning is about sit-in walkers.
    if re.search(r"\bpush\b|\bwagon\b|\bsit[\s-]to[\s-]stand\b", ctx.text):
        return None
    return CheckOutcome(
        "walker",
        "warn",
        Says(
            "The AAP advises against baby walkers: they cause falls, including down stairs. Walkers sold in the US "
            "must meet 16 CFR 1216; a stationary activity centre is a safer choice.",
            "La AAP desaconseja los andadores: causan caídas, también por escaleras. Los que se venden en EE. UU. "
            "deben cumplir 16 CFR 1216; un centro de actividades fijo es más seguro.",
        ),
    )


def _sling(ctx: RuleContext) -> CheckOutcome | None:
    if is_younger(ctx.age, SLING_YOUNG_MONTHS) is False:
        return None
    return CheckOutcome(
        "sling",
        "warn",
        Says(
            "Slings carry a suffocation risk for babies younger than 4 months: keep the face visible and clear of "
            "fabric (16 CFR 1228 warning).",
            "Los portabebés tipo fular tienen riesgo de asfixia para bebés menores de 4 meses: mantenga la cara "
            "visible y libre de tela (advertencia de 16 CFR 1228).",
        ),
    )


def _bath_seat(ctx: RuleContext) -> CheckOutcome:
    return CheckOutcome(
        "bath_seat",
        "warn",
        Says(
            "Babies have drowned in bath seats when left alone for a moment; stay within arm's reach the whole time "
            "(16 CFR 1215).",
            "Ha habido bebés ahogados en asientos de baño al quedarse solos un momento; manténgase al alcance de la "
            "mano todo el tiempo (16 CFR 1215).",
        ),
    )


def _teething_jewelry(ctx: RuleContext) -> CheckOutcome:
    return CheckOutcome(
        "teething_jewelry",
        "fail",
        Says(
            "The FDA warns against teething necklaces and bracelets at any age: they can strangle or choke a child.",
            "La FDA advierte contra collares y pulseras de dentición a cualquier edad: pueden estrangular o atragantar "
            "al niño.",
        ),
    )


def _magnet_set(ctx: RuleContext) -> CheckOutcome:
    young = is_younger(ctx.age, MAGNET_SET_AGE_MONTHS)
    if young is False:
        return CheckOutcome(
            "magnets",
            "pass",
            Says(
                "Your child is over 14, the age magnet sets are made for (16 CFR 1262); keep them away from younger "
                "children.",
                "Su hijo tiene más de 14 años, la edad para la que son estos imanes (16 CFR 1262); manténgalos lejos "
                "de niños pequeños.",
            ),
        )
    return CheckOutcome(
        "magnets",
        "fail" if young else "warn",
        Says(
            "Loose high-powered magnet sets are for ages 14 and up (16 CFR 1262): swallowed magnets can tear the "
            "intestines.",
            "Los juegos de imanes potentes son para mayores de 14 años (16 CFR 1262): los imanes tragados pueden "
            "perforar el intestino.",
        ),
    )


def _balloons(ctx: RuleContext) -> CheckOutcome | None:
    if is_younger(ctx.age, BALLOON_AGE_MONTHS) is False:
        return None
    return CheckOutcome(
        "balloons",
        "warn",
        Says(
            "Children under 8 can choke or suffocate on uninflated or broken balloons; an adult should supervise (16 "
            "CFR 1500.19).",
            "Los niños menores de 8 años pueden atragantarse o asfixiarse con globos desinflados o rotos; un adulto "
            "debe vigilar (16 CFR 1500.19).",
        ),
    )


_SMALL_PARTS_WORDS = re.compile(r"\bsmall\s+(?:parts?|pieces?|balls?)\b|\bmarbles?\b|\bbeads?\b")


def _small_parts(ctx: RuleContext) -> CheckOutcome:
    labelled_older = ctx.age_min is not None and ctx.age_min >= SMALL_PARTS_AGE_MONTHS
    hazard_words = bool(_SMALL_PARTS_WORDS.search(ctx.text))
    young = is_younger(ctx.age, SMALL_PARTS_AGE_MONTHS)
    if young is False:
        return CheckOutcome(
            "small_parts",
            "pass",
            Says(
                f"Your child is {format_age(ctx.age)}, older than 3, the age below which small parts are banned in "
                "toys (16 CFR 1501).",
                f"Su hijo tiene {format_age(ctx.age, 'es')}, más de 3 años, la edad por debajo de la cual se "
                "prohíben piezas pequeñas en juguetes (16 CFR 1501).",
            ),
        )
    if labelled_older or hazard_words:
        return CheckOutcome(
            "small_parts",
            "fail" if young else "warn",
            Says(
                "Not for children under 3: toys graded 3+ or with small parts, balls or marbles are a choking hazard "
                "for them (16 CFR 1501, 16 CFR 1500.19).",
                "No apto para menores de 3 años: los juguetes para 3+ o con piezas pequeñas, pelotas o canicas son un "
                "riesgo de asfixia para ellos (16 CFR 1501, 16 CFR 1500.19).",
            ),
        )
    if young:
        return CheckOutcome(
            "small_parts",
            "warn",
            Says(
                "This toy states no age grading; for a child under 3, check that no part or piece that could break off "
                "fits inside a toilet-paper tube, the size of the small-parts test (16 CFR 1501).",
                "Este juguete no indica edad; para un niño menor de 3 años, compruebe que ninguna pieza, ni las que "
                "puedan soltarse, quepa en un tubo de papel higiénico, el tamaño de la prueba de piezas pequeñas (16 "
                "CFR 1501).",
            ),
        )
    return CheckOutcome(
        "small_parts",
        "unknown",
        Says(
            "Without your child's age or the toy's age grading, small parts could not be checked (they are banned in "
            "toys for under-3s, 16 CFR 1501).",
            "Sin la edad de su hijo ni la edad indicada del juguete no se pudieron comprobar las piezas pequeñas "
            "(prohibidas en juguetes para menores de 3 años, 16 CFR 1501).",
        ),
    )


def _age_limited_ingredient(name: str, limit: int, rule: Says) -> Callable[[RuleContext], CheckOutcome]:
    """A rule for an ingredient that is unsafe below `limit` months."""

    def judge(ctx: RuleContext) -> CheckOutcome:
        young = is_younger(ctx.age, limit)
        if young is False:
            return CheckOutcome(
                name,
                "pass",
                Says(
                    f"{rule.en} Your child is {format_age(ctx.age)}, past that age.",
                    f"{rule.es} Su hijo tiene {format_age(ctx.age, 'es')}, ya pasó esa edad.",
                ),
            )
        # Unknown age: the rule still stands, but we cannot say it applies.
        return CheckOutcome(name, "fail" if young else "warn", rule)

    return judge


def compile_rule(pattern: str) -> re.Pattern[str]:
    """Compile a rule's keyword pattern (it runs on folded text)."""
    return re.compile(pattern)


_TOY = (
    r"\btoys?\b|\brattles?\b|\bdolls?\b|\bpuzzles?\b|\bblocks\b|\bbuilding\s+(?:sets?|bricks)\b|\bfigur(?:es?|ines?)\b"
    r"|\bplay\s*sets?\b|\bgames?\b|\bplush\b|\bstuffed\s+animals?\b|\bmarbles?\b|\bstackers?\b|\bshape\s+sorters?\b"
    r"|\bjuguetes?\b|\bmunecas?\b"
)

#: Toy and gear rules in the order their checks are listed.
PRODUCT_RULES: tuple[CategoryRule, ...] = (
    CategoryRule(
        compile_rule(r"\bwalkers?\b"),
        _walker,
        (AAP_WALKERS, CFR_1216),
    ),
    CategoryRule(compile_rule(r"\bslings?\b|\bfular\b"), _sling, (CFR_1228,)),
    CategoryRule(compile_rule(r"\bbath\s+seats?\b|\basiento\s+de\s+bano\b"), _bath_seat, (CFR_1215,)),
    CategoryRule(
        compile_rule(
            r"\bteething\s+(?:necklace|bracelet|anklet|jewel(?:le)?ry)s?\b"
            r"|\bamber\s+(?:teething\s+)?(?:necklace|beads)\b|\bcollar\s+de\s+ambar\b"
        ),
        _teething_jewelry,
        (FDA_TEETHING_JEWELRY,),
    ),
    CategoryRule(
        compile_rule(
            r"\bmagnet(?:ic)?\s+(?:balls?|beads?|sets?|spheres?|cubes?)\b"
            r"|\bneodymium\b|\bbuckyballs?\b|\bfidget\s+magnets?\b"
        ),
        _magnet_set,
        (CFR_1262,),
    ),
    CategoryRule(compile_rule(r"\bballoons?\b|\bglobos?\b"), _balloons, (CFR_1500_19,)),
    CategoryRule(compile_rule(_TOY + r"|" + _SMALL_PARTS_WORDS.pattern), _small_parts, (CFR_1501, CFR_1500_19)),
    CategoryRule(
        compile_rule(r"\bhoney\b|\bmiel\b"),
        _age_limited_ingredient(
            "honey",
            HONEY_AGE_MONTHS,
            Says(
                "Contains honey, which can cause infant botulism: no honey before 12 months.",
                "Contiene miel, que puede causar botulismo infantil: nada de miel antes de los 12 meses.",
            ),
        ),
        (CDC_HONEY,),
        on_ingredients=True,
    ),
    CategoryRule(
        compile_rule(r"\bbenzocaine\b|\bbenzocaina\b"),
        _age_limited_ingredient(
            "benzocaine",
            BENZOCAINE_AGE_MONTHS,
            Says(
                "Contains benzocaine, which the FDA says must not be used in children under 2.",
                "Contiene benzocaína, que según la FDA no debe usarse en menores de 2 años.",
            ),
        ),
        (FDA_BENZOCAINE,),
        on_ingredients=True,
    ),
)


def apply_rules(rules: Iterable[CategoryRule], ctx: RuleContext) -> list[tuple[CheckOutcome, tuple[Citation, ...]]]:
    """The outcome of every rule that applies to the product, with what it cites."""
    applied = []
    for rule in rules:
        if not rule.pattern.search(ctx.ingredients if rule.on_ingredients else ctx.text):
            continue
        outcome = rule.judge(ctx)
        if outcome is not None:
            applied.append((outcome, rule.citations))
    return applied
