"""Tests for emergency detection and the emergency answer."""

from __future__ import annotations

import pytest

from babyshield_chat.chat.emergency import detect_emergency, emergency_answer, match_emergency

# (message, expected category or None, expected level or None)
EMERGENCIES_EN = [
    # Urgent, not 911 (spec 4b.9).
    ("my 6 week old has a fever of 100.6", "young_infant_fever", "amber"),
    ("2 month old, temp is 38.3 C, is this thermometer right?", "young_infant_fever", "amber"),
    ("my toddler swallowed water beads", "water_beads", "amber"),
    ("I think my son ate some of the water beads from this kit", "water_beads", "amber"),
    ("she swallowed an orbeez", "water_beads", "amber"),
    ("my 1 month old is not breathing and has a fever of 101", "not_breathing", "red"),
    ("My baby is choking!", "choking", "red"),
    ("help my son is choking on a grape", "choking", "red"),
    ("my kid choked on a piece of this toy and is coughing", "choking", "red"),
    ("there is something stuck in her throat", "choking", "red"),
    ("my daughter is not breathing", "not_breathing", "red"),
    ("he's turning blue", "not_breathing", "red"),
    ("her lips are blue and she is gasping for air", "not_breathing", "red"),
    ("baby won't wake up", "unresponsive", "red"),
    ("she is unconscious", "unresponsive", "red"),
    ("my son fell and now he is not responding", "unresponsive", "red"),
    ("he is having a seizure right now", "seizure", "red"),
    ("my son swallowed a button battery", "battery", "red"),
    ("she swallowed a battery what do I do", "battery", "red"),
    ("My baby might have swallowed a coin battery from the remote", "battery", "red"),
    ("not sure if she swallowed a battery, one is missing", "battery", "red"),
    ("I think he swallowed one of the magnets from this toy", "magnet", "amber"),
    ("he swallowed a magnet yesterday", "magnet", "amber"),
    ("my toddler drank bleach", "poisoning", "amber"),
    ("he got into the laundry pods", "poisoning", "amber"),
    ("she ate some of grandma's pills", "poisoning", "amber"),
    ("I gave him too much tylenol", "poisoning", "amber"),
    ("her lips are swelling after eating peanut butter", "anaphylaxis", "red"),
    ("he has trouble breathing after eating eggs", "anaphylaxis", "red"),
    ("my baby is having a severe allergic reaction", "anaphylaxis", "red"),
    ("she broke out in hives after the new formula", "allergic_reaction", "amber"),
    ("my baby had a seizure", "recent_seizure", "amber"),
    ("he fell off the changing table and hit his head", "head_injury", "amber"),
    ("my son burned his hand on the bottle warmer", "burn", "amber"),
    ("I spilled hot coffee on her", "burn", "amber"),
    ("my baby is wheezing and breathing really fast", "breathing_trouble", "amber"),
    ("found him face down in the bath", "drowning", "red"),
    ("what should I do if my baby is choking?", "choking", "red"),
    ("he choked on a grape yesterday and now he is not breathing", "not_breathing", "red"),
]

EMERGENCIES_ES = [
    ("mi bebé de 2 meses tiene 38.5 de fiebre", "young_infant_fever", "amber"),
    ("mi hijo se tragó unas bolitas de hidrogel", "water_beads", "amber"),
    ("mi bebé se está ahogando", "choking", "red"),
    ("Mi hija se atragantó con una uva", "choking", "red"),
    ("mi hijo se tragó una pila", "battery", "red"),
    ("creo que se trago una pila de boton", "battery", "red"),
    ("mi hija no respira", "not_breathing", "red"),
    ("se está poniendo morado", "not_breathing", "red"),
    ("se tragó un imán del juguete", "magnet", "amber"),
    ("mi bebé bebió lejía", "poisoning", "amber"),
    ("se comió las pastillas de su abuela", "poisoning", "amber"),
    ("se le está hinchando la cara después de comer", "anaphylaxis", "red"),
    ("mi hijo está convulsionando", "seizure", "red"),
    ("se cayó de la cama y se golpeó la cabeza", "head_injury", "amber"),
    ("mi niña se quemó con agua caliente", "burn", "amber"),
    ("mi bebé no responde", "unresponsive", "red"),
    ("se ahogó en la piscina", "drowning", "red"),
    ("creo que se ha tragado una pila", "battery", "red"),
    ("puede que se haya tragado un imán", "magnet", "amber"),
    ("mi hijo ha bebido cloro", "poisoning", "amber"),
]

