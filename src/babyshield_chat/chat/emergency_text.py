"""What the emergency answer says, in English and Spanish, per region.

Every sentence here is standard first-aid or poison-centre guidance (AAP,
Poison Control, National Capital Poison Center, Red Cross); nothing is
specific to a product. The call to action names the number that works where
the parent is (`chat.locales`), and never guesses one it does not know.
"""

from __future__ import annotations

from babyshield_chat.chat.locales import Language, Locale

_REASONS: dict[str, tuple[str, str]] = {
    "anaphylaxis": (
        "This sounds like a severe allergic reaction (anaphylaxis).",
        "Esto parece una reacción alérgica grave (anafilaxia).",
    ),
    "not_breathing": ("Your child may not be breathing.", "Es posible que su hijo no esté respirando."),
    "unresponsive": ("Your child may be unresponsive.", "Es posible que su hijo no responda."),
    "drowning": ("Your child may have been under water.", "Es posible que su hijo haya estado bajo el agua."),
    "choking": ("Your child may be choking.", "Es posible que su hijo se esté atragantando."),
    "seizure": ("Your child may be having a seizure.", "Es posible que su hijo esté teniendo una convulsión."),
    "battery": (
        "Your child may have swallowed a battery.",
        "Es posible que su hijo se haya tragado una pila.",
    ),
    "poisoning": (
        "Your child may have swallowed a chemical or medicine.",
        "Es posible que su hijo haya ingerido un producto químico o un medicamento.",
    ),
    "magnet": ("Your child may have swallowed a magnet.", "Es posible que su hijo se haya tragado un imán."),
    "water_beads": (
        "Your child may have swallowed water beads.",
        "Es posible que su hijo se haya tragado bolitas de hidrogel.",
    ),
    "young_infant_fever": (
        "A baby under 3 months with a fever of 100.4 °F (38 °C) or more needs a doctor now.",
        "Un bebé menor de 3 meses con fiebre de 38 °C (100.4 °F) o más necesita un médico ahora.",
    ),
    "allergic_reaction": (
        "Your child may be having an allergic reaction.",
        "Es posible que su hijo esté teniendo una reacción alérgica.",
    ),
    "recent_seizure": ("Your child may have had a seizure.", "Es posible que su hijo haya tenido una convulsión."),
    "head_injury": ("Your child may have a head injury.", "Es posible que su hijo tenga un golpe en la cabeza."),
    "burn": ("Your child may have a burn.", "Es posible que su hijo tenga una quemadura."),
    "breathing_trouble": (
        "Your child may be having trouble breathing.",
        "Es posible que su hijo tenga dificultad para respirar.",
    ),
}

_CATEGORY_BY_REASON = {text: category for category, pair in _REASONS.items() for text in pair}

