"""The phrase rules behind emergency detection, English and Spanish.

Kept apart from `emergency.py` so that the (long) table of phrasings can be
read and extended on its own. Every pattern runs on `chat.text.fold(text)`:
lower case, no accents, straight apostrophes.

A rule names an *event happening to a child* ("swallowed a battery", "is
choking", "se está ahogando"), never a topic word ("battery", "choking
hazard", "magnets"). Verbs are past or progressive on purpose: "could my baby
choke on this?" and "what if he swallows a magnet?" use the base form, which
no rule matches, and "didn't swallow" or "no se tragó" are negations the
detector checks separately.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from babyshield_chat.vocabulary import EmergencyLevel

# A child as the subject of a sentence.
_KID = (
    r"(?:(?:my|our|the)\s+(?:[\w'-]+\s+)?(?:baby|son|daughter|child|kid|toddler|infant|newborn|boy|girl|"
    r"little\s+one|twin|grandson|granddaughter|nephew|niece)|baby|he|she|they|him|her)"
)
_KID_ES = (
    r"(?:(?:mi|el|la|nuestro|nuestra)\s+)?(?:bebe|hijo|hija|nino|nina|nene|nena|pequeno|pequena|"
    r"chiquito|chiquita|recien\s+nacid[oa])"
)
# One word that may sit inside a phrase ("is *really* choking"), never a
# negation: "is not choking" must not read as "is ... choking".
_WORD = r"(?:(?!(?:not|never|no|nunca)\b)[\w'-]+\s+)"
# Up to three such words between a verb and its object ("swallowed one of the magnets").
_GAP = rf"\s+{_WORD}{{0,3}}?"
# "choking" as parents type it in a hurry ("chocking").
_CHOKING = r"cho(?:c)?king"
# A hazard word right after the phrase turns it into a topic ("choking hazard").
_NOT_TOPIC = r"(?![\s-]*(?:hazards?|warnings?|risks?|dangers?|labels?|tests?|tubes?|sizes?|prevention))"

_SWALLOW = (
    r"(?:swallowed|swallowing|ate|eaten|eating|ingested|chewed(?:\s+on)?|chewing(?:\s+on)?|bit\s+into"
    r"|sucked\s+on|sucking\s+on|licked|licking)"
)
_SWALLOW_ES = (
    r"(?:se\s+)?(?:trago|comio|ingirio|mordio|chupo|lamio|esta\s+tragando|se\s+metio\s+en\s+la\s+boca"
    r"|(?:ha|haya|habia)\s+(?:tragado|comido|ingerido|mordido|chupado))"
)
_DRINK = r"(?:drank|drunk|drinking|sipped|got\s+into|sprayed|splashed)"
_DRINK_ES = r"(?:se\s+)?(?:tomo|bebio|esta\s+tomando|esta\s+bebiendo|(?:ha|haya|habia)\s+(?:tomado|bebido))"

_CHEMICAL = (
    r"(?:bleach|detergent|laundry\s+(?:pods?|detergent|soap)|"
    r"(?:detergent|dishwasher|laundry|tide)\s+(?:pods?|tablets?)|"
    r"dish\s+soap|cleaners?|cleaning\s+(?:products?|supplies|solution|spray|fluid)|chemicals?|antifreeze|pesticides?|"
    r"insecticides?|weed\s+killer|rat\s+poison|poison(?!\s+(?:control|center|centre|help|ivy))|"
    r"nail\s+polish(?:\s+remover)?|"
    r"rubbing\s+alcohol|alcohol|vodka|wine|beer|mouthwash|essential\s+oils?|hand\s+sanitizer|sanitizer|lamp\s+oil|"
    r"gasoline|petrol|kerosene|lighter\s+fluid|drain\s+cleaner|oven\s+cleaner|cigarettes?|cigarette\s+butts?|"
    r"nicotine|vape\s+(?:juice|liquid|pods?)|e-?liquid|edibles?|cannabis|marijuana)"
)
_MEDICINE = (
    r"(?:medicines?|medications?|meds|pills?|tablets?|capsules?|vitamins?|iron\s+(?:pills|supplements?|tablets?)|"
    r"supplements?|tylenol|acetaminophen|paracetamol|ibuprofen|motrin|advil|aspirin|benadryl|melatonin|"
    r"cough\s+(?:syrup|medicine))"
)
# "swallowed his medicine" is the dose he was given, not a poisoning.
_OWN_DOSE = rf"(?!(?:his|her|their)\s+(?:daily\s+|usual\s+|own\s+|prescribed\s+|morning\s+|night\s+)?{_MEDICINE}\b)"
_CHEMICAL_ES = (
    r"(?:lejia|cloro|blanqueador|detergente|capsulas?\s+de\s+detergente|jabon\s+de\s+(?:lavar|platos|ropa)|suavizante|"
    r"limpiador|desinfectante|quimicos?|productos?\s+de\s+limpieza|veneno(?:\s+para\s+ratas)?|raticida|insecticida|"
    r"alcohol|aceites?\s+esencial(?:es)?|gasolina|queroseno|cigarros?|cigarrillos?|colillas?|nicotina|anticongelante)"
)
_MEDICINE_ES = (
    r"(?:medicinas?|medicamentos?|pastillas?|tabletas?|capsulas?|jarabe|"
    r"paracetamol|ibuprofeno|aspirina|vitaminas|hierro)"
)
_OWN_DOSE_ES = rf"(?!su\s+{_MEDICINE_ES}\b)"

# Water beads (superabsorbent polymer beads) swell inside the body and can block the intestines (spec 4b.9).
_WATER_BEADS = (
    r"(?:(?:water|gel|jelly|sensory|expanding|hydrogel|polymer)\s*(?:beads?|balls?|pearls?|marbles?)|orbeez)"
)
_WATER_BEADS_ES = r"(?:(?:bolitas?|bolas?|perlas?|esferas?)\s+de\s+(?:hidrogel|gel|agua)|hidrogel|orbeez)"

_BATTERY = r"batter(?:y|ies)(?!\s*(?:cover|compartment|door|lid|case|charger|life|pack|operated|powered|box))"
_BATTERY_ES = r"(?:pilas?|baterias?)(?!\s+(?:recargable|del\s+juguete))"


@dataclass(frozen=True)
class Rule:
    """One kind of emergency and the phrasings that report it.

    `resolvable` rules describe a state that can be over ("he choked on a
    grape yesterday, he is fine now"); the detector drops them when their
    clause dates them in the past or the message says the child is fine.
    Ingestion rules are not resolvable: a swallowed battery or magnet is
    still inside the child days later.
    """

    category: str
    level: EmergencyLevel
    patterns: tuple[re.Pattern[str], ...]
    resolvable: bool = True


def _compile(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


#: Rules in priority order: when several match, the first one wins, so the
#: most specific life-threatening reading leads the answer.
RULES: tuple[Rule, ...] = (
    Rule(
        "anaphylaxis",
        "red",
        _compile(
            r"\b(?:having|going\s+into|in)\s+(?:an?\s+)?anaphyla(?:xis|ctic\s+(?:shock|reaction))\b",
            r"\banaphylactic\s+shock\b",
            r"\bhaving\s+(?:an?\s+)?(?:severe|serious|bad|major)\s+(?:allergic\s+)?reaction\b",
            r"\b(?:face|lips?|tongue|throat|mouth)\s+"
            r"(?:is\s+|are\s+|'s\s+|started\s+|starting\s+|keeps\s+|getting\s+|got\s+|has\s+|have\s+)?"
            r"(?:swelling|swollen|swelled|puffing|puffed)(?:\s+up)?\b",
            r"\bswelling\s+(?:of|in|on|around)\s+(?:his|her|their|the)\s+(?:face|lips|tongue|throat|mouth)\b",
            r"\bswollen\s+(?:face|lips|tongue|throat)\b",
            r"\bthroat\s+(?:is\s+)?(?:closing|tightening)\b",
            r"\b(?:trouble|difficulty|struggling|problems?|hard\s+time|can'?t|cannot)\s+"
            r"(?:breathing|breathe|to\s+breathe)\s+(?:right\s+|just\s+|shortly\s+)?(?:after|since)\s+"
            r"(?:eating|drinking|having|taking|trying|feeding|a\s+bottle|the\s+bottle|his|her|this|the|some)\b",
            r"\b(?:esta\s+teniendo|tiene|le\s+(?:esta\s+)?(?:dando|dio))\s+(?:una\s+)?reaccion\s+alergica\s+"
            r"(?:grave|severa|fuerte|seria)\b",
            r"\b(?:anafilaxia|choque\s+anafilactico|shock\s+anafilactico)\b",
            r"\bse\s+le\s+(?:esta\s+|estan\s+)?(?:hincho|hincharon|hinchando)\s+(?:la\s+|los\s+)?"
            r"(?:cara|labios?|lengua|garganta|boca)\b",
            r"\b(?:cara|labios|lengua|garganta|boca)\s+(?:muy\s+)?hinchad[oa]s?\b",
            r"\bse\s+le\s+(?:esta\s+)?cerr(?:ando|o)\s+la\s+garganta\b",
            r"\b(?:no\s+puede\s+respirar|le\s+cuesta\s+respirar|dificultad\s+para\s+respirar)\s+"
            r"(?:despues\s+de|desde\s+que)\s+(?:comer|comio|tomar|tomo|beber|bebio)\b",
        ),
    ),
    Rule(
        "not_breathing",
        "red",
        _compile(
            r"\b(?:is\s+not|isn'?t|not|stopped|has\s+stopped|stops|can'?t|cannot|can\s+not|unable\s+to|won'?t)\s+"
            r"breath(?:e|ing)\b(?!\s+(?:[\w']+\s+){0,2}nose)",
            r"\b(?:lips|face|skin)\s+(?:are\s+|is\s+|look\s+|looks\s+)?"
            r"(?:turned\s+|turning\s+|went\s+|going\s+)?(?:blue|purple|gr[ae]y)\b",
            r"\b(?:turning|turned|went|gone|going)\s+blue\b",
            r"\bgasping\s+(?:for\s+)?(?:air|breath)\b",
            r"\bno\s+(?:esta\s+)?respira(?:ndo)?\b",
            r"\bdejo\s+de\s+respirar\b",
            r"\bno\s+puede\s+respirar\b(?!\s+por\s+la\s+nariz)",
            r"\bsin\s+respirar\b",
            r"\bse\s+(?:esta\s+)?(?:poniendo|puso|pone)\s+(?:azul|morad[oa])\b",
            r"\blabios\s+(?:azules|morados)\b",
        ),
    ),
    Rule(
        "unresponsive",
        "red",
        _compile(
            rf"\b{_KID}\s+{_WORD}{{0,2}}(?:unresponsive|unconscious)\b",
            r"\b(?:is|'s|went|became|seems|looks)\s+(?:completely\s+|totally\s+)?(?:unresponsive|unconscious|limp)\b",
            rf"\b{_KID}\s+(?:is\s+|'s\s+)?(?:not|isn'?t)\s+(?:responding|waking\s+up)\b",
            r"\bbut\s+not\s+responding\b",
            r"\bnot\s+responding\s+to\s+(?:me|us|touch|his|her|anything|voices?|sounds?)\b",
            rf"\b(?:won'?t|will\s+not|can'?t|cannot|couldn'?t)\s+(?:wake|rouse)\s+(?:up|him|her|them|{_KID})\b",
            r"\b(?:passed|blacked)\s+out\b",
            r"\bfainted\b",
            r"\blost\s+consciousness\b",
            rf"\b{_KID_ES}\s+{_WORD}{{0,2}}no\s+(?:responde|reacciona|despierta|se\s+despierta)\b",
            r"\bno\s+(?:responde|reacciona)\s+a\s+(?:nada|estimulos|mi\s+voz)\b",
            r"\bno\s+(?:lo|la|le)\s+(?:puedo|podemos)\s+despertar\b",
            r"\b(?:esta|quedo)\s+inconsciente\b",
            r"\bse\s+desmayo\b",
            r"\bperdio\s+el\s+conocimiento\b",
        ),
    ),
    Rule(
        "drowning",
        "red",
        _compile(
            rf"\b(?:drowning|drowned|nearly\s+drowned|almost\s+drowned){_NOT_TOPIC}",
            rf"\bfound\s+(?:him|her|them|{_KID})\s+(?:face\s+down\s+)?(?:in|under)\s+the\s+"
            r"(?:water|pool|tub|bath|bathtub)\b",
            r"\bse\s+(?:esta\s+)?(?:ahogando|ahogo)\s+en\s+(?:la\s+|el\s+)?"
            r"(?:piscina|alberca|banera|tina|agua|mar|rio)\b",
        ),
    ),
    Rule(
        "choking",
        "red",
        _compile(
            r"\b(?:is|'s|are|was|were|keeps|kept|started|starting|been|seems\s+to\s+be|appears\s+to\s+be)\s+"
            rf"{_WORD}?{_CHOKING}{_NOT_TOPIC}",
            rf"\b{_KID}\s+{_CHOKING}{_NOT_TOPIC}",
            r"\bcho(?:c)?k(?:ing|ed)\s+on\b",
            rf"\b{_KID}\s+(?:just\s+)?cho(?:c)?ked\b",
            r"\b(?:something|food|a\s+piece|it)\s+(?:is\s+)?stuck\s+in\s+(?:his|her|their|the)\s+throat\b",
            r"\bse\s+(?:esta\s+)?(?:ahogando|atragantando|atorando)\b",
            r"\b(?:ahogandose|atragantandose|atorandose)\b",
            r"\bse\s+(?:ahogo|atraganto|atoro)\b",
            r"\btiene\s+algo\s+(?:atorado|atascado|trabado)\s+en\s+la\s+garganta\b",
        ),
    ),
    Rule(
        "seizure",
        "red",
        _compile(
            r"\bhaving\s+(?:a\s+)?(?:seizure|fit|convulsions?)\b",
            rf"\b(?:is|'s|are|started|keeps)\s+{_WORD}?(?:seizing|convulsing)\b",
            rf"\b{_KID}\s+(?:is\s+)?(?:seizing|convulsing)\b",
            r"\b(?:esta\s+)?convulsionando\b",
            r"\b(?:esta\s+teniendo|tiene|le\s+esta\s+dando)\s+(?:una\s+)?"
            r"(?:convulsion|convulsiones|crisis\s+convulsiva|ataque\s+epileptico)\b",
        ),
    ),
    Rule(
        "battery",
        "red",
        _compile(
            rf"\b{_SWALLOW}{_GAP}{_BATTERY}\b",
            r"\bbatter(?:y|ies)\s+(?:was\s+|were\s+|got\s+|has\s+been\s+)?(?:swallowed|ingested)\b",
            r"\bbatter(?:y|ies)\s+(?:is\s+|was\s+|got\s+)?(?:stuck\s+)?(?:in|up)\s+(?:his|her|their|the)\s+"
            r"(?:nose|ears?|throat|mouth)\b",
            r"\b(?:swallowed|ate)\s+(?:a\s+|the\s+)?(?:button|coin)\s+cell\b",
            rf"\b{_SWALLOW_ES}{_GAP}{_BATTERY_ES}\b",
            r"\b(?:pila|bateria)s?\s+(?:de\s+boton\s+)?en\s+(?:la\s+|el\s+)?(?:nariz|oreja|oido|garganta)\b",
        ),
        resolvable=False,
    ),
    Rule(
        "water_beads",
        "amber",
        _compile(
            rf"\b{_SWALLOW}{_GAP}{_WATER_BEADS}",
            rf"\b{_WATER_BEADS}\s+(?:was\s+|were\s+|got\s+|has\s+been\s+|have\s+been\s+)?(?:swallowed|ingested|eaten)\b",
            rf"\b{_WATER_BEADS}\s+(?:is\s+|are\s+|was\s+|got\s+)?(?:stuck\s+)?(?:in|up)\s+(?:his|her|their|the)\s+"
            r"(?:nose|ears?|throat|mouth)\b",
            rf"\b{_SWALLOW_ES}{_GAP}{_WATER_BEADS_ES}",
        ),
        resolvable=False,
    ),
    Rule(
        "poisoning",
        "amber",
        _compile(
            rf"\b(?:{_SWALLOW}|{_DRINK}){_GAP}{_CHEMICAL}\b",
            rf"\b(?:{_SWALLOW}|got\s+into)\s+{_OWN_DOSE}{_WORD}{{0,3}}?{_MEDICINE}\b",
            rf"\b(?:overdosed?|too\s+much\s+{_MEDICINE}|double\s+dose)\b",
            rf"\b(?:gave|given)\s+(?:him|her|them|{_KID})\s+(?:twice\s+the|two\s+doses|a\s+double|the\s+wrong)\b",
            r"\b(?:was|got|been|is)\s+poisoned\b",
            r"\b(?:bleach|chemicals?|cleaner|detergent)\s+in\s+(?:his|her|their)\s+(?:eyes?|mouth)\b",
            rf"\b(?:{_SWALLOW_ES}|{_DRINK_ES}){_GAP}{_CHEMICAL_ES}\b",
            rf"\b{_SWALLOW_ES}\s+{_OWN_DOSE_ES}{_WORD}{{0,3}}?{_MEDICINE_ES}\b",
            r"\bse\s+(?:intoxico|envenen[oa]|esta\s+intoxicando)\b",
            r"\b(?:esta\s+)?(?:intoxicad[oa]|envenenad[oa])\b",
            r"\bsobredosis\b",
            r"\ble\s+di\s+(?:demasiad[oa]|doble\s+dosis|dos\s+dosis)\b",
        ),
        resolvable=False,
    ),
    Rule(
        "magnet",
        "amber",
        _compile(
            rf"\b{_SWALLOW}{_GAP}magnet(?:s|ic\s+(?:balls?|beads?|pieces?))?\b",
            r"\bmagnets?\s+(?:was\s+|were\s+|got\s+|has\s+been\s+|have\s+been\s+)?(?:swallowed|ingested)\b",
            r"\bmagnets?\s+(?:is\s+|are\s+|was\s+|got\s+)?(?:stuck\s+)?(?:in|up)\s+(?:his|her|their|the)\s+"
            r"(?:nose|ears?|throat|mouth)\b",
            rf"\b{_SWALLOW_ES}{_GAP}iman(?:es)?\b",
        ),
        resolvable=False,
    ),
    Rule(
        "allergic_reaction",
        "amber",
        _compile(
            r"\bhaving\s+(?:an?\s+)?(?:allergic\s+)?reaction\b",
            r"\b(?:broke|breaking|broken)\s+out\s+in\s+(?:hives|a\s+rash)\b",
            r"\b(?:covered\s+in|full\s+of)\s+hives\b",
            r"\bhives\s+(?:all\s+over|everywhere)\b",
            r"\b(?:esta\s+teniendo|le\s+(?:esta\s+)?(?:dando|dio|salio|salieron))\s+(?:una\s+)?"
            r"(?:reaccion(?:\s+alergica)?|ronchas|urticaria|sarpullido)\b",
            r"\bllen[oa]\s+de\s+ronchas\b",
        ),
    ),
    Rule(
        "recent_seizure",
        "amber",
        _compile(
            r"\b(?:just\s+)?had\s+(?:a\s+)?(?:seizure|convulsion|fit)\b",
            r"\b(?:le\s+dio|tuvo)\s+(?:una\s+)?(?:convulsion|crisis\s+convulsiva|ataque\s+epileptico)\b",
        ),
    ),
    Rule(
        "head_injury",
        "amber",
        _compile(
            r"\b(?:hit|bumped|banged|struck|smacked|hurt|injured)\s+"
            r"(?:his|her|their|the\s+baby's|my\s+[\w]+'s)\s+head\b",
            r"\b(?:landed|fell)\s+on\s+(?:his|her|their)\s+head\b",
            r"\bhead\s+(?:injury|trauma)\b",
            r"\bconcussion\b",
            r"\bse\s+(?:golpeo|pego|dio|lastimo)\s+(?:un\s+golpe\s+)?(?:fuerte\s+)?(?:en\s+)?la\s+cabeza\b",
            r"\bgolpe\s+(?:fuerte\s+)?en\s+la\s+cabeza\b",
            r"\bse\s+cayo\b[^.!?;]{0,60}?\bcabeza\b",
            r"\b(?:traumatismo\s+craneal|lesion\s+en\s+la\s+cabeza|conmocion(?:\s+cerebral)?)\b",
        ),
    ),
    Rule(
        "burn",
        "amber",
        _compile(
            rf"\b{_KID}\s+(?:just\s+)?(?:got\s+|was\s+|has\s+been\s+|is\s+)?(?:burned|burnt|scalded)\b",
            r"\b(?:burned|burnt|scalded)\s+(?:himself|herself|themselves|his|her|their)\b",
            r"\b(?:got|has|have)\s+(?:a\s+)?(?:bad\s+|serious\s+|chemical\s+)?burns?\s+(?:on|from)\b",
            rf"\bspilled\s+(?:hot|boiling)\s+[\w]+\s+on\s+(?:him|her|them|{_KID})\b",
            r"\b(?:touched|grabbed)\s+(?:the|a)\s+hot\b",
            r"\bse\s+(?:ha\s+)?(?:quemo|escaldo)\b",
            r"\bse\s+(?:esta\s+)?quemando\b",
            r"\b(?:tiene|le\s+salio)\s+una\s+quemadura\b",
            r"\ble\s+(?:cayo|derramo|tire|tiro)\s+(?:[\w]+\s+){0,2}(?:caliente|hirviendo)\b",
        ),
    ),
    Rule(
        "breathing_trouble",
        "amber",
        _compile(
            r"\b(?:trouble|difficulty|struggling|problems?|hard\s+time)\s+(?:breathing|to\s+breathe)\b",
            r"\b(?:is|'s)\s+wheezing\b",
            r"\bbreathing\s+(?:really\s+|very\s+)?(?:fast|hard|weird|strange|funny|noisy)\b",
            r"\b(?:le\s+cuesta|dificultad\s+para|problemas\s+para)\s+respirar\b",
            r"\brespira\s+(?:muy\s+)?(?:rapido|raro|con\s+dificultad)\b",
        ),
    ),
)

# --- context that cancels a match ---

#: A negation right before the phrase: "he is not choking", "no se está ahogando".
NEGATION = re.compile(
    r"\b(?:not|never|no|nunca|isn'?t|aren'?t|wasn'?t|weren'?t|doesn'?t|didn'?t|hasn'?t|haven'?t|hadn'?t|"
    r"won'?t|wouldn'?t|ain'?t)\b"
)

#: Words that make the phrase a question about a risk or a label, not an event:
#: "could this cause swollen lips?", "the warning says swallowing magnets ...".
#: "Might have", "puede que" and "puede haber" report a suspected event instead.
HYPOTHETICAL = re.compile(
    r"\b(?:cause[sd]?|causing|prevent(?:s|ing)?|avoid|risks?|hazards?|dangers?|dangerous|warnings?|labels?|"
    r"signs?|symptoms?|history|what\s+if|in\s+case|"
    r"pueden?(?!\s+(?:que|haber)\b)|podrian?(?!\s+haber\b)|causa[r]?|provoca[r]?|prevenir|evitar|riesgos?|peligros?|"
    r"advertencias?|etiqueta|sintomas?|signos?|senales|antecedentes|historial|que\s+pasa\s+si|en\s+caso\s+de)\b"
    r"|\b(?:can(?!')|could|may|might|would)\b(?!\s+(?:have|you)\b)"
)

#: The event is dated in the past ("yesterday", "hace dos semanas").
PAST = re.compile(
    r"\b(?:yesterday|last\s+(?:night|week|month|year|time|summer|winter|spring|fall)|"
    r"(?:\d+|a|an|one|two|three|four|few|couple\s+of|several)\s+(?:days?|weeks?|months?|years?)\s+ago|"
    r"when\s+(?:he|she|they)\s+(?:was|were)\s+(?:a\s+baby|younger|little|an\s+infant)|in\s+the\s+past|previously|"
    r"ayer|anoche|anteayer|la\s+semana\s+pasada|el\s+(?:mes|ano)\s+pasado|la\s+ultima\s+vez|"
    r"hace\s+(?:\w+\s+)?(?:dias|semanas|meses|anos)|cuando\s+era\s+(?:bebe|pequen[oa]|chiquit[oa]))\b"
)

#: The message says the child is fine now. Only a statement counts: "is he
#: ok now?" asks, it does not reassure.
RESOLVED = re.compile(
    r"\b(?:he|she|they|baby|(?:my|our)\s+\w+)(?:'?s|'?re|\s+is|\s+are|\s+seems)\s+(?:totally\s+|completely\s+)?"
    r"(?:fine|ok|okay|alright|all\s+right|better|breathing\s+(?:fine|normally))\b"
    r"|\b(?:ya\s+esta\s+bien|esta\s+bien\s+ahora|ya\s+respira\s+(?:bien|normal)|ya\s+se\s+le\s+paso)\b"
)

#: Where a clause ends, for the negation and hypothetical windows.
CLAUSE_BREAK = re.compile(r"[,:;.!?¿¡()\"]|\b(?:but|pero|and\s+now|y\s+ahora)\b")

#: Sentence boundaries: phrases are matched one sentence at a time.
SENTENCE_BREAK = re.compile(r"[.!?;\n]+")
