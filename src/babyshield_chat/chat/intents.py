"""Intent classification (spec section 4, step 3): deterministic rules first.

`RuleClassifier` scores each intent by the weighted phrases of the question
(English and Spanish, on folded text) and returns the best one with a
confidence in [0, 1]. The pipeline trusts a result at or above
`DEFAULT_CONFIDENT`; below it the rules are "unsure" and the pipeline may ask
an LLM classifier (another `IntentClassifier`) within the router budget, or
fall back to `unclear_intent`.

How confidence is computed, so that the threshold means something:

- `strength = best / (best + DEFAULT_SATURATION)`: one strong phrase such as
  "recalled" (weight 1.0) gives 0.71, two give more, a lone weak hint such as
  "organic" (0.3) stays well below the threshold.
- `margin = (best - runner_up) / best`: a question that hits two intents
  equally is unsure however many words matched.
- `confidence = strength * (0.5 + 0.5 * margin)`.

So a single phrase of weight 0.6 or more, with nothing competing, is just
confident; a question whose runner-up scores half the winner's is not,
unless the winner is strong.

The rules do not read the product: the same words mean the same thing
whatever was scanned. The parameter is part of the protocol for classifiers
that do (an LLM can use the product name to resolve "is it OK for her?").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from babyshield_chat.chat.model import Product
from babyshield_chat.chat.text import fold
from babyshield_chat.vocabulary import RULE_INTENTS, UNCLEAR_INTENT, RuleIntent

#: Results at or above this confidence are used as they are; below it the
#: rules are unsure (see module docstring for what the number means).
DEFAULT_CONFIDENT = 0.6

#: Score at which `strength` reaches one half.
DEFAULT_SATURATION = 0.4

#: An intent scoring at least this is one of the message's concerns (spec 4b.5), whichever intent is primary:
#: one phrase of middling weight ("nap in it", "does it have soy") is a question asked.
DEFAULT_CONCERN_SCORE = 0.5

@dataclass(frozen=True)
class IntentResult:
    """An intent, how sure the classifier is, and which classifier said so."""

    intent: RuleIntent
    confidence: float
    source: str
    #: Every intent the message asks about, the primary one included (spec 4b.5); empty when none scored.
    concerns: frozenset[RuleIntent] = frozenset()

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be within [0, 1], got {self.confidence!r}")


class IntentClassifier(Protocol):
    """Anything that can name the intent of a parent's question."""

    async def classify(self, text: str, product: Product | None) -> IntentResult: ...


def is_confident(result: IntentResult, threshold: float = DEFAULT_CONFIDENT) -> bool:
    """Whether the pipeline may use `result` without asking anyone else."""
    return result.intent != UNCLEAR_INTENT and result.confidence >= threshold


_ALLERGEN_WORDS = (
    r"(?:milk|dairy|lactose|casein|whey|peanuts?|tree\s*nuts?|nuts?|almonds?|cashews?|walnuts?|eggs?|soy|soya|wheat|"
    r"gluten|sesame|fish|shellfish|shrimp|crustaceans?)"
)
_ALLERGEN_WORDS_ES = (
    r"(?:leche|lacteos|lactosa|huevos?|cacahuates?|cacahuetes?|mani|nueces|frutos\s+secos|soya|soja|trigo|gluten|"
    r"sesamo|ajonjoli|pescado|mariscos)"
)
_KID_AGE = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|eighteen)"