NEAR_MISSES = [
    "are water beads ok for toddlers to play with?",
    "my 5 month old has a fever of 100.8, can she use this teether?",
    "my 2 month old had a fever last week, is this thermometer accurate?",
    "what temperature counts as a fever for a newborn?",
    "the battery cover is loose",
    "does this toy have small magnets?",
    "battery",
    "Does this need batteries?",
    "is this choking-hazard warning real?",
    "what does the choking hazard label mean?",
    "can my baby choke on this?",
    "could this formula cause swollen lips?",
    "the warning says swallowing magnets can cause serious injury, is that true?",
    "is this bath seat a drowning risk?",
    "is this detergent poisonous if swallowed?",
    "Is this burn cream safe for babies?",
    "the app is not responding",
    "he swallowed his medicine fine",
    "my son can't breathe through his nose, is this saline spray ok?",
    "does this helmet prevent head injury?",
    "¿este juguete tiene riesgo de asfixia?",
    "la batería del juguete se descargó",
    "¿este imán es seguro para mi bebé?",
    "mi bebé tiene alergia a la leche",
    "¿se puede tragar este imán?",
    "¿qué pasa si se traga una pila?",
    "my son has a milk allergy, is this formula ok?",
    "what number is Poison Control?",
]

NEGATED_OR_RESOLVED = [
    "he is not choking",
    "she isn't choking, just coughing a bit",
    "no se está ahogando",
    "she didn't swallow the battery, it was on the floor",
    "ella no se tragó la pila",
    "he has not swallowed any magnets, I counted them",
    "she wasn't burned, the water was lukewarm",
    "my son had an allergic reaction to peanuts, does this contain peanuts?",
    "he choked on a grape yesterday but he is fine now, is this teether safe?",
    "my son hit his head on the crib last week, is the crib recalled?",
    "se atragantó ayer pero ya está bien",
    "he is breathing fine",
    "she choked on a carrot but shes fine now",
]

TABLE = [(text, category, level) for text, category, level in EMERGENCIES_EN + EMERGENCIES_ES] + [
    (text, None, None) for text in NEAR_MISSES + NEGATED_OR_RESOLVED
]


@pytest.mark.parametrize(("text", "category", "level"), TABLE)
def test_emergency_table(text: str, category: str | None, level: str | None) -> None:
    match = match_emergency(text, "en-US")

    if category is None:
        assert match is None, f"{text!r} read as {match.category}"
    else:
        assert match is not None, f"{text!r} missed"
        assert (match.category, match.emergency.level) == (category, level)


def test_table_covers_enough_phrasings_in_both_languages() -> None:
    assert len(TABLE) >= 40
    assert len(EMERGENCIES_ES) >= 10 and len(NEAR_MISSES) >= 10 and len(NEGATED_OR_RESOLVED) >= 5


def test_the_most_serious_reading_wins_when_several_match() -> None:
    match = match_emergency("he is not breathing after he swallowed a magnet", "en-US")

    assert match.category == "not_breathing"
    assert match.emergency.level == "red"


def test_a_negated_phrase_does_not_hide_another_emergency_in_the_message() -> None:
    match = match_emergency("he is not choking, but he swallowed a magnet", "en-US")

    assert match.category == "magnet"


def test_empty_or_blank_message_is_not_an_emergency() -> None:
    assert detect_emergency("", "en-US") is None
    assert detect_emergency("   \n ", None) is None


@pytest.mark.parametrize(
    ("locale", "number", "poison_control"),
    [
        ("en-US", "911", True),
        ("es-US", "911", True),
        (None, "911", True),
        ("en", "911", True),
        ("en-GB", "999", False),
        ("de-DE", "112", False),
        ("fr-FR", "112", False),
        ("es-ES", "112", False),
        ("it-IT", "112", False),
        ("nl-NL", "112", False),
        ("pl-PL", "112", False),
        ("en-IE", "112", False),
    ],
)
def test_call_to_action_names_the_number_that_works_in_the_region(
    locale: str | None, number: str, poison_control: bool
) -> None:
    emergency = detect_emergency("my son swallowed a button battery", locale)

    assert emergency.level == "red"
    assert number in emergency.call_to_action
    assert ("1-800-222-1222" in emergency.call_to_action) is poison_control


def test_poisoning_sends_us_parents_to_poison_control_first_and_911_on_danger_signs() -> None:
    cta = detect_emergency("my toddler drank bleach", "en-US").call_to_action

    assert cta.startswith("Call Poison Control at 1-800-222-1222 now.")
    assert "call 911" in cta


