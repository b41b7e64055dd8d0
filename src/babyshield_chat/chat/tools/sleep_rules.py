"""The age check's safe-sleep rules: sleep products that are banned or unsafe.

The Safe Sleep for Babies Act of 2022 bans inclined sleepers and padded crib
bumpers (with the infant sleep product standard, 16 CFR 1241); the FDA warns
against sleep positioners; the AAP's 2022 safe-sleep recommendations rule out
pillows, loungers, nests, weighted and in-bed sleep products (a co-sleeper is
for sleep only as a bedside sleeper, 16 CFR 1222; an infant sleeper only
when flat and made to 16 CFR 1241); the 2011 crib
standards (16 CFR 1219/1220) ended drop-side cribs; sitting devices (swings,
bouncers, car seats, strollers) are not for routine sleep (AAP 2022); and a
bassinet is for a baby who cannot yet roll over (16 CFR 1218).
"""

from __future__ import annotations

import re

from babyshield_chat.chat.tools.age_rules import CategoryRule, RuleContext, cfr, compile_rule, is_younger
from babyshield_chat.chat.tools.common import CheckOutcome, Citation, Says

#: Many babies start rolling at about 4 months; bassinets are for babies who cannot.
BASSINET_ROLLING_MONTHS = 4
#: AAP keeps pillows and soft bedding out of the sleep space for the first year.
PILLOW_AGE_MONTHS = 12


CFR_1241 = cfr("1241", "Safety Standard for Infant Sleep Products")
CFR_1218 = cfr("1218", "Safety Standard for Bassinets and Cradles")
CFR_1219 = cfr("1219", "Safety Standard for Full-Size Baby Cribs")
CFR_1220 = cfr("1220", "Safety Standard for Non-Full-Size Baby Cribs")
CFR_1222 = cfr("1222", "Safety Standard for Bedside Sleepers")
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


def _inclined_sleeper(ctx: RuleContext) -> CheckOutcome:
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


def _crib_bumper(ctx: RuleContext) -> CheckOutcome:
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


def _sleep_positioner(ctx: RuleContext) -> CheckOutcome:
    return CheckOutcome(
        "sleep_positioner",
        "fail",
        Says(
            "The FDA warns not to use infant sleep positioners or wedges: babies have suffocated in them.",
            "La FDA advierte que no se usen posicionadores ni cuñas para dormir: ha habido bebés asfixiados en ellos.",
        ),
    )


def _infant_pillow(ctx: RuleContext) -> CheckOutcome:
    young = is_younger(ctx.age, PILLOW_AGE_MONTHS)
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


def _lounger(ctx: RuleContext) -> CheckOutcome:
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


def _weighted(ctx: RuleContext) -> CheckOutcome:
    return CheckOutcome(
        "weighted_sleep",
        "warn",
        Says(
            "The AAP advises against weighted sleep sacks, swaddles and blankets for infants; use an unweighted sleep "
            "sack.",
            "La AAP desaconseja sacos, mantas o envolturas con peso para bebés; use un saco de dormir sin peso.",
        ),
    )


def _in_bed_sleeper(ctx: RuleContext) -> CheckOutcome:
    return CheckOutcome(
        "in_bed_sleeper",
        "warn",
        Says(
            "The AAP does not recommend in-bed sleepers; a crib, bassinet or play yard in your room is safest.",
            "La AAP no recomienda los nidos para la cama de los padres; lo más seguro es una cuna, moisés o corralito "
            "en su habitación.",
        ),
    )


def _co_sleeper(ctx: RuleContext) -> CheckOutcome:
    return CheckOutcome(
        "co_sleeper",
        "warn",
        Says(
            "Only a bedside sleeper that attaches firmly to the side of your bed and meets the bedside sleeper "
            "standard (16 CFR 1222) is made for sleep; a co-sleeper that lies in your bed is not recommended (AAP "
            "2022).",
            "Solo una cuna de colecho que se fija bien al lado de su cama y cumple la norma de cunas de colecho "
            "(16 CFR 1222) está hecha para dormir; un nido que va dentro de su cama no se recomienda (AAP 2022).",
        ),
    )


def _infant_sleeper(ctx: RuleContext) -> CheckOutcome:
    return CheckOutcome(
        "infant_sleeper",
        "warn",
        Says(
            "Use an infant sleeper for sleep only if it is flat, never inclined, and meets the federal infant sleep "
            "product standard (16 CFR 1241); otherwise put your baby to sleep in a crib, bassinet or play yard.",
            "Use un dormidor para bebé solo si es plano, nunca inclinado, y cumple la norma federal de productos "
            "para el sueño infantil (16 CFR 1241); si no, acueste al bebé en una cuna, moisés o corralito.",
        ),
    )


