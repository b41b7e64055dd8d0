"""Spanish words for kinds of baby products, in the English the recall data and the rules use.

The recall data is in English, and so are the safe-sleep and age rules
("car seat", "play yard", "walker"). A Spanish question names the same kinds
in its own words, and in its own order: the noun comes first ("el corralito
4moms breeze" is the 4moms Breeze play yard, "la silla de auto graco" a
Graco car seat). `english_kinds` turns those words into the English ones, in
place, for the rules that only look for a kind in a text; `translate_tokens`
does the same on a question's tokens and says where each translated kind
sits, so that the product phrase can put the noun last, as English names do
and the search expects (`recalls.search`: the last word is the noun).

Only words that name a kind of product are here, never brands or product
names, nor words that are also everyday adjectives or objects ("cómoda" is
"comfortable" as often as "dresser", "cargador" a phone charger as often as a
baby carrier, "tina" a name); regional variants (Mexico, Spain, the rest of Latin America) are
listed side by side. Matching is on folded text (no accents, lower case).
"""

from __future__ import annotations

import re

#: Spanish kind (folded, singular and plural forms where they differ) -> the English kind.
KINDS: dict[str, str] = {
    # sleep
    "corralito": "play yard", "corralitos": "play yard", "corral": "play yard", "corrales": "play yard",
    "cuna corral": "play yard", "cunas corral": "play yard",
    "cuna de lado abatible": "drop side crib", "cunas de lado abatible": "drop side crib",
    "cuna": "crib", "cunas": "crib", "moises": "bassinet", "cuna colecho": "bedside sleeper",
    "colecho": "co-sleeper", "colchon": "mattress", "colchones": "mattress",
    "protector de cuna": "crib bumper", "protectores de cuna": "crib bumper", "chichonera": "crib bumper",
    "chichoneras": "crib bumper",
    "posicionador para dormir": "sleep positioner", "posicionador": "sleep positioner",
    "posicionadores": "sleep positioner", "cuna inclinada": "inclined sleeper",
    "dormidor inclinado": "inclined sleeper",
    "nido para bebe": "baby nest", "nido de bebe": "baby nest", "nido": "baby nest", "nidos": "baby nest",
    "tumbona": "lounger", "tumbonas": "lounger", "gandulita": "lounger",
    "cojin de lactancia": "nursing pillow", "almohada de lactancia": "nursing pillow",
    "almohada para bebe": "baby pillow", "almohada de bebe": "baby pillow",
    "saco de dormir": "sleep sack", "sacos de dormir": "sleep sack",
    "saco de dormir con peso": "weighted sleep sack", "saco con peso": "weighted sleep sack",
    "manta con peso": "weighted blanket", "manta pesada": "weighted blanket", "cobija con peso": "weighted blanket",
    # sitting and moving
    "silla de auto": "car seat", "sillas de auto": "car seat", "silla para auto": "car seat",
    "silla de coche": "car seat", "silla para coche": "car seat", "asiento de auto": "car seat",
    "asiento para auto": "car seat", "autoasiento": "car seat", "silla de carro": "car seat",
    "cochecito": "stroller", "cochecitos": "stroller", "carriola": "stroller", "carriolas": "stroller",
    "carreola": "stroller", "carreolas": "stroller", "carrito de bebe": "stroller", "coche de bebe": "stroller",
    "andadera": "walker", "andaderas": "walker", "andador": "walker", "andadores": "walker",
    "columpio": "swing", "columpios": "swing", "hamaca": "bouncer", "hamacas": "bouncer",
    "mecedora": "rocker", "mecedoras": "rocker", "saltarin": "jumper", "brincolin": "jumper",
    "silla alta": "high chair", "sillas altas": "high chair", "sillita alta": "high chair",
    "silla de comer": "high chair", "trona": "high chair", "tronas": "high chair", "periquera": "high chair",
    "portabebes": "carrier", "porta bebe": "carrier",
    "mochila portabebe": "carrier", "canguro": "carrier", "fular": "wrap", "rebozo": "sling",
    "asiento de bano": "bath seat", "asiento para bano": "bath seat", "banera": "bath tub",
    # feeding and soothing
    "chupete": "pacifier", "chupetes": "pacifier", "chupon": "pacifier", "chupones": "pacifier",
    "chupo": "pacifier", "biberon": "bottle", "biberones": "bottle", "mamila": "bottle", "mamilas": "bottle",
    "mamadera": "bottle", "tetero": "bottle", "mordedor": "teether", "mordedores": "teether",
    "mordedera": "teether", "vaso entrenador": "sippy cup", "formula infantil": "infant formula",
    "leche de formula": "infant formula", "papilla": "baby food", "papillas": "baby food",
    # toys, clothes, home
    "juguete": "toy", "juguetes": "toy", "sonaja": "rattle", "sonajero": "rattle", "peluche": "plush toy",
    "pijama": "pajamas", "pijamas": "pajamas", "mameluco": "pajamas", "ropa de dormir": "sleepwear",
    "triciclo": "tricycle", "bicicleta": "bicycle", "casco": "helmet", "puerta de seguridad": "safety gate",
    "reja de seguridad": "safety gate", "cajonera": "dresser", "cambiador": "changing table",
    "mesa cambiadora": "changing table", "bolitas de gel": "water beads", "imanes": "magnets",
}

# Longest first, so that "cuna de lado abatible" wins over "cuna".
_PATTERN = re.compile(r"\b(?:" + "|".join(re.escape(k) for k in sorted(KINDS, key=len, reverse=True)) + r")\b")
# "el cochecito de graco", "la cuna marca stork craft": the brand follows the kind after these words.
_LINK = re.compile(r"\s+(?:de|marca)(?=\s)")


def english_kinds(folded: str) -> str:
    """`folded` with every Spanish kind word replaced by the English one ("la silla de auto" -> "la car seat")."""
    return _PATTERN.sub(lambda m: KINDS[m.group(0)], folded)


def translate_tokens(tokens: list[str]) -> tuple[list[str], dict[int, int]]:
    """The tokens with Spanish kinds in English, and {start: length} of each translated kind.

    A "de" or "marca" right after a kind is dropped ("cochecito de graco" ->
    "stroller graco"), so that the kind and the brand stay one phrase.
    """
    text = " ".join(tokens)
    out: list[str] = []
    kinds: dict[int, int] = {}
    position = 0
    for match in _PATTERN.finditer(text):
        out += text[position:match.start()].split()
        english = KINDS[match.group(0)].split()
        kinds[len(out)] = len(english)
        out += english
        link = _LINK.match(text, match.end())
        position = link.end() if link else match.end()
    out += text[position:].split()
    return out, kinds
