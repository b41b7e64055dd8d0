"""The `age_check` tool: is this product right for the child's age?

Two kinds of check:

- `age_minimum`: the child's age in whole months against the product's own
  age grading (`age_min_months`). Without both, it is `unknown`.
- Category rules, found by keywords in the product's name and category, each
  based on a published rule and cited: small parts in toys for under-3s
  (16 CFR 1501), magnet sets (16 CFR 1262), balloons (16 CFR 1500.19), the
  Safe Sleep for Babies Act 2022 ban on inclined sleepers and padded crib
  bumpers (with 16 CFR 1241), sleep positioners (FDA), infant pillows,
  weighted sleep products and in-bed sleepers (AAP 2022 safe sleep), drop-side
  cribs (16 CFR 1219/1220), bassinets once a baby rolls (16 CFR 1218), infant
  walkers (AAP, 16 CFR 1216), slings under 4 months (16 CFR 1228), bath seats
  (16 CFR 1215), teething jewellery and benzocaine (FDA), honey under
  12 months (CDC/AAP).

A rule that needs the child's age and has none says what the rule is with
`warn` or `unknown`, never `pass`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from babyshield_chat.chat.model import Product, ToolResult
from babyshield_chat.chat.text import fold
from babyshield_chat.chat.tools.common import CheckOutcome, Citation, Says, build_result

TOOL_NAME = "age_check"

#: Below this age (months) toys must not have small parts (16 CFR 1501).
SMALL_PARTS_AGE_MONTHS = 36
#: Magnet sets are for ages 14 and up (16 CFR 1262).
MAGNET_SET_AGE_MONTHS = 14 * 12
#: Balloon warning age, 8 years (16 CFR 1500.19).
BALLOON_AGE_MONTHS = 8 * 12
#: Many babies start rolling at about 4 months; bassinets are for babies who cannot.
BASSINET_ROLLING_MONTHS = 4
#: Sling warnings single out babies younger than 4 months (16 CFR 1228).
SLING_YOUNG_MONTHS = 4
#: No honey before 12 months; no benzocaine teething products before 24.
HONEY_AGE_MONTHS = 12
BENZOCAINE_AGE_MONTHS = 24
#: AAP keeps pillows and soft bedding out of the sleep space for the first year.
PILLOW_AGE_MONTHS = 12


def _cfr(part: str, title: str) -> Citation:
    return Citation(
        "regulation", f"16-cfr-{part}", f"16 CFR {part}: {title}", f"https://www.ecfr.gov/current/title-16/part-{part}"
    )


CFR_1501 = _cfr("1501", "small parts ban for toys intended for children under 3")
CFR_1500_19 = Citation(
    "regulation",
    "16-cfr-1500.19",
    "16 CFR 1500.19: choking hazard warnings for small parts, balls, marbles and balloons",
    "https://www.ecfr.gov/current/title-16/section-1500.19",
)
CFR_1262 = _cfr("1262", "Safety Standard for Magnets")
CFR_1241 = _cfr("1241", "Safety Standard for Infant Sleep Products")
CFR_1218 = _cfr("1218", "Safety Standard for Bassinets and Cradles")
CFR_1219 = _cfr("1219", "Safety Standard for Full-Size Baby Cribs")
CFR_1220 = _cfr("1220", "Safety Standard for Non-Full-Size Baby Cribs")
CFR_1216 = _cfr("1216", "Safety Standard for Infant Walkers")
CFR_1228 = _cfr("1228", "Safety Standard for Sling Carriers")
CFR_1215 = _cfr("1215", "Safety Standard for Infant Bath Seats")
SAFE_SLEEP_ACT = Citation(
    "regulation",
    "safe-sleep-for-babies-act-2022",
    "Safe Sleep for Babies Act of 2022 (Public Law 117-126): bans inclined sleepers and padded crib bumpers",
    "https://www.congress.gov/bill/117th-congress/house-bill/3182",
    "2022-05-16",
)
AAP_SAFE_SLEEP = Citation(
    "guideline",
    "aap-safe-sleep-2022",
    "AAP: Sleep-Related Infant Deaths: Updated 2022 Recommendations for Reducing Infant Deaths in the Sleep "
    "Environment",
    "https://doi.org/10.1542/peds.2022-057990",
    "2022-07",
)
FDA_POSITIONERS = Citation(
    "guideline",
    "fda-sleep-positioners",
    "FDA: Do Not Use Infant Sleep Positioners Due to the Risk of Suffocation",
    "https://www.fda.gov/consumers/consumer-updates/do-not-use-infant-sleep-positioners-due-risk-suffocation",
)
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


def child_age_months(birthdate: dt.date, today: dt.date) -> int:
    """Whole months from `birthdate` to `today` (negative when not born yet)."""
    months = (today.year - birthdate.year) * 12 + (today.month - birthdate.month)
    if months > 0 and today.day < birthdate.day:
        months -= 1
    elif months < 0 and today.day > birthdate.day:
        months += 1
    return months


def format_age(months: int, language: str = "en") -> str:
    """ "7 months", "2 years", "2 years 6 months" (or Spanish)."""
    es = language == "es"

    def unit(count: int, one: str, many: str) -> str:
        return f"{count} {one if count == 1 else many}"

    month_words = ("mes", "meses") if es else ("month", "months")
    if months < 24:
        return unit(months, *month_words)
    years, rest = divmod(months, 12)
    text = unit(years, *(("año", "años") if es else ("year", "years")))
    if rest:
        text += (" y " if es else " ") + unit(rest, *month_words)
    return text


@dataclass(frozen=True)
class _Context:
    text: str  # folded name and category
    ingredients: str  # folded ingredient list
    age: int | None  # child age in months, None when unknown
    age_min: int | None


@dataclass(frozen=True)
class _Rule:
    """A category rule: when `pattern` is in the product text, `judge` decides."""

    pattern: re.Pattern[str]
    judge: Callable[[_Context], CheckOutcome | None]
    citations: tuple[Citation, ...]
    on_ingredients: bool = False


def _young(age: int | None, limit: int) -> bool | None:
    return None if age is None else age < limit


def _inclined_sleeper(ctx: _Context) -> CheckOutcome:
    return CheckOutcome(
        "inclined_sleeper",
        "fail",
        Says(
            "Inclined infant sleepers are banned under the Safe Sleep for Babies Act of 2022; babies should sleep on "
            "their back on a flat, firm surface. Stop using it for sleep.",
            "Las camitas inclinadas para bebés están prohibidas por la Safe Sleep for Babies Act de 2022; los bebés "
            "deben dormir boca arriba sobre una superficie plana y firme. Deje de usarla para dormir.",
        ),
    )


def _crib_bumper(ctx: _Context) -> CheckOutcome:
    if re.search(r"\b(?:mesh|breathable)\b", ctx.text):
        return CheckOutcome(
            "crib_bumper",
            "warn",
            Says(
                "The AAP advises against bumpers and liners that attach to crib slats, mesh ones included; keep the "
                "crib bare.",
                "La AAP desaconseja protectores y forros que se atan a los barrotes de la cuna, incluidos los de "
                "malla; deje la cuna vacía.",
            ),
        )
    return CheckOutcome(
        "crib_bumper",
        "fail",
        Says(
            "Padded crib bumpers are banned under the Safe Sleep for Babies Act of 2022 because of suffocation deaths; "
            "do not use one.",
            "Los protectores acolchados de cuna están prohibidos por la Safe Sleep for Babies Act de 2022 por muertes "
            "por asfixia; no los use.",
        ),
    )


def _sleep_positioner(ctx: _Context) -> CheckOutcome:
    return CheckOutcome(
        "sleep_positioner",
        "fail",
        Says(
            "The FDA warns not to use infant sleep positioners or wedges: babies have suffocated in them.",
            "La FDA advierte que no se usen posicionadores ni cuñas para dormir: ha habido bebés asfixiados en ellos.",
        ),
    )


def _infant_pillow(ctx: _Context) -> CheckOutcome:
    young = _young(ctx.age, PILLOW_AGE_MONTHS)
    status = "fail" if young else "warn"
    return CheckOutcome(
        "infant_pillow",
        status,
        Says(
            "Pillows and soft bedding do not belong in a sleeping baby's space in the first 12 months (AAP 2022).",
            "Las almohadas y la ropa de cama blanda no deben estar donde duerme el bebé durante los primeros 12 meses "
            "(AAP 2022).",
        ),
    )


def _lounger(ctx: _Context) -> CheckOutcome:
    return CheckOutcome(
        "not_for_sleep",
        "warn",
        Says(
            "Nursing pillows, loungers and nests are not safe for sleep; move a sleeping baby to a crib or bassinet "
            "(AAP 2022).",
            "Las almohadas de lactancia, tumbonas y nidos no son seguros para dormir; pase al bebé dormido a una cuna "
            "o moisés (AAP 2022).",
        ),
    )


def _weighted(ctx: _Context) -> CheckOutcome:
    return CheckOutcome(
        "weighted_sleep",
        "warn",
        Says(
            "The AAP advises against weighted sleep sacks, swaddles and blankets for infants; use an unweighted sleep "
            "sack.",
            "La AAP desaconseja sacos, mantas o envolturas con peso para bebés; use un saco de dormir sin peso.",
        ),
    )


def _in_bed_sleeper(ctx: _Context) -> CheckOutcome:
    return CheckOutcome(
        "in_bed_sleeper",
        "warn",
        Says(
            "The AAP does not recommend in-bed sleepers; a crib, bassinet or play yard in your room is safest.",
            "La AAP no recomienda los nidos para la cama de los padres; lo más seguro es una cuna, moisés o corralito "
            "en su habitación.",
        ),
    )


def _drop_side(ctx: _Context) -> CheckOutcome:
    return CheckOutcome(
        "drop_side_crib",
        "fail",
        Says(
            "Drop-side cribs may not be made or sold in the US since the 2011 crib standards (16 CFR 1219/1220); a "
            "detaching side can trap a baby. Use a crib that meets the current standard.",
            "Desde las normas de cunas de 2011 (16 CFR 1219/1220) no se pueden fabricar ni vender cunas de lado "
            "abatible en EE. UU.; un lateral suelto puede atrapar al bebé. Use una cuna que cumpla la norma actual.",
        ),
    )


def _bassinet(ctx: _Context) -> CheckOutcome | None:
    if ctx.age is not None and ctx.age < BASSINET_ROLLING_MONTHS:
        return None
    return CheckOutcome(
        "bassinet_outgrown",
        "warn",
        Says(
            "Stop using a bassinet once your baby can roll over or push up on hands and knees, or reaches the weight "
            "limit on its label (16 CFR 1218).",
            "Deje de usar el moisés cuando el bebé pueda darse la vuelta o levantarse sobre manos y rodillas, o llegue "
            "al peso máximo de la etiqueta (16 CFR 1218).",
        ),
    )


def _walker(ctx: _Context) -> CheckOutcome | None:
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


def _sling(ctx: _Context) -> CheckOutcome | None:
    if _young(ctx.age, SLING_YOUNG_MONTHS) is False:
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


def _bath_seat(ctx: _Context) -> CheckOutcome:
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


def _teething_jewelry(ctx: _Context) -> CheckOutcome:
    return CheckOutcome(
        "teething_jewelry",
        "fail",
        Says(
            "The FDA warns against teething necklaces and bracelets at any age: they can strangle or choke a child.",
            "La FDA advierte contra collares y pulseras de dentición a cualquier edad: pueden estrangular o atragantar "
            "al niño.",
        ),
    )


def _magnet_set(ctx: _Context) -> CheckOutcome:
    young = _young(ctx.age, MAGNET_SET_AGE_MONTHS)
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


def _balloons(ctx: _Context) -> CheckOutcome | None:
    if _young(ctx.age, BALLOON_AGE_MONTHS) is False:
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


def _small_parts(ctx: _Context) -> CheckOutcome:
    labelled_older = ctx.age_min is not None and ctx.age_min >= SMALL_PARTS_AGE_MONTHS
    hazard_words = bool(_SMALL_PARTS_WORDS.search(ctx.text))
    young = _young(ctx.age, SMALL_PARTS_AGE_MONTHS)
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


def _age_limited_ingredient(name: str, limit: int, rule: Says) -> Callable[[_Context], CheckOutcome]:
    """A rule for an ingredient that is unsafe below `limit` months."""

    def judge(ctx: _Context) -> CheckOutcome:
        young = _young(ctx.age, limit)
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


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_TOY = (
    r"\btoys?\b|\brattles?\b|\bdolls?\b|\bpuzzles?\b|\bblocks\b|\bbuilding\s+(?:sets?|bricks)\b|\bfigur(?:es?|ines?)\b"
    r"|\bplay\s*sets?\b|\bgames?\b|\bplush\b|\bstuffed\s+animals?\b|\bmarbles?\b|\bstackers?\b|\bshape\s+sorters?\b"
    r"|\bjuguetes?\b|\bmunecas?\b"
)

#: Category rules in the order their checks are listed.
RULES: tuple[_Rule, ...] = (
    _Rule(
        _compile(r"\binclined?\s+(?:infant\s+)?sleep|\brock\s*'?\s*n'?\s*play\b|\brock\s+and\s+play\b"),
        _inclined_sleeper,
        (SAFE_SLEEP_ACT, CFR_1241, AAP_SAFE_SLEEP),
    ),
    _Rule(
        _compile(r"\b(?:crib\s+)?bumpers?\b(?!\s*cars?)|\bcrib\s+liners?\b|\bprotector\s+de\s+cuna\b"),
        _crib_bumper,
        (SAFE_SLEEP_ACT, AAP_SAFE_SLEEP),
    ),
    _Rule(
        _compile(r"\b(?:sleep\s+)?positioners?\b|\bsleep\s+wedges?\b|\bposicionador"),
        _sleep_positioner,
        (FDA_POSITIONERS, AAP_SAFE_SLEEP),
    ),
    _Rule(
        _compile(
            r"\b(?:infant|baby|newborn|toddler|head[\s-]shaping|flat[\s-]head|bebe)\s+pillows?\b"
            r"|\balmohada\s+(?:para\s+)?bebe"
        ),
        _infant_pillow,
        (AAP_SAFE_SLEEP,),
    ),
    _Rule(
        _compile(r"\bnursing\s+pillows?\b|\bloungers?\b|\bsupport\s+cushions?\b|\bboppy\b"), _lounger, (AAP_SAFE_SLEEP,)
    ),
    _Rule(
        _compile(r"\bweighted\s+(?:sleep\s*(?:sack|bag|suit)|swaddle|blanket|sleepwear)s?\b"),
        _weighted,
        (AAP_SAFE_SLEEP,),
    ),
    _Rule(
        _compile(r"\bin[\s-]bed\s+sleepers?\b|\bbaby\s+nests?\b|\bsleep\s+nests?\b|\bdock-?a-?tot\b"),
        _in_bed_sleeper,
        (AAP_SAFE_SLEEP,),
    ),
    _Rule(_compile(r"\bdrop[\s-]?side\b"), _drop_side, (CFR_1219, CFR_1220)),
    _Rule(_compile(r"\bbassinets?\b|\bcradles?\b|\bmoses\s+baskets?\b|\bmoises\b"), _bassinet, (CFR_1218,)),
    _Rule(
        _compile(r"\bwalkers?\b|\bandador(?:es)?\b|\bandaderas?\b"),
        _walker,
        (AAP_WALKERS, CFR_1216),
    ),
    _Rule(_compile(r"\bslings?\b|\bfular\b"), _sling, (CFR_1228,)),
    _Rule(_compile(r"\bbath\s+seats?\b|\basiento\s+de\s+bano\b"), _bath_seat, (CFR_1215,)),
    _Rule(
        _compile(
            r"\bteething\s+(?:necklace|bracelet|anklet|jewel(?:le)?ry)s?\b"
            r"|\bamber\s+(?:teething\s+)?(?:necklace|beads)\b|\bcollar\s+de\s+ambar\b"
        ),
        _teething_jewelry,
        (FDA_TEETHING_JEWELRY,),
    ),
    _Rule(
        _compile(
            r"\bmagnet(?:ic)?\s+(?:balls?|beads?|sets?|spheres?|cubes?)\b"
            r"|\bneodymium\b|\bbuckyballs?\b|\bfidget\s+magnets?\b"
        ),
        _magnet_set,
        (CFR_1262,),
    ),
    _Rule(_compile(r"\bballoons?\b|\bglobos?\b"), _balloons, (CFR_1500_19,)),
    _Rule(_compile(_TOY + r"|" + _SMALL_PARTS_WORDS.pattern), _small_parts, (CFR_1501, CFR_1500_19)),
    _Rule(
        _compile(r"\bhoney\b|\bmiel\b"),
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
    _Rule(
        _compile(r"\bbenzocaine\b|\bbenzocaina\b"),
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


def _age_minimum(product: Product | None, age: int | None, birthdate: dt.date | None) -> CheckOutcome:
    if product is None:
        return CheckOutcome(
            "age_minimum",
            "unknown",
            Says(
                "No product was given, so its age grading could not be checked.",
                "No se indicó ningún producto, así que no se pudo comprobar su edad recomendada.",
            ),
        )
    grade = product.age_min_months
    if grade is None:
        child = f" Your child is {format_age(age)}." if age is not None else ""
        child_es = f" Su hijo tiene {format_age(age, 'es')}." if age is not None else ""
        return CheckOutcome(
            "age_minimum",
            "unknown",
            Says(
                f"The product does not state a minimum age.{child}", f"El producto no indica una edad mínima.{child_es}"
            ),
        )
    if birthdate is None:
        return CheckOutcome(
            "age_minimum",
            "unknown",
            Says(
                f"Labelled for {format_age(grade)} and up; add your child's birthdate to your profile to compare.",
                f"Indicado a partir de {format_age(grade, 'es')}; añada la fecha de nacimiento de su hijo a su "
                "perfil para compararla.",
            ),
        )
    if age is None or age < 0:
        return CheckOutcome(
            "age_minimum",
            "unknown",
            Says(
                f"Labelled for {format_age(grade)} and up; the birthdate in your profile is in the future.",
                f"Indicado a partir de {format_age(grade, 'es')}; la fecha de nacimiento de su perfil es futura.",
            ),
        )
    if age < grade:
        return CheckOutcome(
            "age_minimum",
            "fail",
            Says(
                f"Labelled for {format_age(grade)} and up; your child is {format_age(age)}.",
                f"Indicado a partir de {format_age(grade, 'es')}; su hijo tiene {format_age(age, 'es')}.",
            ),
        )
    return CheckOutcome(
        "age_minimum",
        "pass",
        Says(
            f"Labelled for {format_age(grade)} and up; your child is {format_age(age)}.",
            f"Indicado a partir de {format_age(grade, 'es')}; su hijo tiene {format_age(age, 'es')}.",
        ),
    )


def check_age(product: Product | None, child_birthdate: dt.date | None, today: dt.date) -> ToolResult:
    """Compare the child's age with the product's grading and its category's rules."""
    months = child_age_months(child_birthdate, today) if child_birthdate else None
    age = months if months is not None and months >= 0 else None
    outcomes = [_age_minimum(product, months, child_birthdate)]
    citations: list[Citation] = []
    if product is not None and product.age_min_months is not None:
        citations.append(
            Citation("label", "age-grading", f"Manufacturer's age grading: {format_age(product.age_min_months)} and up")
        )
    matched: list[str] = []
    if product is not None:
        ctx = _Context(
            text=fold(f"{product.name or ''} {product.category or ''}"),
            ingredients=fold(" ; ".join(product.ingredients)),
            age=age,
            age_min=product.age_min_months,
        )
        for rule in RULES:
            if not rule.pattern.search(ctx.ingredients if rule.on_ingredients else ctx.text):
                continue
            outcome = rule.judge(ctx)
            if outcome is None:
                continue
            outcomes.append(outcome)
            matched.append(outcome.name)
            citations.extend(rule.citations)
    facts = {
        "child_age_months": age,
        "age_min_months": product.age_min_months if product else None,
        "rules_matched": matched,
    }
    return build_result(TOOL_NAME, outcomes, facts, citations)
