"""The product a question names, when the request carries no product name.

"we got a stork craft drop side crib from my cousin, is it recalled" names
"stork craft drop side crib"; "is the fisher price rock n play recalled??"
names "fisher price rock n play"; "whats the weather tomorrow", "hi" and
"thanks" name nothing, and then no recall search runs at all (spec 4b.1, 4b.8).

How: the question is cut into runs of words that could belong to a product
name. A word cannot when it is filler (`FILLER`: pronouns, verbs such as
"got" or "bought", question words, recall and safety words, people such as
"my cousin", times such as "tomorrow", and their Spanish counterparts).
"'n", "n", "and" and "&" stay inside a run between two product words ("rock
'n play"). A run is a product phrase when

- it holds a product word (`PRODUCT_NOUNS`: crib, stroller, sleeper,
  formula, ...; "baby", "infant" and such alone do not count), or
- the question asks about recalls or safety and the run follows "the",
  "this", "my", "on", ... ("is the boppy recalled?"), or opens the question
  right before the word that asks ("similac alimentum recall"): a brand on
  its own.

Of several, the longest with a product word wins, then the first. What is
returned is the run as typed (folded), never the question minus stop words.
`is_category` tells a one-word phrase that only names a kind of product
("crib"), which matches too many recalls to be a search.
"""

from __future__ import annotations

import re

from babyshield_chat.chat.text import fold

from babyshield_chat.recalls.normalise import singular

#: Words that never belong to a product name in a question.
FILLER: frozenset[str] = frozenset(
    """
    a an the this that these those it its it's this's there here my our your his her their me we us you i he she
    they them mine ours yours theirs is are was were be been being am isnt arent wasnt werent do does did dont
    doesnt didnt have has had having got get gets getting bought buy buying borrowed inherited received gifted
    given gave passed handed found picked use used using uses can could should would will shall may might must
    cant couldnt shouldnt wouldnt wont ok okay fine safe unsafe safety dangerous danger risky risk problem
    problems issue issues hazard hazards recall recalls recalled recalling still ever already yet also too
    just really actually maybe please thanks thank hi hello hey yes no not any anything something what whats
    which who whom whose when where why how hows whats wheres is there know tell check checked checking
    wondering wonder want wanted need needed think thought heard hear read saw see seen say said about
    sleep sleeps sleeping slept napping eat eating drink drinking sit sitting wear wearing bathe
    swim ride riding feed feeding put stay lay lie lying go going take hold safely
    from for to of in on at by with without into onto over under after before during than then so but or if
    because while since until okay alright sure lol pls plz cousin cousins sister brother friend friends mom
    mum mother dad father parents grandma grandmother grandpa grandfather aunt uncle neighbor neighbour
    husband wife partner sil mil daycare nanny's son daughter twins today tomorrow yesterday tonight now
    week weekend morning evening night month year old new ago last next time day days weeks months years
    second-hand secondhand used hand-me-down thrift garage sale online amazon walmart target store
    es esta este estos estas el la los las un una unos unas de del que mi mis tu su nuestro nuestra para
    por con sin en al lo le les se ya aun todavia fue son estan tengo tenemos tiene compre compramos
    regalaron retirado retirada retirados retiradas retiro seguro segura seguros peligroso peligrosa
    problema hola gracias si no puedo puede usar usarlo usarla bebe hijo hija
    """.split()
)

#: Words that make a run a product phrase (singular, folded).
PRODUCT_NOUNS: frozenset[str] = frozenset(
    """
    crib bassinet cradle sleeper bed mattress bumper stroller pram buggy jogger carriage seat booster carrier
    sling wrap swing bouncer rocker glider jumper walker gym playard playyard playpen yard gate monitor toy
    rattle teether pacifier soother bottle nipple cup bib spoon bowl formula food puree pouch snack cereal
    juice lounger pillow nest pod hammock recliner chair highchair table dresser chest drawer bookcase shelf
    stool tower tub bath bather potty diaper wipe blanket sleepsack sack swaddle onesie bodysuit pajama
    sleepwear gown nightgown robe hoodie sweatshirt jacket shoe sock hat outfit shirt doll plush bear block
    puzzle book ball magnet bead kit set game bike bicycle tricycle trike scooter helmet wagon truck train
    kitchen playhouse tent slide trampoline atv vehicle lamp light nightlight heater humidifier thermometer
    cabinet lock latch blind shade cord bag backpack straw necklace bracelet jewelry pendant charm crayon
    costume mobile entertainer exersaucer playmat mat cot harness clip mirror headband cover gear tumbler
    sippy stander saucer soothe play
    cuna cochecito silla asiento juguete chupete biberon portabebes andadera columpio moises colchon
    """.split()
)

