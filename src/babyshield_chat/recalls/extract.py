"""Brands, model numbers and the recall page slug, read out of a record's free text.

Some sources have no brand or model field: the compact CPSC index rows carry
only a product name, a hazard and the recall page path. CPSC writes that path
from the press release title, which names the firm in a few fixed ways:

- "<Firm>-Recalls-<product>-Due-to-..." (also Reannounces, Expands, Warns,
  Urges, Issues, Offers, Announce, "CPSC-<Firm>-Announce-Recall-of-...",
  "CPSC-and-<Firm>-Announce-...");
- "<product>-Recalled-by-<Firm>-Due-to-...", "...-Made-by-<Firm>",
  "...-Imported-by-<Firm>", "...-Sold-on-Amazon-by-<Firm>", any "-by-<Firm>";
- "...-Prompts-<Firm>-to-Recall-...".

Names print model numbers inline ("Speed Cubes, model YJ MGC 5×5", "model
numbers 153-210, 206-110, and 506-110C").

These are heuristics over published text. A firm that a title does not name
this way is simply not extracted: the record then has no brand, and a
record without a brand is never excluded by a brand (see `recalls.search`).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from babyshield_chat.recalls.normalise import MIN_BRAND_KEY_CHARS, brand_key, unique

# Where CPSC recall pages live: ".../Recalls/<year>/<slug>" (also the older
# ".../en/Recalls/..." and ".../Newsroom/News-Releases/<year>/<slug>").
_RECALL_PATH = re.compile(r"(?:^|/)(?:Recalls|News-Releases)/(\d{4})/([^/?#]+)/?$", re.IGNORECASE)
_BARE_PATH = re.compile(r"^(\d{4})/([^/?#]+)/?$")

_FIRM_VERBS = (
    r"Recalls|Re-?[Aa]nnounces?|Announced?|Announces|Expands|Warns|Urges?|Issues|Offers|Repairs|Agrees?|Stops"
)
_FIRM_FIRST = re.compile(rf"^(?:CPSC-(?:and-)?)?(?P<firm>.+?)-(?:{_FIRM_VERBS})-", re.IGNORECASE)
# "...-Recalled-by-<Firm>-Due-to-...", "...-Made-By-<Firm>", "...-Cribs-By-<Firm>-Spring-Peg-...",
# "...-Sold-on-Amazon-by-<Firm>": the firm ends where the headline goes on.
_FIRM_AFTER_BY = re.compile(
    r"-by-(?P<firm>.+?)(?:-(?:Due|Because|For|Following|After|Pose|Poses|Sold|Can|Could|Violate|Violates|"
    r"Crib|Cribs|Charms|Recalled|Recall|Spring|Missing)(?:-|$)|-?\d*$)",
    re.IGNORECASE,
)
_FIRM_PROMPTED = re.compile(r"-Prompts?-(?P<firm>.+?)-to-Recall-", re.IGNORECASE)
# A "firm" that opens with one of these words, or holds one of the second
# set anywhere, is a headline ("Infant-Death-Prompts-...",
# "Four-Retailers-Agree-...", "Childrens-Robes-Recall-Expansion-Announced").
_NOT_FIRM_FIRST = frozenset(
    """infant infants child children childrens toddler second third new urgent warning consumers parents four five
    six three two several various federal cpsc nhtsa fda additional following after""".split()
)
_NOT_FIRM_ANYWHERE = frozenset(
    "death deaths strangulation suffocation fire recall recalled recalls expansion retailers firms importers".split()
)
#: A firm longer than this many slug words is a misparse, not a name.
MAX_FIRM_WORDS = 6
# "SafetyCraft Brand Drop Side Cribs", "Graco®-branded ...".
_BRAND_WORD = re.compile(r"([A-Z][\w'&.-]*(?:\s+[A-Z][\w'&.-]*){0,2}?)\W{0,2}[- ](?i:brand(?:ed)?)\b")

# "model YJ MGC 5×5", "Model Number 914", "model numbers: BJ90121", "model #30025".
_MODEL_LABEL = re.compile(r"\bmodels?(?:\s+(?:no\.?|nos\.?|numbers?|#))?\s*[:#]?\s*", re.IGNORECASE)
# One printed code: letters, digits, and inner hyphens, dots, slashes or ×.
_CODE_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-./\u00d7]*")
_LIST_GLUE = re.compile(r"^(?:,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+|\s*/\s*|\s+)")
#: Codes shorter than this ("8" in "Model 8 Roadster") are names, not model numbers.
MIN_MODEL_CHARS = 3


def recall_slug(url: str | None) -> tuple[str, str] | None:
    """(year, slug) of a CPSC recall page URL or bare index path, or None for any other URL."""
    if not url:
        return None
    path = unquote(url.split("?", 1)[0]).strip()
    match = _RECALL_PATH.search(path) or _BARE_PATH.match(path)
    if not match:
        return None
    return match.group(1), match.group(2).replace(" ", "-")


def _firm_words(raw: str) -> str | None:
    words = [w for w in raw.split("-") if w]
    if not words or len(words) > MAX_FIRM_WORDS or words[0].lower() in _NOT_FIRM_FIRST:
        return None
    if any(w.lower() in _NOT_FIRM_ANYWHERE for w in words):
        return None
    return " ".join(words)


def brands_from_slug(slug: str) -> list[str]:
    """The firms a recall page slug names, as written (hyphens as spaces)."""
    found: list[str] = []
    for pattern in (_FIRM_FIRST, _FIRM_AFTER_BY, _FIRM_PROMPTED):
        match = pattern.search(slug)
        if not match:
            continue
        # "CPSC-Creative-Consumer-Concepts-Inc-and-Whataburger-Inc-Announce": two firms.
        for part in re.split(r"-and-", match.group("firm"), flags=re.IGNORECASE):
            if firm := _firm_words(part):
                found.append(firm)
    return unique(found)


def brands_from_name(name: str) -> list[str]:
    """Brands a product name marks as such ("SafetyCraft Brand ...", "Graco®-branded ...")."""
    return unique(m.group(1).strip() for m in _BRAND_WORD.finditer(name))


def _is_code(token: str) -> bool:
    # A model number has a digit, or is a short run of capitals ("YJ MGC").
    return any(c.isdigit() for c in token) or (token.isupper() and len(token) <= 5)


def models_from_name(name: str) -> list[str]:
    """Model numbers printed after "model" in a product name, as printed."""
    found: list[str] = []
    for label in _MODEL_LABEL.finditer(name):
        rest = name[label.end() :]
        current: list[str] = []
        while True:
            token = _CODE_TOKEN.match(rest)
            if not token or not _is_code(token.group(0).rstrip(".")):
                break
            code = token.group(0).rstrip(".")
            rest = rest[token.end() :]
            glue = _LIST_GLUE.match(rest)
            joins_same_code = glue is not None and glue.group(0) == " "
            current.append(code)
            if not joins_same_code:
                found.append(" ".join(current))
                current = []
            if not glue:
                break
            rest = rest[glue.end() :]
        if current:
            found.append(" ".join(current))
    models = [m for m in found if sum(c.isalnum() for c in m) >= MIN_MODEL_CHARS and any(c.isdigit() for c in m)]
    return unique(models)


def brand_keys(brands: list[str]) -> list[str]:
    """`normalise.brand_key` of each brand, without repeats or keys too short to mean anything."""
    return unique(k for k in (brand_key(b) for b in brands) if len(k) >= MIN_BRAND_KEY_CHARS)
