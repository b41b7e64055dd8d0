"""What a message asks, and which tools answer it (spec 4b.5 and 4b.8).

The router's classifier names the primary intent and, from the same rule
scores, every concern the message raises ("Is it recalled and is it OK for my
2 month old to nap in it?": recall and age). `route` adds what the writers
need to answer as asked: whether the message asks about *using* the product
("can I give ...", "is it ok", "safe?") or about sleep, and whether it is
small talk. The tools run are then the union of:

- the tools of each concern (`registry.TOOLS_BY_INTENT`);
- when the intent is unclear or a use is asked about and a product is
  scanned, every check the product and what is known allow: the recall
  look-up; the age check when the child's age is known or the product has
  an age grading or a category rule (safe sleep, walkers, honey, ...); the
  allergen check when allergies are known or asked about; the pregnancy
  check when a pregnancy is known;
- the check of each fact the message states about the scanned product (an
  age, an allergy, a pregnancy): the parent said it because it matters;
- the age check of a product a category rule concerns (safe sleep, walkers,
  magnets, honey, ...), whatever was asked: "is my drop side crib
  recalled?" also learns that drop-side cribs may not be sold;
- a scanned product whose name and category no rule knows is checked as
  the kind the message calls it ("can she sleep in this nest?");
- a product named in the message but not scanned ("can my baby sleep in a
  rock n play?") is checked by that name, as if scanned with only a name (a
  kind named in passing, "which thermometer is best?", only when a rule is
  about that kind: "can she sleep in a lounger?").

Without a product (none scanned, none named) only the recall look-up runs,
for a recall question (it asks which product), and the pregnancy check for a
breastfeeding question (it says what it does not cover); a message whose tools all
need a product gets the `no_product` reply. Small talk runs no tool at all.
"""

from __future__ import annotations

import dataclasses
import re

from babyshield_chat.chat.intents import IntentResult
from babyshield_chat.chat.model import Product, Profile, Stated
from babyshield_chat.chat.small_talk import SmallTalk, kind_of
from babyshield_chat.chat.text import fold
from babyshield_chat.chat.tools.age import has_category_rule, kind_named_in
from babyshield_chat.chat.tools.registry import TOOLS_BY_INTENT
from babyshield_chat.recalls.phrase import is_category, product_phrase
from babyshield_chat.vocabulary import TOOL_NAMES, UNCLEAR_INTENT, Intent, RuleIntent, ToolName

# The message asks whether the product may be used, given, worn, slept in ...
# "ok thanks" is assent, not "is it ok?".
_ASKS_USE = re.compile(
    r"\b(?:(?:ok|okay)(?![\s,.!]+(?:thanks?|thank|thx|ty|bye|cheers|gracias)\b)|safe|safely|fine|alright|suitable|appropriate|good\s+for|right\s+for|bad\s+for|dangerous|"
    r"use|using|give|giving|eat|drink|take|wear|sit|ride|feed|put\s+(?:him|her|them|my|the|baby)|"
    r"can\s+(?:i|we|he|she|they|my|our|the|a|baby|you\s+use)|should\s+(?:i|we)|let\s+(?:him|her)|"
    r"puede|puedo|podemos|usar|usarlo|usarla|dar(?:le)?|tomar|comer|dormir|segur[oa]|bien\s+para|adecuad[oa]|"
    r"apt[oa])\b"
)
# The message asks about sleep: a lounger "ok for naps" is a sleep question; "Nap Nanny" is a product.
_ASKS_SLEEP = re.compile(
    r"\b(?:sleep|sleeps|sleeping|slept|asleep|overnight|naps|napping|bedtime|co-?sleep\w*|bed-?shar\w*|"
    r"dormir|duerm\w*|siesta)\b|\b(?:to|a|for|her|his|their)\s+nap\b|\bnap\s+(?:in|on|time)\b"
    r"|\bat\s+night\b|\bnight\s*time\b|\bpor\s+la\s+noche\b"
)


def asks_use(message: str) -> bool:
    """Whether the message asks if the product may be used, given, slept in ... ("is it ok", "can I give")."""
    folded = fold(message)
    return bool(_ASKS_USE.search(folded) or _ASKS_SLEEP.search(folded))


def asks_sleep(message: str) -> bool:
    """Whether the message asks about sleep ("nap in it", "overnight", "dormir")."""
    return bool(_ASKS_SLEEP.search(fold(message)))