_FIRST_AID: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "anaphylaxis": (
        ("If your child has a prescribed epinephrine auto-injector, use it now.",),
        ("Si su hijo tiene un autoinyector de epinefrina recetado, úselo ahora.",),
    ),
    "not_breathing": (
        ("If you know CPR, start it now and keep going until help arrives.",),
        ("Si sabe hacer RCP, empiece ahora y siga hasta que llegue la ayuda.",),
    ),
    "unresponsive": (
        ("Check whether your child is breathing; if not, start CPR.",),
        ("Compruebe si su hijo respira; si no respira, empiece la RCP.",),
    ),
    "drowning": (
        ("Get your child out of the water, check breathing, and start CPR if they are not breathing.",),
        ("Saque a su hijo del agua, compruebe si respira y empiece la RCP si no respira.",),
    ),
    "choking": (
        (
            "If your child can cough or cry, let them keep coughing.",
            "If they cannot cough, cry or breathe, start choking first aid for their age while help is on the way.",
        ),
        (
            "Si su hijo puede toser o llorar, déjelo seguir tosiendo.",
            "Si no puede toser, llorar ni respirar, empiece los primeros auxilios para atragantamiento según su edad "
            "mientras llega la ayuda.",
        ),
    ),
    "seizure": (
        (
            "Lay your child on their side on a safe surface and do not put anything in their mouth.",
            "Note the time the seizure started.",
        ),
        (
            "Acueste a su hijo de lado en un lugar seguro y no le ponga nada en la boca.",
            "Anote la hora en que empezó la convulsión.",
        ),
    ),
    "battery": (
        (
            "A swallowed button battery can cause severe burns inside the body within about two hours; do not wait for "
            "symptoms.",
            "Do not make your child vomit, and do not let them eat or drink unless a medical professional says so.",
        ),
        (
            "Una pila de botón tragada puede causar quemaduras graves dentro del cuerpo en unas dos horas; no espere a "
            "que aparezcan síntomas.",
            "No provoque el vómito y no le dé de comer ni de beber salvo que se lo indique un profesional sanitario.",
        ),
    ),
    "poisoning": (
        (
            "Do not make your child vomit.",
            "Keep the container with you so you can say exactly what was swallowed and how much.",
        ),
        (
            "No provoque el vómito.",
            "Tenga el envase a mano para decir exactamente qué tragó y cuánto.",
        ),
    ),
    "magnet": (
        (
            "Two or more swallowed magnets can pull together through the intestines and cause serious injury, even "
            "when your child seems fine.",
        ),
        (
            "Dos o más imanes tragados pueden atraerse a través del intestino y causar lesiones graves, aunque su hijo "
            "parezca estar bien.",
        ),
    ),
    "water_beads": (
        (
            "Water beads keep swelling inside the body and can block the intestines, even when your child seems "
            "fine at first.",
            "Do not make your child vomit; take the package with you if you have it.",
        ),
        (
            "Las bolitas de hidrogel siguen hinchándose dentro del cuerpo y pueden obstruir el intestino, aunque al "
            "principio su hijo parezca estar bien.",
            "No provoque el vómito; lleve el envase si lo tiene.",
        ),
    ),
    "young_infant_fever": (
        (
            "Do not give fever medicine before a doctor says so: in a young baby it can hide what the doctor needs "
            "to see.",
            "If your baby is hard to wake, struggling to breathe or turning blue, call your emergency number.",
        ),
        (
            "No le dé medicina para la fiebre antes de que lo indique un médico: en un bebé pequeño puede ocultar lo "
            "que el médico necesita ver.",
            "Si al bebé le cuesta despertarse, respira con dificultad o se pone azul, llame al número de emergencias.",
        ),
    ),
    "allergic_reaction": (
        ("Stop giving the food or product that may have caused the reaction.",),
        ("Deje de darle el alimento o producto que pudo causar la reacción.",),
    ),
    "recent_seizure": (
        ("Keep your child on their side on a safe surface and watch their breathing.",),
        ("Mantenga a su hijo de lado en un lugar seguro y vigile su respiración.",),
    ),
    "head_injury": (
        ("Keep your child calm and watch for vomiting, unusual sleepiness or changes in behaviour.",),
        ("Mantenga a su hijo tranquilo y vigile si vomita, tiene mucho sueño o se comporta de forma extraña.",),
    ),
    "burn": (
        ("Cool the burn under cool running water for 20 minutes; do not use ice, butter or creams.",),
        ("Enfríe la quemadura con agua corriente fresca durante 20 minutos; no use hielo, mantequilla ni cremas.",),
    ),
    "breathing_trouble": (
        ("Keep your child upright and calm.",),
        ("Mantenga a su hijo incorporado y tranquilo.",),
    ),
}

_NOW_WAIT = (
    "Do not wait for a reply in this chat.",
    "No espere una respuesta en este chat.",
)


def _pick(pair: tuple[str, str], language: Language) -> str:
    return pair[1] if language == "es" else pair[0]


def reason(category: str, language: Language) -> str:
    return _pick(_REASONS[category], language)


def category_of_reason(text: str) -> str | None:
    """The category a reason sentence was written for (None if not ours)."""
    return _CATEGORY_BY_REASON.get(text)


def first_aid(category: str | None, language: Language) -> list[str]:
    steps = _FIRST_AID.get(category or "", ((), ()))
    return [*(steps[1] if language == "es" else steps[0]), _pick(_NOW_WAIT, language)]


def headline(level: str, language: Language) -> str:
    if level == "red":
        return _pick(("This may be a life-threatening emergency.", "Esto puede ser una emergencia grave."), language)
    return _pick(("This needs urgent medical attention.", "Esto necesita atención médica urgente."), language)