def test_uk_poisoning_advice_uses_nhs_111_and_999() -> None:
    cta = detect_emergency("my toddler drank bleach", "en-GB").call_to_action

    assert "NHS 111" in cta and "999" in cta and "911" not in cta


def test_region_without_a_known_number_is_never_given_a_guessed_one() -> None:
    cta = detect_emergency("my baby is choking", "en-ZA").call_to_action

    assert "local emergency number" in cta
    assert "911" not in cta


def test_spanish_locales_get_the_call_to_action_in_spanish() -> None:
    us = detect_emergency("mi bebé se está ahogando", "es-US")
    spain = detect_emergency("mi bebé se está ahogando", "es-ES")

    assert us.call_to_action == "Llame al 911 ahora."
    assert spain.call_to_action == "Llame al 112 ahora."
    assert us.reason.startswith("Es posible que su hijo")


def test_spanish_text_with_an_english_locale_is_answered_in_spanish_with_the_regions_numbers() -> None:
    emergency = detect_emergency("mi hijo se tragó una pila", "en-US")

    assert emergency.reason == "Es posible que su hijo se haya tragado una pila."
    assert "911" in emergency.call_to_action and "1-800-222-1222" in emergency.call_to_action


def test_emergency_answer_tells_what_to_do_now_without_checks_or_evidence() -> None:
    emergency = detect_emergency("my son swallowed a button battery", "en-US")

    answer = emergency_answer(emergency, "en-US")

    assert answer.emergency == emergency
    assert "Call 911 now." in answer.summary
    assert answer.summary.startswith("This may be a life-threatening emergency.")
    assert answer.reasons[0] == emergency.reason
    assert any("do not wait for symptoms" in r for r in answer.reasons)
    assert answer.checks == [] and answer.evidence == []
    assert "emergency:battery" in answer.flags
    assert "not a medical service" in answer.disclaimer


def test_a_young_infants_fever_sends_the_parent_to_the_pediatrician_or_the_emergency_room() -> None:
    emergency = detect_emergency("my 6 week old has a fever of 100.6", "en-US")

    assert emergency.level == "amber"
    assert emergency.call_to_action.startswith("Call your pediatrician now, or go to the emergency room")
    assert "911" not in emergency.call_to_action


def test_swallowed_water_beads_send_the_parent_to_poison_control_and_the_emergency_room() -> None:
    emergency = detect_emergency("my toddler swallowed water beads", "en-US")

    assert emergency.level == "amber"
    assert "Poison Control at 1-800-222-1222" in emergency.call_to_action
    assert "emergency room" in emergency.call_to_action


def test_amber_answer_says_urgent_not_life_threatening() -> None:
    emergency = detect_emergency("he fell off the bed and hit his head", "en-US")

    answer = emergency_answer(emergency, "en-US")

    assert answer.summary.startswith("This needs urgent medical attention.")
    assert "Call 911 if your child passes out" in answer.summary


def test_emergency_answer_is_in_spanish_for_spanish_locales() -> None:
    emergency = detect_emergency("mi bebé no respira", "es-MX")

    answer = emergency_answer(emergency, "es-MX")

    assert answer.summary.startswith("Esto puede ser una emergencia grave. Llame al 911 ahora.")
    assert "RCP" in " ".join(answer.reasons)
    assert answer.disclaimer.startswith("BabyShield no es un servicio médico")


def test_emergency_answer_for_a_foreign_reason_still_gives_generic_guidance() -> None:
    from babyshield_chat.chat.model import Emergency

    emergency = Emergency(level="red", reason="Reported by the triage nurse.", call_to_action="Call 911 now.")

    answer = emergency_answer(emergency, "en-US")

    assert answer.flags == ["emergency"]
    assert answer.reasons == ["Reported by the triage nurse.", "Do not wait for a reply in this chat."]


def test_a_phrase_with_its_own_regex_flags_is_refused_at_import():
    """The one-scan pre-check joins every phrase into one regex: differing flags would change a rule."""
    import re

    from babyshield_chat.chat.emergency import _any_phrase

    with pytest.raises(ValueError, match="share their regex flags"):
        _any_phrase([re.compile("choking"), re.compile("not breathing", re.IGNORECASE)])
    assert _any_phrase([re.compile("choking"), re.compile("not breathing")]).search("he is not breathing")
