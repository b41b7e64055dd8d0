"""The offline writer's phrasebook, in English and Spanish.

Kept apart from the writer's logic so that wording can be reviewed (and
translated) in one place. Nothing here decides anything: `offline_writer`
picks the sentence, this module only says it in the right language.

No sentence here calls a product "safe". The strongest positive statement,
`ALL_CLEAR`, is only used when every check passed, and even then it speaks of
the checks, not of the product.
"""

from __future__ import annotations

from babyshield_chat.chat.tools.common import Says

#: Said only when every check passed and every tool ran.
ALL_CLEAR = Says(
    "No problems found in the checks we ran.", "No se encontraron problemas en las comprobaciones realizadas."
)

#: What each tool covers, as the object of "could not check ...".
TOOL_TOPICS: dict[str, Says] = {
    "recall_lookup": Says("recalls", "las retiradas del mercado"),
    "allergen_check": Says("allergens", "los alérgenos"),
    "age_check": Says("age suitability", "la edad recomendada"),
    "pregnancy_check": Says("pregnancy guidance", "las recomendaciones para el embarazo"),
    "ingredient_info": Says("ingredients", "los ingredientes"),
    "alternatives": Says("alternatives", "las alternativas"),
}

#: Which tool answers which intent, for the summary's first sentence.
INTENT_TOOL: dict[str, str] = {
    "recall_details": "recall_lookup",
    "allergy_question": "allergen_check",
    "pregnancy_risk": "pregnancy_check",
    "age_appropriateness": "age_check",
    "ingredient_info": "ingredient_info",
    "alternative_products": "alternatives",
}

# Lead sentences per tool and outcome: "fail", "warn", "unknown", "pass", "missing".
LEADS: dict[str, dict[str, Says]] = {
    "allergen_check": {
        "fail": Says(
            "It contains an allergen from your child's profile.", "Contiene un alérgeno del perfil de su hijo."
        ),
        # Every matching allergy was stated in the message (spec 4b.6: never "from your child's profile").
        "fail_stated": Says(
            "It contains something your child is allergic to.", "Contiene algo a lo que su hijo es alérgico."
        ),
        "warn": Says(
            "Possibly, but check with your pediatrician first.",
            "Posiblemente, pero consúltelo antes con su pediatra.",
        ),
        "unknown": Says(
            "We could not fully check it against your child's allergies.",
            "No pudimos comprobarlo del todo frente a las alergias de su hijo.",
        ),
        "pass": Says(
            "None of its ingredients matches the allergies in your profile.",
            "Ninguno de sus ingredientes coincide con las alergias de su perfil.",
        ),
    },
    "pregnancy_check": {
        "fail": Says("It is better avoided during pregnancy.", "Es mejor evitarlo durante el embarazo."),
        "warn": Says("Use it with care during pregnancy.", "Úselo con precaución durante el embarazo."),
        "unknown": Says(
            "We could not check it against pregnancy guidance.",
            "No pudimos comprobarlo frente a las recomendaciones para el embarazo.",
        ),
        "pass": Says(
            "None of its ingredients is on our pregnancy watch list.",
            "Ninguno de sus ingredientes está en nuestra lista de vigilancia para el embarazo.",
        ),
    },
    "age_check": {
        "fail": Says("It is not suitable for your child right now.", "No es adecuado para su hijo por ahora."),
        "warn": Says("It can be used, with care.", "Se puede usar, con precaución."),
        "unknown": Says(
            "We could not fully check it against your child's age.",
            "No pudimos comprobarlo del todo frente a la edad de su hijo.",
        ),
        "pass": Says(
            "It matches your child's age in the checks we ran.",
            "Es acorde a la edad de su hijo según las comprobaciones realizadas.",
        ),
    },
    "ingredient_info": {
        "fail": Says(
            "Here is what is in it; some ingredients need a closer look.",
            "Esto es lo que contiene; algunos ingredientes merecen atención.",
        ),
        "warn": Says(
            "Here is what is in it; some ingredients need a closer look.",
            "Esto es lo que contiene; algunos ingredientes merecen atención.",
        ),
        "unknown": Says(
            "Here is what we can tell you about its ingredients.", "Esto es lo que podemos decirle de sus ingredientes."
        ),
        "pass": Says("Here is what is in it.", "Esto es lo que contiene."),
    },
}

GENERIC_LEADS: dict[str, Says] = {
    "fail": Says("We found a problem with this product.", "Encontramos un problema con este producto."),
    "warn": Says("This product needs some care.", "Este producto requiere cierta precaución."),
    "unknown": Says(
        "We could not check everything, so we cannot rule out problems.",
        "No pudimos comprobarlo todo, así que no podemos descartar problemas.",
    ),
    "none": Says(
        "No checks could be run for this question.", "No se pudo hacer ninguna comprobación para esta pregunta."
    ),
    "unclear": Says(
        "I'm not sure what you would like to know about this product.",
        "No sé bien qué quiere saber sobre este producto.",
    ),
}


