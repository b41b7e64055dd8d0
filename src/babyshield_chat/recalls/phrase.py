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
  "this", "my", "on", ... ("is the boppy recalled?"), or comes right before
  the word that asks ("similac alimentum recall", "is similac alimentum
  recalled?", "was bumbo ever recalled"): a brand on its own.

Of several, the longest with a product word wins, then the first; a run
that only names a kind ("bed sleeper") counts no more than a bare brand
("swaddleme by your bed sleeper": "swaddleme" is what is asked about). What is
returned is the run as typed (folded), never the question minus stop words.
`is_category` tells a phrase that only names a kind of product ("crib",
"infant car seat"), which matches too many recalls to be a search.
"""

from __future__ import annotations

import re

from babyshield_chat.chat.text import fold

from babyshield_chat.recalls.normalise import singular
from babyshield_chat.recalls.spanish_kinds import translate_tokens

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
    best good better top recommend recommended recommendation recommendations favorite favourite cheap cheapest
    popular nice great worth buy
    es esta este estos estas el la los las un una unos unas de del que mi mis tu su nuestro nuestra para
    por con sin en al lo le les se ya aun todavia fue son estan tengo tenemos tiene compre compramos
    regalaron retirado retirada retirados retiradas retiro seguro segura seguros peligroso peligrosa
    problema hola gracias si no puedo puede usar usarlo usarla bebe hijo hija mejor mejores cual cuales
    recomienda recomiendan recomiendas recomendar bueno buena buenos buenas barato barata recien nacido nacida
    meses mes semanas semana anos ano noche toda todo
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
    sippy stander saucer soothe play positioner wedge cosleeper
    cuna cochecito silla asiento juguete chupete biberon portabebes andadera columpio moises colchon
    """.split()
)

#: Words that sit in product names but never make one on their own.
SOFT_WORDS: frozenset[str] = frozenset(
    "baby babies infant infants newborn newborns toddler toddlers kid kids child children childrens".split()
)

#: Words that only say what kind of product it is, how it is made or what it does ("infant car seat",
#: "wooden puzzle", "padded crib bumper"): with product words alone they name a kind, not a product.
KIND_WORDS: frozenset[str] = frozenset(
    """
    car high activity doorway door plush wooden wood silicone rubber plastic metal cotton organic fabric foam soft
    nursing stacking ride-on ride musical light-up lightup magnetic building portable battery-powered battery
    powered electric electronic digital ear forehead ring padded inclined weighted folding foldable convertible
    travel mini large small classic deluxe premium basic teething sensory interactive learning training feeding
    sleeping sleep bath reusable disposable
    """.split()
)

# Words after which a bare brand may follow ("is the boppy recalled", "any recall on similac").
_POINTERS = frozenset("the this that my our a an his her their on for about el la este esta mi sobre".split())
# Words that say the question is about recalls or safety.
_ASKS_ABOUT_RECALLS = re.compile(
    r"\b(?:rec+al+\w*|safe\w*|unsafe|danger\w*|hazard\w*|problem\w*|issue\w*|defect\w*|ok|okay|"
    r"retirad\w*|segur\w*|peligr\w*)\b"
)
# Words that ask about sleep, which name no product ("can my baby nap on ...").
_ASKS_ABOUT_SLEEP = re.compile(r"\b(?:sleep\w*|slept|nap|naps|napping|dormir|duerm\w*|siesta)\b")
_CONNECTORS = frozenset({"'n", "'n'", "n'", "n", "and", "&", "+", "y"})
#: Pronouns that brand names hold ("Snuggle Me", "Hold Me Close"): one of them right after a name word stays in
#: the name when a name word follows ("is the snuggle me organic safe?"), or the word that asks does and the
#: name follows "the", "my", ... ("is the snuggle me recalled?"); else the name is cut to a word other makers'
#: products share ("snuggle" pajamas). "the crib my sister lent me" keeps its "me" out.
_NAME_PRONOUNS = frozenset({"me"})
_TOKEN = re.compile(r"'n'?|n'|&|\+|[a-z0-9]+(?:'[a-z]+)?(?:[-\u00d7][a-z0-9]+)*")


# "recal", "recaled", "recalld", "reccalled": the recall words as typed in a hurry are filler too.
_RECALL_WORD = re.compile(r"rec+al+(?:s|e?d|ing)?")


