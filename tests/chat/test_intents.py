"""Tests for the rule-based intent classifier."""

from __future__ import annotations

import pytest

from babyshield_chat.chat.intents import (
    DEFAULT_CONFIDENT,
    IntentClassifier,
    IntentResult,
    RuleClassifier,
    classify_text,
    is_confident,
)
from babyshield_chat.chat.model import Product
from babyshield_chat.vocabulary import RULE_INTENTS

# Real-sounding parent questions and the intent a person would give them.
QUESTIONS = [
    # recall_details
    ("Is this crib recalled?", "recall_details"),
    ("Has the Rock 'n Play ever been recalled?", "recall_details"),
    ("Are there any recalls on this stroller?", "recall_details"),
    ("I heard this formula was pulled from the shelves, is that true?", "recall_details"),
    ("Is my lot number part of the Similac recall?", "recall_details"),
    ("Did the CPSC issue anything about this high chair?", "recall_details"),
    ("Was there a salmonella contamination with this baby food?", "recall_details"),
    ("How do I get the repair kit for this car seat?", "recall_details"),
    ("¿Este producto ha sido retirado del mercado?", "recall_details"),
    ("¿Hay alguna alerta de seguridad para esta cuna?", "recall_details"),
    # pregnancy_risk
    ("Is this OK while pregnant?", "pregnancy_risk"),
    ("Can I use this lotion during pregnancy?", "pregnancy_risk"),
    ("I'm in my first trimester, is this tea safe?", "pregnancy_risk"),
    ("Is retinol safe when you're expecting?", "pregnancy_risk"),
    ("Can I use this cream while breastfeeding?", "pregnancy_risk"),
    ("We're trying to conceive, should I avoid this?", "pregnancy_risk"),
    ("Is this safe for pregnant women?", "pregnancy_risk"),
    ("¿Puedo usar esto estando embarazada?", "pregnancy_risk"),
    ("Estoy en el tercer trimestre, ¿es seguro este suplemento?", "pregnancy_risk"),
    ("¿Es seguro durante la lactancia?", "pregnancy_risk"),
    # allergy_question
    ("My son is allergic to milk, is this formula OK?", "allergy_question"),
    ("Does this contain peanuts?", "allergy_question"),
    ("Is this snack nut-free?", "allergy_question"),
    ("My daughter has a dairy allergy, can she eat these puffs?", "allergy_question"),
    ("Is this safe for a baby with CMPA?", "allergy_question"),
    ("Could this be cross-contaminated with tree nuts?", "allergy_question"),
    ("He's lactose intolerant, will this upset his tummy?", "allergy_question"),
    ("Does this have any egg in it?", "allergy_question"),
    ("Mi hijo es alérgico al huevo, ¿puede comer esto?", "allergy_question"),
    ("¿Esto contiene leche? Mi bebé tiene APLV", "allergy_question"),
    # ingredient_info
    ("What are the ingredients in this?", "ingredient_info"),
    ("What's in this formula?", "ingredient_info"),
    ("What is phenoxyethanol?", "ingredient_info"),
    ("Why does this formula have palm oil?", "ingredient_info"),
    ("Does this lotion have parabens or fragrance?", "ingredient_info"),
    ("What is this made of?", "ingredient_info"),
    ("Is there added sugar in these teething biscuits?", "ingredient_info"),
    ("What does DHA do for babies?", "ingredient_info"),
    ("¿Cuáles son los ingredientes?", "ingredient_info"),
    ("¿Qué contiene esta crema?", "ingredient_info"),
    # age_appropriateness
    ("What age is this toy for?", "age_appropriateness"),
    ("Is this okay for a 4 month old?", "age_appropriateness"),
    ("How old does my baby need to be to use this walker?", "age_appropriateness"),
    ("Is my 2 year old too young for this puzzle?", "age_appropriateness"),
    ("Can my newborn sleep in this overnight?", "age_appropriateness"),
    ("When can my baby start using this high chair?", "age_appropriateness"),
    ("Does this have small parts that are a problem for my toddler?", "age_appropriateness"),
    ("Is she big enough for a forward-facing seat?", "age_appropriateness"),
    ("¿A partir de qué edad se puede usar?", "age_appropriateness"),
    ("¿Es adecuado para un bebé de 6 meses?", "age_appropriateness"),
    # alternative_products
    ("Can you recommend a safer alternative?", "alternative_products"),
    ("What should I buy instead?", "alternative_products"),
    ("Are there similar products without this problem?", "alternative_products"),
    ("Is there a better option for a bassinet?", "alternative_products"),
    ("Which other brands make a comparable formula?", "alternative_products"),
    ("Any suggestions for something similar but safer?", "alternative_products"),
    ("I want to switch to a different bottle, what do you suggest?", "alternative_products"),
    ("¿Qué alternativas hay a este producto?", "alternative_products"),
    ("¿Me recomiendas otra marca?", "alternative_products"),
    ("¿Qué puedo comprar en su lugar?", "alternative_products"),
    # unclear_intent
    ("hi", "unclear_intent"),
    ("thanks!", "unclear_intent"),
    ("hello?", "unclear_intent"),
    ("ok", "unclear_intent"),
    ("asdfgh", "unclear_intent"),
    ("hola", "unclear_intent"),
    # a second batch, written after the first table passed
    ("Was this bassinet part of a recall last year?", "recall_details"),
    ("Is the Fisher-Price sleeper still being sold or was it taken off the market?", "recall_details"),
    ("My formula can has a batch code, how do I check if it's affected?", "recall_details"),
    ("Any safety notices for this car seat?", "recall_details"),
    ("¿Retiraron esta fórmula?", "recall_details"),
    ("Is it safe to take this vitamin while I'm pregnant?", "pregnancy_risk"),
    ("Can pregnant women use this sunscreen?", "pregnancy_risk"),
    ("I'm 20 weeks pregnant, is this okay?", "pregnancy_risk"),
    ("¿Lo puede usar una mujer embarazada?", "pregnancy_risk"),
    ("Is this safe for my son with a peanut allergy?", "allergy_question"),
    ("Is there soy in this formula?", "allergy_question"),
    ("Does it have gluten? My daughter is celiac", "allergy_question"),
    ("¿Tiene trazas de frutos secos?", "allergy_question"),
    ("Does this contain any artificial preservatives?", "ingredient_info"),
    ("What's carrageenan and why is it in this?", "ingredient_info"),
    ("Is the fragrance in this wash natural?", "ingredient_info"),
    ("¿Qué conservantes lleva?", "ingredient_info"),
    ("Is this teether appropriate for a 3 month old?", "age_appropriateness"),
    ("Can a 9-month-old use this bath seat?", "age_appropriateness"),
    ("Is this toy safe for under 3?", "age_appropriateness"),
    ("My baby is 5 months, can she use this jumper?", "age_appropriateness"),
    ("¿Mi bebé de 4 meses puede dormir en esto?", "age_appropriateness"),
    ("What would you recommend instead of this sleeper?", "alternative_products"),
    ("Is there a safer crib I could buy?", "alternative_products"),
    ("What are some good alternatives to this formula?", "alternative_products"),
    ("¿Hay algo más seguro que pueda comprar?", "alternative_products"),
    ("what do you think", "unclear_intent"),
    ("tell me more", "unclear_intent"),
]