def missing_tool_lead(tool: str) -> Says:
    topic = TOOL_TOPICS.get(tool, Says(tool, tool))
    return Says(f"We could not check {topic.en} right now.", f"Ahora mismo no pudimos comprobar {topic.es}.")


def tool_failed(tool: str) -> Says:
    topic = TOOL_TOPICS.get(tool, Says(tool, tool))
    return Says(
        f"The check of {topic.en} could not be completed, so this answer does not cover {topic.en}.",
        f"No se pudo completar la comprobación de {topic.es}, así que esta respuesta no cubre {topic.es}.",
    )


FALLBACK_NOTICES: dict[str, Says] = {
    "timeout": Says(
        "Our full answer took too long, so this shorter answer was built directly from the checks.",
        "Nuestra respuesta completa tardó demasiado, así que esta respuesta breve se creó directamente a partir de las "
        "comprobaciones.",
    ),
    "circuit_open": Says(
        "Our full answer service is unavailable right now, so this shorter answer was built directly from the checks.",
        "Nuestro servicio de respuestas completas no está disponible ahora, así que esta respuesta breve se creó a "
        "partir de las comprobaciones.",
    ),
    "provider_error": Says(
        "Our full answer service had an error, so this shorter answer was built directly from the checks.",
        "Nuestro servicio de respuestas completas tuvo un error, así que esta respuesta breve se creó a partir de las "
        "comprobaciones.",
    ),
    "rate_limited": Says(
        "Our full answer service is busy, so this shorter answer was built directly from the checks.",
        "Nuestro servicio de respuestas completas está ocupado, así que esta respuesta breve se creó a partir de las "
        "comprobaciones.",
    ),
    "invalid_output": Says(
        "Our full answer could not be used, so this shorter answer was built directly from the checks.",
        "No se pudo usar nuestra respuesta completa, así que esta respuesta breve se creó a partir de las "
        "comprobaciones.",
    ),
    "budget_exhausted": Says(
        "We ran out of time for a full answer, so this shorter answer was built directly from the checks.",
        "Se agotó el tiempo para una respuesta completa, así que esta respuesta breve se creó a partir de las "
        "comprobaciones.",
    ),
    "spend_cap": Says(
        "Our full answer service reached its daily limit, so this shorter answer was built directly from the checks.",
        "Nuestro servicio de respuestas completas alcanzó su límite diario, así que esta respuesta breve se creó a "
        "partir de las comprobaciones.",
    ),
}
GENERIC_FALLBACK = Says(
    "This shorter answer was built directly from the checks.",
    "Esta respuesta breve se creó directamente a partir de las comprobaciones.",
)
INCOMPLETE_CHECKS = Says(
    "Some checks could not be completed: {topics}.",
    "Algunas comprobaciones no se pudieron completar: {topics}.",
)

DISCLAIMER = Says(
    "BabyShield checks public CPSC and FDA recall data and published guidance; it is not medical advice. Ask your "
    "pediatrician or doctor about your child's health and your own.",
    "BabyShield consulta datos públicos de retiradas de la CPSC y la FDA y recomendaciones publicadas; no es consejo "
    "médico. Consulte a su pediatra o médico sobre la salud de su hijo y la suya.",
)

SUGGESTED: dict[str, tuple[Says, ...]] = {
    "recall_details": (
        Says("Is it right for my child's age?", "¿Es adecuado para la edad de mi hijo?"),
        Says("Are there similar products with no recall?", "¿Hay productos parecidos sin retiradas?"),
    ),
    "allergy_question": (
        Says("What are the ingredients?", "¿Cuáles son los ingredientes?"),
        Says("Are there similar products without this allergen?", "¿Hay productos parecidos sin este alérgeno?"),
        Says("Has it been recalled?", "¿Lo han retirado del mercado?"),
    ),
    "pregnancy_risk": (
        Says("What are the ingredients?", "¿Cuáles son los ingredientes?"),
        Says("Is there an alternative for pregnancy?", "¿Hay una alternativa para el embarazo?"),
        Says("Has it been recalled?", "¿Lo han retirado del mercado?"),
    ),
    "ingredient_info": (
        Says("Does it contain any of my child's allergens?", "¿Contiene alguno de los alérgenos de mi hijo?"),
        Says("Can I use it during pregnancy?", "¿Puedo usarlo durante el embarazo?"),
        Says("Has it been recalled?", "¿Lo han retirado del mercado?"),
    ),
    "age_appropriateness": (
        Says("Has it been recalled?", "¿Lo han retirado del mercado?"),
        Says("What is a good alternative for my child's age?", "¿Qué alternativa hay para la edad de mi hijo?"),
    ),
    "alternative_products": (
        Says("Has this product been recalled?", "¿Han retirado este producto del mercado?"),
        Says("What are the ingredients?", "¿Cuáles son los ingredientes?"),
    ),
}
DEFAULT_SUGGESTED: tuple[Says, ...] = (
    Says("Has this product been recalled?", "¿Han retirado este producto del mercado?"),
    Says("What age is it for?", "¿Para qué edad es?"),
    Says("Does it contain any of my child's allergens?", "¿Contiene alguno de los alérgenos de mi hijo?"),
)
RECALLED_NEXT = Says("What should I do with the recalled product?", "¿Qué hago con el producto retirado?")
ADD_BIRTHDATE = Says("How do I add my child's birthdate?", "¿Cómo añado la fecha de nacimiento de mi hijo?")