@dataclasses.dataclass(frozen=True)
class Route:
    """The primary intent, every concern, small talk, and the tools that answer."""

    intent: Intent
    concerns: frozenset[RuleIntent]
    small_talk: SmallTalk | None
    tools: tuple[ToolName, ...]
    #: The product the checks look at: the scanned one, or one named in the message (only its name).
    product: Product | None = None


def scanned(product: Product | None) -> bool:
    """Whether the request carries a product with anything in it."""
    return product is not None and any(
        (product.name, product.brand, product.model, product.upc, product.category, product.ingredients,
         product.age_min_months is not None)
    )


def route(result: IntentResult, message: str, product: Product | None, profile: Profile, stated: Stated) -> Route:
    """Route one message: its intent and concerns (from the classifier), what it asks, its tools."""
    concerns = frozenset(result.concerns | ({result.intent} if result.intent != UNCLEAR_INTENT else set()))
    use = asks_use(message)
    if not scanned(product):
        phrase = product_phrase(message)
        named = Product(name=phrase) if phrase else None
        # A kind named in passing ("which thermometer is best?") is no product to check, unless a rule is about
        # that kind ("can my baby sleep in a lounger?").
        product = named if named and (not is_category(phrase) or has_category_rule(named)) else None
        if product is None and asks_sleep(message):
            # "can my baby sleep in the dockatot?", "... in a weighted sleep sack?": a name or kind a rule knows.
            kind = kind_named_in(message)
            product = Product(name=kind) if kind else None
    elif not has_category_rule(product):
        product = with_kind_from(message, product)
    has_facts = (stated.child_age is not None or stated.pregnancy is not None or stated.breastfeeding
                 or bool(stated.allergies))
    talk = kind_of(message, asks_about_product=bool(concerns) or use or (has_facts and product is not None),
                   names_product=product is not None)
    tools: tuple[ToolName, ...] = ()
    if talk is None:
        tools = tools_for(result.intent, concerns, asks_use=use, product=product, profile=profile, stated=stated)
        talk = None if tools else "no_product"
    return Route(intent=result.intent, concerns=concerns, small_talk=talk, tools=tools, product=product)


def with_kind_from(message: str, product: Product) -> Product:
    """The scanned product, with the kind the message calls it when a rule is about that kind.

    "Can my baby sleep in this nest?" about a product whose name is only a
    brand ("Cloud Nine") is a question about a nest: the parent knows what it
    is, and the safe-sleep rules must hear it.
    """
    kind = product_phrase(message)
    if kind is None or not is_category(kind) or not has_category_rule(Product(name=kind)):
        return product
    return product.model_copy(update={"category": f"{product.category or ''} {kind}".strip()})


def tools_for(intent: RuleIntent, concerns: frozenset[RuleIntent], *, asks_use: bool, product: Product | None,
              profile: Profile, stated: Stated) -> tuple[ToolName, ...]:
    """The union of the tools the message needs, in the registry's order (see the module docstring)."""
    names: set[ToolName] = {tool for concern in concerns for tool in TOOLS_BY_INTENT[concern]}
    if product is None:
        # Without a product only a recall question has an answer ("which product?"), and a breastfeeding one
        # ("we check pregnancy, not breastfeeding"); the checks need one.
        bare: set[ToolName] = {"recall_lookup"} if "recall_details" in concerns else set()
        if stated.breastfeeding:
            bare.add("pregnancy_check")
        return tuple(name for name in TOOL_NAMES if name in bare)
    age_known = stated.child_age is not None or profile.child_birthdate is not None
    allergies_known = bool(profile.allergies or stated.allergies or stated.asked_allergens)
    pregnancy_known = stated.pregnancy is not None or profile.pregnancy_trimester is not None
    if intent == UNCLEAR_INTENT or asks_use:
        names.add("recall_lookup")
        if age_known or product.age_min_months is not None or has_category_rule(product):
            names.add("age_check")
        if allergies_known:
            names.add("allergen_check")
        if pregnancy_known:
            names.add("pregnancy_check")
    if stated.child_age is not None or has_category_rule(product):
        # A banned or unsafe kind of product (an inclined sleeper, a drop-side crib) is said whatever was asked.
        names.add("age_check")
    if stated.allergies or stated.asked_allergens:
        names.add("allergen_check")
    if stated.pregnancy is not None or stated.breastfeeding:
        names.add("pregnancy_check")  # which says that breastfeeding is not what it checks
    if not product.ingredients and intent != "ingredient_info":
        names.discard("ingredient_info")  # "what does that label mean?" about a toy has no ingredients to explain
    return tuple(name for name in TOOL_NAMES if name in names)