def _drop_side(ctx: RuleContext) -> CheckOutcome:
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


def _sitting_device(ctx: RuleContext) -> CheckOutcome:
    return CheckOutcome(
        "sitting_device",
        "warn",
        Says(
            "Swings, bouncers, rockers, car seats and strollers are not for routine sleep: if your baby falls asleep "
            "in one, move them to a firm, flat crib or bassinet (AAP 2022).",
            "Los columpios, hamacas, mecedoras, sillas de auto y cochecitos no son para dormir habitualmente: si el "
            "bebé se duerme en uno, páselo a una cuna o moisés firme y plano (AAP 2022).",
        ),
    )


def _bassinet(ctx: RuleContext) -> CheckOutcome | None:
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


#: Safe-sleep rules in the order their checks are listed.
SLEEP_RULES: tuple[CategoryRule, ...] = (
    CategoryRule(
        compile_rule(r"\binclined?\s+(?:infant\s+)?sleep|\brock\s*'?\s*n'?\s*play\b|\brock\s+and\s+play\b"),
        _inclined_sleeper,
        (SAFE_SLEEP_ACT, CFR_1241, AAP_SAFE_SLEEP),
    ),
    CategoryRule(
        compile_rule(r"\b(?:crib\s+)?bumpers?\b(?!\s*cars?)|\bcrib\s+liners?\b"),
        _crib_bumper,
        (SAFE_SLEEP_ACT, AAP_SAFE_SLEEP),
    ),
    CategoryRule(
        compile_rule(r"\b(?:sleep\s+)?positioners?\b|\b(?:sleep|crib|reflux)\s+wedges?\b|\bwedge\s+pillows?\b"),
        _sleep_positioner,
        (FDA_POSITIONERS, AAP_SAFE_SLEEP),
    ),
    CategoryRule(
        compile_rule(
            r"\b(?:infant|baby|newborn|toddler|head[\s-]shaping|flat[\s-]head)\s+pillows?\b"
        ),
        _infant_pillow,
        (AAP_SAFE_SLEEP,),
    ),
    CategoryRule(
        compile_rule(r"\bnursing\s+pillows?\b|\bloungers?\b|\bsupport\s+cushions?\b|\bboppy\b|\bnests?\b"
                     r"|\bdock-?a-?tot\b|\b(?:baby|sleep|sleeping|infant|newborn)\s+pods?\b"),
        _lounger,
        (AAP_SAFE_SLEEP,),
    ),
    CategoryRule(
        compile_rule(r"\bweighted\s+(?:sleep\s*(?:sack|bag|suit)|swaddle|blanket|sleepwear)s?\b"),
        _weighted,
        (AAP_SAFE_SLEEP,),
    ),
    CategoryRule(
        compile_rule(r"\bin[\s-]bed\s+sleepers?\b"),
        _in_bed_sleeper,
        (AAP_SAFE_SLEEP,),
    ),
    CategoryRule(
        compile_rule(r"\bco-?sleepers?\b|\bbedside\s+(?:sleeper|bassinet|crib)s?\b"),
        _co_sleeper,
        (CFR_1222, AAP_SAFE_SLEEP),
    ),
    CategoryRule(
        # Not the inclined, in-bed or bedside ones, which have their own rules.
        compile_rule(r"(?<!inclined )(?<!in-bed )(?<!in bed )(?<!bedside )\b(?:infant|baby|newborn)\s+sleepers?\b"),
        _infant_sleeper,
        (CFR_1241, CFR_1218, AAP_SAFE_SLEEP),
    ),
    CategoryRule(compile_rule(r"\bdrop[\s-]?side\b"), _drop_side, (CFR_1219, CFR_1220)),
    CategoryRule(
        compile_rule(
            r"\b(?:infant\s+|baby\s+)?(?:swings?|bouncers?|rockers?)\b(?!\s+(?:set|toy|horse|chair))"
            r"|\bcar\s+seats?\b|\bstrollers?\b"
        ),
        _sitting_device,
        (AAP_SAFE_SLEEP,),
    ),
    CategoryRule(compile_rule(r"\bbassinets?\b|\bcradles?\b|\bmoses\s+baskets?\b"), _bassinet, (CFR_1218,)),
)