@pytest.mark.parametrize(("question", "intent"), QUESTIONS)
def test_parent_question_table(question: str, intent: str) -> None:
    result = classify_text(question)

    assert result.intent == intent, f"{question!r}: {result}"
    if intent == "unclear_intent":
        assert not is_confident(result)
    else:
        assert is_confident(result), f"{question!r} unsure at {result.confidence}"


def test_table_has_sixty_questions_covering_every_intent() -> None:
    assert len(QUESTIONS) >= 60
    assert {intent for _, intent in QUESTIONS} == set(RULE_INTENTS)


def test_nothing_matched_is_unclear_with_zero_confidence() -> None:
    assert classify_text("good morning") == IntentResult(intent="unclear_intent", confidence=0.0, source="rules")


def test_a_question_split_evenly_between_two_intents_is_unsure() -> None:
    result = classify_text("Is this recalled? Does it contain peanuts?")

    assert result.intent in {"recall_details", "allergy_question"}
    assert not is_confident(result)


def test_a_lone_weak_hint_is_unsure() -> None:
    result = classify_text("is it organic")

    assert result.intent == "ingredient_info"
    assert result.confidence < DEFAULT_CONFIDENT


def test_more_evidence_for_the_same_intent_raises_confidence() -> None:
    one = classify_text("Was it recalled?")
    two = classify_text("Was it recalled? Is my lot number affected by the recall?")

    assert two.confidence > one.confidence


def test_confidence_is_always_within_zero_and_one() -> None:
    for question, _ in QUESTIONS:
        assert 0.0 <= classify_text(question).confidence <= 1.0


def test_intent_result_refuses_confidence_outside_zero_and_one() -> None:
    with pytest.raises(ValueError, match="1.5"):
        IntentResult(intent="recall_details", confidence=1.5, source="rules")


async def test_rule_classifier_implements_the_protocol_and_ignores_the_product() -> None:
    classifier: IntentClassifier = RuleClassifier()
    crib = Product(name="Dream On Me crib", category="cribs")

    with_product = await classifier.classify("Is this crib recalled?", crib)
    without = await classifier.classify("Is this crib recalled?", None)

    assert with_product == without
    assert with_product.intent == "recall_details"
    assert with_product.source == "rules"


def test_every_concern_of_a_message_is_named_beside_the_primary_intent() -> None:
    result = classify_text("Is it recalled and is it OK for my 2 month old to nap in it?")

    assert result.concerns >= {"recall_details", "age_appropriateness"}


def test_a_lone_weak_hint_is_no_concern() -> None:
    assert classify_text("what temperature counts as a fever for a newborn?").concerns == frozenset()


def test_a_product_named_nap_nanny_is_not_a_question_about_naps() -> None:
    result = classify_text("Nap Nanny recliner - recalled?")

    assert (result.intent, result.concerns) == ("recall_details", frozenset({"recall_details"}))