# (pattern, weight) per intent. A pattern counts once however often it occurs.
_WEIGHTED: dict[RuleIntent, tuple[tuple[str, float], ...]] = {
    "recall_details": (
        # "recall", and as typed in a hurry: "recal", "recaled", "recalld", "reccalled".
        (r"\brec+al+(?:s|e?d|ing)?\b", 1.0),
        (r"\b(?:pulled|removed|taken)\s+(?:off|from)\s+(?:the\s+)?(?:shelves|market|stores)\b", 0.9),
        (r"\b(?:is|am|are)\s+(?:\w+\s+)?affected\b|\bif\s+(?:it'?s|it\s+is|mine\s+is|ours\s+is)\s+affected\b", 0.7),
        (r"\b(?:safety\s+)?(?:alerts?|notices?)\s+(?:for|about|on)\b", 0.6),
        (r"\b(?:any|are\s+there)\s+(?:safety\s+)?(?:alerts|problems|issues|complaints)\b", 0.6),
        (r"\bcpsc\b|\bconsumer\s+product\s+safety\b", 0.7),
        (r"\bfda\s+(?:alert|warning|action)\b", 0.7),
        (r"\bdefect(?:s|ive)?\b", 0.5),
        (r"\b(?:affected|included)\s+(?:model|batch|lot|unit|serial)", 0.8),
        (r"\b(?:lot|batch|serial)\s+(?:number|code)s?\b", 0.5),
        # "cross-contamination" is an allergy word, not a recall one.
        (r"\b(?:cronobacter|salmonella|listeria|botulism|(?<!cross-)(?<!cross )contaminat\w*|mold|mould)\b", 0.6),
        (r"\b(?:refund|repair\s+kit|replacement\s+part)s?\b", 0.7),
        (r"\bbanned\b", 0.4),
        (r"\b(?:retir(?:ad[oa]s?|o|aron|ada)|llamado\s+a\s+revision|alerta\s+de\s+seguridad)\b", 1.0),
        (r"\b(?:lo|la|los|las)\s+(?:han|ha)\s+(?:retirado|sacado)\b", 0.9),
        (r"\bdefectuos[oa]s?\b", 0.5),
        (r"\b(?:lote|numero\s+de\s+serie)\b", 0.4),
    ),
    "pregnancy_risk": (
        (r"\bpregnan(?:t|cy)\b", 1.0),
        (r"\b(?:first|second|third|1st|2nd|3rd)\s+trimester\b|\btrimester\b", 1.0),
        (r"\bexpecting\b", 0.6),
        (r"\b\d+\s*(?:weeks?|months?)\s+pregnant\b|\b\d+\s+semanas\s+de\s+embarazo\b", 1.0),
        # "while/when/during ..." makes pregnancy the frame of the whole
        # question ("is retinol safe while pregnant?"), not one topic of several.
        (r"\b(?:while|when|during|in)\s+(?:my\s+|you'?re\s+|i'?m\s+|being\s+)?(?:pregnan\w+|expecting)\b", 1.0),
        (r"\bprenatal\b", 0.8),
        (r"\b(?:breast\s*-?\s*feeding|breastfeed|nursing\s+mom|nursing\s+mother|while\s+nursing|lactating)\b", 0.7),
        (r"\b(?:trying\s+to\s+conceive|trying\s+to\s+get\s+pregnant|ttc)\b", 0.8),
        (r"\b(?:my\s+)?(?:ob|obgyn|ob-gyn|midwife)\b", 0.5),
        (r"\b(?:embarazad[ao]s?|embarazo|gestacion|gestante|trimestre|en\s+estado|en\s+cinta)\b", 1.0),
        # "en la lactancia", not a "cojín de lactancia" (a nursing pillow).
        (r"\b(?:(?:en|durante)\s+(?:la\s+)?lactancia|amamantando|dando\s+(?:el\s+)?pecho)\b", 0.7),
    ),
    "allergy_question": (
        (r"\bal+er+g(?:y|ies|ic|en|ens)\b", 1.0),
        (r"\bintoleran(?:t|ce)\b", 0.8),
        (r"\b(?:cmpa|cow'?s\s+milk\s+protein)\b", 1.0),
        (r"\b(?:celiac|coeliac|celiaquia)\b", 0.9),
        (rf"\b(?:contain|contains|have|has|with|any)\s+(?:any\s+)?(?:traces?\s+of\s+)?{_ALLERGEN_WORDS}\b", 0.7),
        (rf"\b{_ALLERGEN_WORDS}[\s-]free\b", 0.8),
        (rf"\b(?:is|are)\s+there\s+(?:any\s+)?{_ALLERGEN_WORDS}\s+in\b", 0.7),
        (r"\b(?:cross[\s-]contact|cross[\s-]contaminat\w*|may\s+contain|processed\s+in\s+a\s+facility)\b", 0.9),
        (r"\b(?:hives|rash|reacts?|reaction)\b", 0.4),
        (r"\b(?:epipen|epi-pen)\b", 0.8),
        (r"\b(?:alergi(?:a|as|co|ca|cos|cas)|alergenos?|intoleran(?:te|cia))\b", 1.0),
        (r"\b(?:aplv|proteina\s+de\s+(?:la\s+)?leche\s+de\s+vaca)\b", 1.0),
        (r"\bceliac[oa]\b", 0.9),
        (rf"\b(?:contiene|tiene|lleva)\s+(?:algo\s+de\s+|trazas\s+de\s+)?{_ALLERGEN_WORDS_ES}\b", 0.7),
        (rf"\bsin\s+{_ALLERGEN_WORDS_ES}\b", 0.7),
        (rf"\bhay\s+(?:algo\s+de\s+|trazas\s+de\s+)?{_ALLERGEN_WORDS_ES}\b", 0.7),
    ),
    "ingredient_info": (
        (r"\bingredients?\b", 1.0),
        (r"\bwhat'?s\s+in\s+(?:it|this|here|that|there)\b", 0.9),
        (r"\bwhat\s+is\s+(?:this|it)\s+made\s+(?:of|from|with)\b|\bmade\s+(?:of|from|with)\b", 0.7),
        (r"\bwhat\s+(?:is|are|does)\s+(?:the\s+)?[\w'-]+(?:\s+[\w'-]+)?\s+(?:for|do|mean)\b", 0.5),
        (r"\bwhat\s+is\s+(?!this\b|it\b|the\s+(?:age|recall)\b)[\w'-]+\s*\??$", 0.6),
        (
            r"\b(?:dha|ara|probiotics?|prebiotics?|hmos?|2'?-?fl|palm\s+(?:olein|oil)|corn\s+syrup|maltodextrin|"
            r"carrageenan|parabens?|phenoxyethanol|fragrance|parfum|sulfates?|sulphates?|phthalates?|bpa|"
            r"preservatives?|additives?|sweeteners?|added\s+sugar|soy\s+lecithin|lecithin|nucleotides?|lutein|glycerin|"
            r"mineral\s+oil|petrolatum|dimethicone|zinc\s+oxide|titanium\s+dioxide|retinol|salicylic)\b",
            0.7,
        ),
        (r"\b(?:chemicals?|toxic|toxins?|heavy\s+metals?|lead|arsenic)\b", 0.4),
        (r"\b(?:nutrition|nutrients|nutritional|vitamins?|iron)\b", 0.4),
        (r"\borganic\b", 0.3),
        (r"\b(?:ingredientes?|composicion|conservantes?|aditivos?|fragancia|perfume|parabenos?|azucar(?:es)?)\b", 1.0),
        (r"\bque\s+(?:contiene|lleva|tiene)\s+(?:esto|este|esta)\b", 0.9),
        (r"\bde\s+que\s+esta\s+hech[oa]\b", 0.9),
        (r"\bque\s+es\s+(?:el|la|los|las)\s+\w+", 0.5),
    ),
    "age_appropriateness": (
        (r"\bwhat\s+age\b|\bwhich\s+age\b|\bage\s+(?:range|limit|group|rating|recommendation|grade)\b", 1.0),
        (r"\bhow\s+old\b", 1.0),
        (rf"\b{_KID_AGE}[\s-](?:month|week|year|mo|yr)s?[\s-]old\b", 0.8),
        # A number of weeks is the child's age unless it is the pregnancy's.
        (r"\b\d+\s*(?:months?|mos?|weeks?|wks?|years?|yrs?)\b(?!\s+pregnant)", 0.5),
        (r"\b(?:is|are|turning|turned|almost|just)\s+\d+\s*(?:months?|mos?|weeks?|years?|yrs?)\b(?!\s+pregnant)", 0.8),
        (r"\b(?:under|over|ages?)\s+(?:\d+|one|two|three)\b", 0.8),
        (r"\b\d+\s*(?:m|mo|months?)\s*\+", 0.6),
        (r"\btoo\s+(?:young|old|small|little|big)\b", 0.9),
        (r"\b(?:old|big)\s+enough\b|\bready\s+(?:for|to)\b", 0.9),
        (r"\bage[\s-]appropriate\b|\bsuitable\s+for\b|\bappropriate\s+for\b", 0.8),
        (r"\bwhen\s+can\s+(?:my|a|the|babies|toddlers|kids)\b", 0.9),
        (r"\b(?:newborns?|infants?|toddlers?|preemies?)\b", 0.3),
        (r"\b(?:small\s+parts|choking\s+hazards?|choke)\b", 0.6),
        # "nap in it", "for naps", "napping": the activity, not a product named "Nap Nanny".
        (r"\b(?:sleep|sleeping|asleep|overnight|naps|napping)\b|\b(?:to|a|for|her|his|their)\s+nap\b"
         r"|\bnap\s+(?:in|on|time)\b", 0.5),
        (r"\b(?:weight|height)\s+limit\b|\bout\s*grow(?:n)?\b", 0.7),
        (r"\b(?:forward|rear)[\s-]facing\b", 0.7),
        (r"\b(?:que|cual)\s+edad\b|\bedad\b", 1.0),
        (r"(?<!embarazada de )\b\d+\s*(?:meses|semanas|anos)\b(?!\s+de\s+(?:embarazo|gestacion))", 0.5),
        (r"\b(?:adecuad[oa]|apropiad[oa]|apt[oa])\s+para\b", 0.8),
        (r"\bpara\s+(?:un|una|mi)\s+(?:bebe|nin[oa]|hij[oa])\s+de\s+\d+", 0.8),
        (r"\bdemasiado\s+(?:pequen[oa]|chic[oa]|grande)\b|\bmuy\s+(?:pequen[oa]|chiquit[oa])\s+para\b", 0.9),
        (r"\ba\s+partir\s+de\b|\bdesde\s+(?:que|cuantos)\b", 0.7),
        (r"\bcuando\s+(?:puede|pueden|podra)\b", 0.8),
        (r"\b(?:recien\s+nacid[oa]s?)\b", 0.3),
        (r"\b(?:dormir|duerma|duerme|siesta)\b", 0.5),
        (r"\b(?:piezas\s+pequenas|riesgo\s+de\s+asfixia|atragantar(?:se)?)\b", 0.6),
    ),
    "alternative_products": (
        (r"\balternatives?\b", 1.0),
        (r"\binstead\b", 0.9),
        (
            r"\b(?:something|anything|another|other|others|one|brand|option|product)s?\s+"
            r"(?:else|better|safer|similar|different|comparable)\b",
            0.9,
        ),
        (
            r"\b(?:safer|better|cheaper|similar|comparable|other)\s+"
            r"(?:options?|alternatives?|products?|ones?|brands?|choices?|picks?)\b",
            0.9,
        ),
        (r"\b(?:recommend|recommendation|recommendations|suggest|suggestions?)\b", 0.8),
        (r"\bwhat\s+(?:should|can|could)\s+(?:i|we)\s+(?:buy|get|use|try)\b", 0.8),
        (r"\b(?:i|we)\s+(?:could|can|should)\s+(?:buy|get)\b", 0.6),
        (r"\bsafer\b", 0.4),
        (r"\bswitch\s+(?:to|from)\b", 0.8),
        (r"\bwhat\s+else\b", 0.6),
        (r"\bbest\s+(?:[\w'-]+\s+)?(?:for|brand)\b", 0.6),
        (r"\breplace\s+(?:it|this)\s+with\b", 0.8),
        (r"\b(?:alternativas?|en\s+(?:su\s+)?lugar|en\s+vez\s+de)\b", 1.0),
        (r"\b(?:otra\s+marca|otras\s+marcas|otra\s+opcion|otras\s+opciones|otro\s+producto|otros\s+productos)\b", 0.9),
        (r"\balgo\s+(?:mas\s+seguro|parecido|similar|mejor)\b", 0.9),
        (r"\b(?:recomienda[ns]?|recomiendas|recomendacion(?:es)?|sugiere[ns]?|sugieres)\b", 0.8),
        (r"\bque\s+(?:puedo|podemos|debo|deberia)\s+(?:comprar|usar|darle)\b", 0.8),
        (r"\bcambiar\s+(?:a|de)\b", 0.6),
    ),
}

