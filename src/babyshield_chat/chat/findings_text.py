"""The findings' phrasebook, in English and Spanish: how each kind of finding is said.

`chat.findings` decides which finding leads and how it answers ("no",
"yes", ...); this module only says it. Kept apart so the wording can be
reviewed and translated in one place. Rules every sentence here keeps
(spec 4b.7, 4b.10): "No" and "Stop using it" are said plainly; no sentence
calls a product safe or says "It can be used"; a recall is named with its
title and date; Spanish is Spanish throughout (titles from the data are
quoted as published).
"""

from __future__ import annotations

from babyshield_chat.chat.tools.common import Says

# --- how a lead opens, per answer ---

#: "No" to a use question; the check's own sentence follows.
NO = Says("No:", "No:")
#: Take care: a warning about the use asked about, never "it can be used".
CAUTION = Says("Be careful:", "Tenga cuidado:")
#: Something could not be checked.
UNCHECKED = Says("We could not check everything:", "No pudimos comprobarlo todo:")
#: Every check passed: what they found, never "safe".
NOTHING_AGAINST = Says(
    "Nothing in the checks we ran speaks against it:", "Nada de lo que comprobamos lo desaconseja:"
)
#: An asked-about allergen is in it ("does it have soy?"): "Yes, it contains soy: ...".
YES = Says("Yes, it", "Sí,")

# Sentences that already open as a warning are not prefixed again.
CAUTION_OPENINGS = ("use with care", "stop using", "usar con precaucion", "deje de usar", "use it only")

# --- recalls: {harm} is `harm(...)`; {title} and {date} come from the recall ---

RECALL_LEADS: dict[str, Says] = {
    # A recall with deaths or serious injuries, matched by barcode or model number.
    "serious_exact_recall": Says(
        "Yes, it was recalled after {harm}, so stop using it: {title} ({date}).",
        "Sí, lo retiraron del mercado tras {harm}, así que deje de usarlo: {title} ({date}).",
    ),
    "serious_exact_use": Says(
        "No, stop using it: it was recalled after {harm} ({title}, {date}).",
        "No, deje de usarlo: lo retiraron del mercado tras {harm} ({title}, {date}).",
    ),
    "serious_exact_explain": Says(
        "Stop using it: it was recalled after {harm} ({title}, {date}).",
        "Deje de usarlo: lo retiraron del mercado tras {harm} ({title}, {date}).",
    ),
    "serious_exact_statement": Says(
        "It was recalled after {harm}: {title} ({date}).",
        "Lo retiraron del mercado tras {harm}: {title} ({date}).",
    ),
    # The same, matched by name: the recall names this product.
    "serious_name_recall": Says(
        "Yes, there is a recall after {harm}: {title} ({date}); stop using it if yours is one of them.",
        "Sí, hay una retirada tras {harm}: {title} ({date}); deje de usarlo si el suyo es uno de ellos.",
    ),
    "serious_name_use": Says(
        "No, stop using it: there is a recall after {harm} ({title}, {date}).",
        "No, deje de usarlo: hay una retirada tras {harm} ({title}, {date}).",
    ),
    "serious_name_explain": Says(
        "Stop using it: there is a recall after {harm} ({title}, {date}).",
        "Deje de usarlo: hay una retirada tras {harm} ({title}, {date}).",
    ),
    "serious_name_statement": Says(
        "There is a recall after {harm}: {title} ({date}).",
        "Hay una retirada tras {harm}: {title} ({date}).",
    ),
    # Matched by barcode or model number, no deaths or serious injuries reported.
    "exact_recall": Says("Yes, it was recalled: {title} ({date}).", "Sí, lo retiraron del mercado: {title} ({date})."),
    "exact_use": Says(
        "No, stop using it: it was recalled ({title}, {date}).",
        "No, deje de usarlo: lo retiraron del mercado ({title}, {date}).",
    ),
    "exact_explain": Says(
        "Stop using it: it was recalled ({title}, {date}).",
        "Deje de usarlo: lo retiraron del mercado ({title}, {date}).",
    ),
    "exact_statement": Says("It was recalled: {title} ({date}).", "Lo retiraron del mercado: {title} ({date})."),
    # Matched by name only: a lead to check against the notice.
    "name_recall": Says(
        "There is a recall of {title} ({date}); compare the model and lot numbers on yours with the recall notice.",
        "Hay una retirada de {title} ({date}); revise si el modelo y el lote del suyo coinciden con el aviso.",
    ),
    "name_use": Says(
        "Check this first: there is a recall of {title} ({date}); compare the model and lot numbers on yours with "
        "the recall notice.",
        "Revise esto primero: hay una retirada de {title} ({date}); vea si el modelo y el lote del suyo coinciden "
        "con el aviso.",
    ),
    "name_statement": Says(
        "There is a recall of {title} ({date}); compare the model and lot numbers on yours with the recall notice.",
        "Hay una retirada de {title} ({date}); revise si el modelo y el lote del suyo coinciden con el aviso.",
    ),
}
RECALL_LEADS["name_explain"] = RECALL_LEADS["name_use"]
NO_DATE = Says("date not given", "sin fecha")