def disclaimer(language: Language) -> str:
    return _pick(
        (
            "BabyShield is not a medical service and cannot see your child. In an emergency, always call your local "
            "emergency number.",
            "BabyShield no es un servicio médico y no puede ver a su hijo. En una emergencia, llame siempre al número "
            "de emergencias local.",
        ),
        language,
    )


def _dial(loc: Locale) -> str:
    """ "911" or the phrase for an unknown region, for use inside a sentence."""
    if loc.emergency_number:
        return loc.emergency_number
    return _pick(("your local emergency number", "al número de emergencias local"), loc.language)


def _call(loc: Locale) -> str:
    if loc.language == "es":
        return (
            f"Llame al {loc.emergency_number} ahora."
            if loc.emergency_number
            else "Llame ahora al número de emergencias local."
        )
    return f"Call {_dial(loc)} now."


def _poison_line(loc: Locale) -> str:
    """Where poison advice comes from, as the object of "call"."""
    if loc.poison_control:
        return _pick(
            (
                f"Poison Control at {loc.poison_control}",
                f"a Poison Control (Control de Envenenamientos) al {loc.poison_control}",
            ),
            loc.language,
        )
    if loc.is_uk:
        return _pick(("NHS 111", "al NHS 111"), loc.language)
    return _pick(("your national poison centre", "a su centro nacional de toxicología"), loc.language)


def call_to_action(category: str, level: str, loc: Locale) -> str:
    """The first thing to do, with the numbers that work in the parent's region."""
    es = loc.language == "es"
    dial = _dial(loc)
    al = "" if not loc.emergency_number else "al "
    if category == "battery":
        then = (
            (f" Después llame {_poison_line(loc)}." if es else f" Then call {_poison_line(loc)}.")
            if loc.poison_control
            else ""
        )
        return _call(loc) + then
    if level == "red":
        return _call(loc)
    if category == "poisoning":
        if es:
            return (
                f"Llame ahora {_poison_line(loc)}. "
                f"Si su hijo no respira, no responde o tiene una convulsión, llame {al}{dial}."
            )
        return (
            f"Call {_poison_line(loc)} now. "
            f"If your child is not breathing, is unresponsive or has a seizure, call {dial}."
        )
    if category == "young_infant_fever":
        if es:
            return ("Llame ahora al pediatra, o vaya a urgencias si no puede hablar con él: una fiebre de 38 °C "
                    "(100.4 °F) o más en un bebé menor de 3 meses necesita un médico hoy.")
        return ("Call your pediatrician now, or go to the emergency room if you cannot reach them: a fever of "
                "100.4 °F (38 °C) or more in a baby under 3 months needs a doctor today.")
    if category == "water_beads":
        if es:
            return f"Llame ahora {_poison_line(loc)} y vaya a urgencias; si le cuesta respirar, llame {al}{dial}."
        return (f"Call {_poison_line(loc)} now and go to the emergency room; if your child has trouble breathing, "
                f"call {dial}.")
    if category == "magnet":
        extra = ""
        if loc.poison_control:
            extra = f" También puede llamar {_poison_line(loc)}." if es else f" You can also call {_poison_line(loc)}."
        if es:
            return f"Vaya ahora a urgencias o llame {al}{dial}." + extra
        return f"Go to the nearest emergency department now, or call {dial}." + extra
    signs = {
        "allergic_reaction": (
            "if the face, lips or tongue swell, or breathing becomes hard",
            "si se le hinchan la cara, los labios o la lengua, o le cuesta respirar",
        ),
        "recent_seizure": (
            "if another seizure starts or one lasts more than 5 minutes",
            "si empieza otra convulsión o una dura más de 5 minutos",
        ),
        "head_injury": (
            "if your child passes out, vomits more than once, has a seizure or is hard to wake",
            "si su hijo se desmaya, vomita más de una vez, tiene una convulsión o cuesta despertarlo",
        ),
        "burn": (
            "for a large or deep burn, or a burn on the face, hands, feet or genitals",
            "si la quemadura es grande o profunda, o está en la cara, las manos, los pies o los genitales",
        ),
        "breathing_trouble": (
            "if your child is struggling to breathe, turning blue or very drowsy",
            "si su hijo lucha por respirar, se pone azul o está muy adormilado",
        ),
    }[category]
    if es:
        return f"Llame ahora al pediatra. Llame {al}{dial} {signs[1]}."
    return f"Call your child's doctor now. Call {dial} {signs[0]}."