def _is_filler(token: str) -> bool:
    return token.replace("'", "") in FILLER or token in FILLER or _RECALL_WORD.fullmatch(token) is not None


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
        named = (
            token in _NAME_PRONOUNS and start is not None and index + 1 < len(tokens)
            and (not (_is_filler(tokens[index + 1]) or tokens[index + 1] in _CONNECTORS)
                 or (_ASKS_ABOUT_RECALLS.fullmatch(tokens[index + 1]) is not None
                     and start > 0 and tokens[start - 1] in _POINTERS))
        )
        if inside or bridge or named:
            if start is None:
                start = index
            continue
        if start is not None:
            runs.append((start, index))
            start = None
    if start is not None:
        runs.append((start, len(tokens)))
    return runs


_SENTENCE = re.compile(r"[^.?!;\n]+[.?!;\n]*")


def product_phrase(question: str) -> str | None:
    """The product the question names, as typed (folded), or None when it names none.

    The sentence that asks about recalls or safety is read first: in "is the
    peloton tread+ recalled? my toddler plays near it" the product is in the
    question, not in what follows it.
    """
    folded = fold(question)
    asking = [s for s in _SENTENCE.findall(folded) if _ASKS_ABOUT_RECALLS.search(s)]
    if asking and len(asking[0]) < len(folded):
        found = _phrase_in(asking[0])
        if found is not None:
            return found
    return _phrase_in(folded)


# Words that may sit between a bare brand and the word that asks ("was bumbo ever recalled", "¿graco está
# retirado?").
_BETWEEN = frozenset("ever still already been being really actually also just now yet got get "
                     "esta estan fue fueron ha han sido".split())


def _asks_next(tokens: list[str], end: int) -> bool:
    """Whether the word that asks about recalls or safety follows position `end` (adverbs skipped)."""
    while end < len(tokens) and tokens[end] in _BETWEEN:
        end += 1
    return end < len(tokens) and _ASKS_ABOUT_RECALLS.fullmatch(tokens[end]) is not None


def _phrase_in(folded: str) -> str | None:
    # Spanish kinds in English ("corralito" -> "play yard"), noted so that the noun goes last below.
    tokens, spanish_kinds = translate_tokens(_TOKEN.findall(folded))
    asks = bool(_ASKS_ABOUT_RECALLS.search(folded))
    best: tuple[int, int, int] | None = None  # (score, -start, end) of the chosen run
    runs = _runs(tokens)
    for start, end in runs:
        run = tokens[start:end]
        # "2" in "my 2 month old" is no product; "5x5" beside a name is part of one.
        # Nor is "nap" in "can my baby nap on ...": a word that asks about sleep names nothing on its own.
        substantive = [t for t in run if t not in _CONNECTORS and t not in SOFT_WORDS and any(c.isalpha() for c in t)
                       and not _ASKS_ABOUT_SLEEP.fullmatch(t)]
        if not substantive:
            continue
        if any(_is_product_word(t) for t in run):
            # A run of kind words only ("bed sleeper") ranks with a bare brand, below a run that names a product.
            score = len(run) if is_category(" ".join(run)) else 2 * len(run)
        elif asks and ((start > 0 and tokens[start - 1] in _POINTERS)
                       or _asks_next(tokens, end)):
            score = len(run)
        else:
            continue
        if best is None or (score, -start) > best[:2]:
            best = (score, -start, end)
    if best is None:
        return None
    start, end = -best[1], best[2]
    if start not in spanish_kinds:
        return " ".join(tokens[start:end])
    kind_end = min(start + spanish_kinds[start], end)
    # "corralito 4moms breeze" names the 4moms breeze play yard: English names, and the search, end with the noun;
    # "la mecedora rock n play de fisher price" puts the maker after "de": it goes first, as in English.
    maker = next((tokens[s:e] for s, e in runs if s == end + 1 and tokens[end] == "de"
                  and not any(_is_product_word(t) for t in tokens[s:e])), [])
    return " ".join(maker + tokens[kind_end:end] + tokens[start:kind_end])


def names_product(phrase: str) -> bool:
    """Whether `phrase` holds a product word ("graco stroller"), not only a name ("graco", "fisher price")."""
    return any(_is_product_word(w) for w in _TOKEN.findall(fold(phrase)))


def is_category(phrase: str) -> bool:
    """A phrase that names a kind of product, not a product: "crib", "strollers", "infant car seat".

    Product words, with only soft words ("baby") and kind words ("wooden",
    "car", "padded") beside them: the recalls of every such product are not
    this one's, so it is no search (a brand or any other word makes it one).
    """
    words = [w for w in _TOKEN.findall(fold(phrase)) if w not in SOFT_WORDS and w not in _CONNECTORS]
    nouns = [w for w in words if _is_product_word(w)]
    return bool(nouns) and all(w in KIND_WORDS or _is_product_word(w) for w in words) and len(nouns) <= 2
