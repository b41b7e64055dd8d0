"""Text folding shared by the chat's rule-based matchers and the recall search.

Parents type on phones: capitals, curly apostrophes, missing accents
("se esta ahogando" for "se está ahogando"). Every rule set (emergency
phrases, intents, ingredient glossaries) matches against `fold(text)`, so a
rule is written once, in lower case without accents, and still matches every
spelling a parent may type. The recall search folds recall texts and
questions with it too (`recalls.normalise`), so it imports nothing and sits in
the lowest layer beside `chat.model`.
"""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-"})
_WHITESPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case `text`, strip accents, straighten apostrophes and dashes, squeeze spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    # "ñ" folds to "n" like every other accented letter; no rule needs the
    # difference and typed Spanish often lacks it anyway.
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    bare = bare.translate(_APOSTROPHES).translate(_DASHES).casefold()
    return _WHITESPACE.sub(" ", bare).strip()