HARM: dict[str, Says] = {
    "deaths": Says("{n} reported deaths", "{n} muertes notificadas"),
    "death": Says("a reported death", "una muerte notificada"),
    "injuries": Says("{n} reported serious injuries", "{n} lesiones graves notificadas"),
    "injury": Says("a reported serious injury", "una lesión grave notificada"),
}

# A bare maker's name ("is graco recalled?"): its recalls are of many products; the most serious is named.
MAKER_ONLY = Says(
    "There are several recalls of “{name}” products in our data, {which}{title} ({date}); which product do you "
    "have? Scan its barcode or tell us its name and model, and we will check it.",
    "Hay varias retiradas de productos “{name}” en nuestros datos, {which}{title} ({date}); ¿qué producto tiene? "
    "Escanee su código de barras o díganos su nombre y modelo, y lo comprobaremos.",
)
MAKER_WORST = Says("the most serious after {harm}: ", "la más grave tras {harm}: ")
MAKER_AMONG = Says("among them ", "entre ellas ")

# --- recalls that could not be checked, or were not found ---

KIND_ONLY = Says(
    "“{name}” names a kind of product, not one product: scan its barcode, or tell us its brand and model name, "
    "and we will look it up in our recall data.",
    "“{name}” nombra un tipo de producto, no un producto concreto: escanee su código de barras o díganos su marca "
    "y modelo, y lo buscaremos en nuestros datos de retiradas.",
)
WHICH_PRODUCT = Says(
    "Which product do you mean? Scan its barcode, or tell us its brand and model name, and we will look it up in "
    "our recall data.",
    "¿Qué producto quiere decir? Escanee su código de barras o díganos su marca y modelo, y lo buscaremos en "
    "nuestros datos de retiradas.",
)
NAME_NOT_FOUND = Says(
    "We cannot tell from the name alone: none of the {count} recalls in our data names {what}, but recalls name "
    "products their own way, so scan its barcode or check its model number to rule one out.",
    "No podemos saberlo solo por el nombre: ninguna de las {count} retiradas de nuestros datos nombra {what}, pero "
    "las retiradas nombran los productos a su manera; escanee su código de barras o revise su número de modelo para "
    "descartarla.",
)
NO_RECALL_MATCHES = Says(
    "No recall in our data matches {what} (recall data checked {as_of}; newest recall {newest}).",
    "Ninguna retirada de nuestros datos coincide con {what} (datos de retiradas comprobados el {as_of}; retirada más "
    "reciente: {newest}).",
)
NO_RECALL_MATCHES_SHORT = Says("no recall in our data matches {what}", "ninguna retirada de nuestros datos coincide "
                                                                      "con {what}")

# --- freshness (spec 4b.10): both the last import and the newest recall ---

FRESHNESS = Says(
    "Recall data checked {as_of}; newest recall {newest}.",
    "Datos de retiradas comprobados el {as_of}; retirada más reciente: {newest}.",
)
NEWEST_UNKNOWN = Says("not known", "desconocida")

# --- allergens: who said the child has the allergy (spec 4b.6) ---

ALLERGEN_FAIL = Says("No: it contains {allergen} ({found}), and {source}.", "No: contiene {allergen} ({found}), y {source}.")
ALLERGEN_FAIL_STATEMENT = Says("It contains {allergen} ({found}), and {source}.",
                               "Contiene {allergen} ({found}), y {source}.")
ALLERGY_FROM_MESSAGE = Says("you said your child is allergic to {allergy}", "nos dijo que su hijo es alérgico a: {allergy}")
ALLERGY_FROM_PROFILE = Says("your child's profile lists an allergy to {allergy}",
                            "el perfil de su hijo indica alergia a: {allergy}")