_COMPILED: dict[str, tuple[tuple[re.Pattern[str], float], ...]] = {
    intent: tuple((re.compile(pattern), weight) for pattern, weight in rules) for intent, rules in _WEIGHTED.items()
}
# Each intent's phrases as one alternation, which matches exactly when one of
# them does: an intent the text does not mention is ruled out in one scan
# instead of one per phrase (most questions mention one or two intents).
_ANY: dict[str, re.Pattern[str]] = {
    intent: re.compile("|".join(f"(?:{pattern})" for pattern, _weight in rules)) for intent, rules in _WEIGHTED.items()
}


def score(text: str) -> dict[str, float]:
    """Each intent's summed weight for `text` (intents with no match left out)."""
    folded = fold(text)
    scores: dict[str, float] = {}
    for intent, rules in _COMPILED.items():
        if _ANY[intent].search(folded) is None:
            continue
        total = sum(weight for pattern, weight in rules if pattern.search(folded))
        if total:
            scores[intent] = total
    return scores


def classify_text(text: str) -> IntentResult:
    """The rules' verdict for `text`; `unclear_intent` at 0.0 when nothing matched."""
    scores = score(text)
    if not scores:
        return IntentResult(intent=UNCLEAR_INTENT, confidence=0.0, source="rules")
    concerns = frozenset(intent for intent, total in scores.items() if total >= DEFAULT_CONCERN_SCORE)
    # Ties go to the intent listed first in RULE_INTENTS: deterministic, and
    # the order puts the safety-critical intents (recall, pregnancy, allergy) first.
    ranked = sorted(scores.items(), key=lambda item: (-item[1], RULE_INTENTS.index(item[0])))
    best_intent, best = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    strength = best / (best + DEFAULT_SATURATION)
    margin = (best - runner_up) / best
    confidence = round(strength * (0.5 + 0.5 * margin), 3)
    return IntentResult(intent=best_intent, confidence=confidence, source="rules", concerns=concerns)


class RuleClassifier:
    """The deterministic `IntentClassifier`: pure, fast, no I/O."""

    async def classify(self, text: str, product: Product | None) -> IntentResult:
        return classify_text(text)
