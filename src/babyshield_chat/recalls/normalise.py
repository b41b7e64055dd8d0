"""One spelling for product names, brands and model numbers, at import and at query time.

Recall records and parents spell the same product many ways: "Rock 'n Play",
"Rock n Play" and "Rock and Play"; "Fisher-Price", "Fisher Price" and
"fisherprice"; "Sleepers" and "sleeper"; "Nap Nanny®". Search only works if
the record and the question go through the same function, so every text the
search compares passes through `words` (the indexed and queried tokens),
`brand_key` (brands compared as one run of letters and digits) or `model_key`
(model numbers without separators).

What `words` does, in order:

- folds case and accents, straightens apostrophes and dashes (`chat.text.fold`);
- drops ™ ® © and their "(tm)" / "(r)" spellings;
- drops the connectors "'n'", "'n", "n'", "n", "and", "&", "+": a product
  named "X 'n Y" is found as "x y" whatever the parent typed;
- drops possessive "'s" ("children's" = "childrens" = "children");
- splits on every other punctuation mark, hyphens included ("drop-side" is
  "drop side"); `pair_joins` adds the joined spellings ("dropside",
  "fisherprice") so that one-word and two-word spellings meet;
- makes plurals singular with a few suffix rules (`singular`). The rules are
  crude ("glasses" -> "glass", "series" -> "sery") but they run on both sides,
  so a wrong stem on one side is the same wrong stem on the other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from babyshield_chat.chat.text import fold

# ™ ® © and the ASCII forms records use when the symbol was lost.
_MARKS = re.compile(r"[\u2122\u00ae\u00a9\u2120]|\((?:tm|r|c|sm)\)", re.IGNORECASE)
# Connectors between two words of one product name ("rock 'n play", "rock & play").
_CONNECTOR = re.compile(r"(?<![\w])(?:'n'|'n|n'|n|and|&|\+)(?![\w])")
_POSSESSIVE = re.compile(r"(?<=\w)'s\b")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_MULTIPLY = re.compile(r"(?<=\d)\s*[x\u00d7*]\s*(?=\d)")

#: Words ending in "s" that are not plurals (or whose singular reads worse).
_NOT_PLURAL: frozenset[str] = frozenset(
    {"glass", "class", "dress", "mattress", "chassis", "bus", "plus", "gas", "lens", "this", "yes", "his", "its",
     "always", "series", "species", "news", "kids", "boys", "girls", "toys", "pajamas", "pyjamas", "overalls",
     "tights", "jeans", "shorts", "pants", "trousers", "scissors", "clothes", "is", "was", "has", "does", "us"}
)
# Of the words above, the ones that still map to a singular: "toys" and
# "toy" must meet, while "glass" must not become "glas".
_IRREGULAR: dict[str, str] = {
    "kids": "kid", "boys": "boy", "girls": "girl", "toys": "toy", "children": "child", "childrens": "child",
    "babies": "baby", "onesies": "onesie", "pajamas": "pajama", "pyjamas": "pajama", "feet": "foot",
    "teeth": "tooth", "men": "man", "women": "woman", "mice": "mouse", "geese": "goose", "knives": "knife",
    "shelves": "shelf", "leaves": "leaf", "halves": "half", "calves": "calf", "wolves": "wolf",
    "shoes": "shoe", "toes": "toe", "tees": "tee", "trikes": "trike", "bikes": "bike", "series": "series",
}


def singular(word: str) -> str:
    """The singular of an English plural, by suffix rules; other words unchanged."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or word in _NOT_PLURAL or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zzes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "'s")):
        return word[:-1]
    return word


def clean(text: str) -> str:
    """Folded text with marks and connectors removed, punctuation turned to spaces."""
    # Marks go before folding too: NFKD spells "™" as "TM".
    folded = _MARKS.sub(" ", fold(_MARKS.sub(" ", text)))
    folded = _POSSESSIVE.sub("", folded)
    folded = _MULTIPLY.sub("x", folded)  # "5×5" and "5 x 5" are the model "5x5"
    folded = _CONNECTOR.sub(" ", folded)
    return _NON_WORD.sub(" ", folded.replace("'", "")).strip()


def words(text: str) -> list[str]:
    """The normalised, singular words of `text`, in order (repeats kept: positions matter)."""
    return [singular(w) for w in clean(text).split()]


def pair_joins(tokens: list[str]) -> list[tuple[int, str]]:
    """(position, "ab") for every adjacent pair a, b: the one-word spelling of a two-word name.

    The position is that of the second word, so "fisher price" joined sits
    where "price" does and phrase searches still see the words in order.
    """
    return [(i + 1, a + b) for i, (a, b) in enumerate(zip(tokens, tokens[1:], strict=False)) if a.isalpha() or b.isalpha()]


# Words that name a company's legal form or place, not its brand.
_COMPANY_WORDS = frozenset(
    {"inc", "incorporated", "llc", "ltd", "limited", "co", "corp", "corporation", "company", "companies", "the",
     "plc", "gmbh", "ag", "sa", "srl", "bv", "lp", "llp", "international", "intl", "usa", "us", "america",
     "north", "group", "industries", "industry", "enterprises", "manufacturing", "mfg", "products", "brands",
     "holdings", "trading", "ltda", "pty"}
)
# ", of Howell, MI" / " of China": where a maker's name ends in CPSC's lists.
_LOCATION = re.compile(r",\s*(?:of|from)\s+[a-z .]+(?:,\s*[a-z .]+)*$")
#: A brand key must be at least this long to be compared as a substring.
MIN_BRAND_KEY_CHARS = 3


def brand_key(name: str) -> str:
    """A brand as one run of letters and digits: "Fisher-Price, Inc." -> "fisherprice".

    Legal forms and trailing locations are dropped ("The Boppy Company" ->
    "boppy", "Peony Design Co., of Howell, MI" -> "peonydesign") unless
    nothing would be left.
    """
    parts = clean(_LOCATION.sub("", fold(_MARKS.sub(" ", name)))).split()
    kept = [p for p in parts if p not in _COMPANY_WORDS] or parts
    return "".join(kept)


def compact(text: str) -> str:
    """`text` as one run of letters and digits, after `clean` (for substring brand checks)."""
    return clean(text).replace(" ", "")


def model_key(model: str) -> str:
    """A model number without case or separators: "YJ MGC 5×5" -> "YJMGC5X5", "xw-a19" -> "XWA19"."""
    text = _MULTIPLY.sub("x", fold(model))
    return _NON_WORD.sub("", text).upper()


def unique(items: Iterable[str]) -> list[str]:
    """`items` without empty strings or repeats, first occurrence first."""
    return list(dict.fromkeys(i for i in items if i))