#: Words that sit in product names but never make one on their own.
SOFT_WORDS: frozenset[str] = frozenset(
    "baby babies infant infants newborn newborns toddler toddlers kid kids child children childrens".split()
)

# Words after which a bare brand may follow ("is the boppy recalled", "any recall on similac").
_POINTERS = frozenset("the this that my our a an his her their on for about el la este esta mi sobre".split())
# Words that say the question is about recalls or safety.
_ASKS_ABOUT_RECALLS = re.compile(
    r"\b(?:recall\w*|safe\w*|unsafe|danger\w*|hazard\w*|problem\w*|issue\w*|defect\w*|ok|okay|"
    r"retirad\w*|segur\w*|peligr\w*)\b"
)
_CONNECTORS = frozenset({"'n", "'n'", "n'", "n", "and", "&", "+", "y"})
_TOKEN = re.compile(r"'n'?|n'|&|\+|[a-z0-9]+(?:'[a-z]+)?(?:[-\u00d7][a-z0-9]+)*")


def _is_filler(token: str) -> bool:
    return token.replace("'", "") in FILLER or token in FILLER


def _is_product_word(token: str) -> bool:
    return any(singular(part) in PRODUCT_NOUNS for part in token.replace("'", "").split("-"))


def _runs(tokens: list[str]) -> list[tuple[int, int]]:
    """(start, end) of each maximal run of non-filler words, connectors kept between two of them."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for index, token in enumerate(tokens):
        inside = not _is_filler(token) and token not in _CONNECTORS
        bridge = (
            token in _CONNECTORS and start is not None and index + 1 < len(tokens)
            and not _is_filler(tokens[index + 1]) and tokens[index + 1] not in _CONNECTORS
        )
        if inside or bridge:
            if start is None:
                start = index
            continue
        if start is not None:
            runs.append((start, index))
            start = None
    if start is not None:
        runs.append((start, len(tokens)))
    return runs


def product_phrase(question: str) -> str | None:
    """The product the question names, as typed (folded), or None when it names none."""
    tokens = _TOKEN.findall(fold(question))
    asks = bool(_ASKS_ABOUT_RECALLS.search(fold(question)))
    best: tuple[int, int, int] | None = None  # (score, -start, end) of the chosen run
    for start, end in _runs(tokens):
        run = tokens[start:end]
        # "2" in "my 2 month old" is no product; "5x5" beside a name is part of one.
        substantive = [t for t in run if t not in _CONNECTORS and t not in SOFT_WORDS and any(c.isalpha() for c in t)]
        if not substantive:
            continue
        if any(_is_product_word(t) for t in run):
            score = 2 * len(run)
        elif asks and ((start > 0 and tokens[start - 1] in _POINTERS)
                       or (start == 0 and end < len(tokens) and _ASKS_ABOUT_RECALLS.fullmatch(tokens[end]))):
            score = len(run)
        else:
            continue
        if best is None or (score, -start) > best[:2]:
            best = (score, -start, end)
    if best is None:
        return None
    start = -best[1]
    return " ".join(tokens[start : best[2]])


def is_category(phrase: str) -> bool:
    """A phrase of one product word ("crib", "strollers"): a kind of product, not a product."""
    words = [w for w in _TOKEN.findall(fold(phrase)) if w not in SOFT_WORDS]
    return len(words) == 1 and _is_product_word(words[0])