# --- recall answers: every one says how fresh the recall data is ---

RECALL: dict[str, Says] = {
    "match": Says(
        "Yes, it appears in a recall: {title} ({date}).",
        "Sí, aparece en una retirada del mercado: {title} ({date}).",
    ),
    "match_many": Says(
        "Yes, it appears in {count} recalls, including {title} ({date}).",
        "Sí, aparece en {count} retiradas del mercado, entre ellas {title} ({date}).",
    ),
    "name_match": Says(
        "It may be part of a recall: {title} ({date}). We matched it by name, so compare the model and lot numbers on "
        "the notice.",
        "Puede formar parte de una retirada: {title} ({date}). Coincide por el nombre, así que compare el modelo y el "
        "lote con el aviso.",
    ),
    "none": Says(
        "No recall in our data matches this product (recall data updated {as_of}).",
        "Ninguna retirada de nuestros datos coincide con este producto (datos actualizados el {as_of}).",
    ),
    "stale": Says(
        "We cannot confirm whether it has been recalled: our recall data was last updated {as_of}, too long ago to "
        "rely on.",
        "No podemos confirmar si lo han retirado: nuestros datos de retiradas se actualizaron el {as_of}, hace "
        "demasiado para fiarse.",
    ),
    "empty": Says(
        "We cannot confirm whether it has been recalled: no recall data is loaded yet.",
        "No podemos confirmar si lo han retirado: todavía no hay datos de retiradas cargados.",
    ),
    "unknown": Says(
        "We cannot confirm whether it has been recalled.",
        "No podemos confirmar si lo han retirado.",
    ),
    "fresh_note": Says("Recall data last updated {as_of}.", "Datos de retiradas actualizados el {as_of}."),
    "stale_note": Says(
        "Our recall data was last updated {as_of}, so recent recalls may be missing.",
        "Nuestros datos de retiradas se actualizaron el {as_of}, así que pueden faltar retiradas recientes.",
    ),
    "undated_note": Says(
        "We do not know when the recall data was last updated.",
        "No sabemos cuándo se actualizaron por última vez los datos de retiradas.",
    ),
    "item": Says(
        "{title} ({agency} recall {number}, {date}). Hazard: {hazard}. Remedy: {remedy}.",
        "{title} (retirada {agency} {number}, {date}). Peligro: {hazard}. Solución: {remedy}.",
    ),
    "no_date": Says("date not given", "sin fecha"),
    "not_given": Says("not given", "no indicado"),
}

ALTERNATIVES: dict[str, Says] = {
    "found": Says(
        "Similar products with no recall on record: {names}.",
        "Productos parecidos sin retiradas registradas: {names}.",
    ),
    "standard": Says(
        "We do not recommend specific products; look for one that {standard}.",
        "No recomendamos productos concretos; busque uno que cumpla esta norma: {standard}.",
    ),
    "no_category": Says(
        "We need the product's category to say what to look for in an alternative.",
        "Necesitamos la categoría del producto para decir qué buscar en una alternativa.",
    ),
    "none": Says(
        "We do not recommend specific products; choose one with no recall on record.",
        "No recomendamos productos concretos; elija uno sin retiradas registradas.",
    ),
    "recalled_nearby_one": Says(
        "A recalled product in this category to avoid: {items}.",
        "Un producto retirado en esta categoría que conviene evitar: {items}.",
    ),
    "recalled_nearby": Says(
        "{count} recalled products in this category to avoid, including: {items}.",
        "{count} productos retirados en esta categoría que conviene evitar, entre ellos: {items}.",
    ),
}

INGREDIENT_ITEM = Says("{ingredient}: {text}", "{ingredient}: {text}")
