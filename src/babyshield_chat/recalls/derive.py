"""The search columns of one recall record, computed from what the record already holds.

`derive(record)` is the one place that turns a `RecallRecord` into what the
search reads: a weighted full-text document, brand keys, model keys, the
recall page slug, a compact text for brand checks, and the severity columns.
The importer calls it for every record it writes, and `recalls.reindex`
calls it again for stored rows written by an older `SEARCH_VERSION`, from
the stored columns alone, so an existing database gets the same values as a
fresh import without reading any file again.

The full-text document is built here, not by a PostgreSQL text search
configuration, because the normalisation (`recalls.normalise`) must be the
same Python code at import and at query time. Weights (PostgreSQL has four):

- A: product names (the title where a source has no names) and model numbers;
- B: brands, firms and manufacturers, given or extracted (`recalls.extract`);
- C: the recall page slug and a press title that is not just the names;
- D: the hazard text.

Each field starts a few positions after the previous one, so a phrase search
("rock <-> play") never matches across two fields. The joined spelling of two
adjacent words ("fisher price" -> "fisherprice") is indexed too, at
`JOIN_POSITION_BASE` plus the second word's position: found by a word search,
kept out of phrases and out of the spelling fixes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from babyshield_chat.recalls.extract import brand_keys, brands_from_name, brands_from_slug, models_from_name, recall_slug
from babyshield_chat.recalls.formats import RecallRecord
from babyshield_chat.recalls.normalise import clean, compact, model_key, pair_joins, unique, words
from babyshield_chat.recalls.severity import Severity, assess

#: Bump when `derive` changes: `recalls.reindex` re-derives every stored row
#: with an older version the next time `migrate` or an import runs.
SEARCH_VERSION = 1

#: Positions left empty between two fields of the document.
FIELD_GAP = 4
#: PostgreSQL keeps positions up to 16383; later words keep their lexeme only.
MAX_POSITION = 16383
#: Joined spellings ("fisherprice") sit this far after the words they join,
#: so the vocabulary can tell them from words people type (`recall_terms.single`).
JOIN_POSITION_BASE = 8192
#: Characters of the trigram text (`name_text`); names identify a product early.
NAME_TEXT_MAX_CHARS = 300


@dataclass(frozen=True)
class SearchFields:
    """The derived columns of one stored recall."""

    search_doc: str  # a tsvector literal
    name_text: str
    brand_keys: tuple[str, ...]
    model_keys: tuple[str, ...]
    compact_text: str
    slug: str | None  # "2019/fisher-price-recalls-rock-n-play-sleepers-due-to-reports-of-deaths"
    severity: Severity

    def columns(self) -> tuple[object, ...]:
        """The values of the search columns, in the order the importer and `recalls.reindex` write them:
        search_doc, name_text, brand_keys, model_keys, compact_text, slug, deaths, serious_injuries,
        incidents, units, reannounced, search_version."""
        s = self.severity
        return (
            self.search_doc, self.name_text, list(self.brand_keys), list(self.model_keys), self.compact_text,
            self.slug, s.deaths, s.serious_injuries, s.incidents, s.units, s.reannounced, SEARCH_VERSION,
        )


def _tsvector(fields: list[tuple[str, list[str]]]) -> str:
    """A tsvector literal of the given (weight, words) fields, with adjacent-pair joins."""
    positions: dict[str, list[str]] = {}
    position = 1
    for weight, tokens in fields:
        if not tokens:
            continue
        start = position
        for offset, token in enumerate(tokens):
            positions.setdefault(token, []).append(f"{min(start + offset, MAX_POSITION)}{weight}")
        for offset, joined in pair_joins(tokens):
            positions.setdefault(joined, []).append(f"{min(JOIN_POSITION_BASE + start + offset, MAX_POSITION)}{weight}")
        position = start + len(tokens) + FIELD_GAP
    # A lexeme keeps at most 256 positions; the first ones are the ones phrases need.
    return " ".join(f"'{token}':{','.join(unique(marks)[:256])}" for token, marks in positions.items())


def _raw_texts(raw: Mapping[str, Any], key: str, field: str) -> list[str]:
    value = raw.get(key)
    if not isinstance(value, list):
        return []
    return [str(item[field]) for item in value if isinstance(item, Mapping) and item.get(field)]


def derive(record: RecallRecord) -> SearchFields:
    """Every search column of `record` (pure: the same record always gives the same fields)."""
    names = unique([*record.product_names]) or [record.title]
    slug_parts = recall_slug(record.url) if record.agency == "CPSC" else None
    slug_text = slug_parts[1].replace("-", " ") if slug_parts else ""
    # A press title that says more than the product names (CPSC API titles)
    # is searchable like the slug; a title made from the names is not repeated.
    joined_names = " ".join(names)
    extra_title = record.title if record.title not in joined_names else ""

    brands = unique(
        [*record.brands, *(brands_from_slug(slug_parts[1]) if slug_parts else []),
         *(b for n in names for b in brands_from_name(n))]
    )
    models = unique([*record.model_numbers, *(m for n in names for m in models_from_name(n))])
    keys = unique(model_key(m) for m in models)

    raw = record.raw if isinstance(record.raw, Mapping) else {}
    injuries = _raw_texts(raw, "Injuries", "Name")
    units_text = next(iter(_raw_texts(raw, "Products", "NumberOfUnits")), None)
    severity = assess([record.title, *names, record.hazard or "", *injuries], number_of_units=units_text,
                      slug_words=slug_text)

    document = _tsvector(
        [
            ("A", [*words(joined_names), *(k.lower() for k in keys)]),
            ("B", words(" | ".join(brands))),
            ("C", words(f"{slug_text} {extra_title}")),
            ("D", words(record.hazard or "")),
        ]
    )
    return SearchFields(
        search_doc=document,
        name_text=clean(" ".join([*brands, joined_names]))[:NAME_TEXT_MAX_CHARS],
        brand_keys=tuple(brand_keys(brands)),
        model_keys=tuple(keys),
        compact_text=compact(" ".join([*brands, joined_names, slug_text])),
        slug=f"{slug_parts[0]}/{slug_parts[1].lower()}" if slug_parts else None,
        severity=severity,
    )


def record_from_row(row: Mapping[str, Any]) -> RecallRecord:
    """A `RecallRecord` rebuilt from a stored `recalls` row (for re-deriving its search columns)."""
    raw = row["raw"]
    if isinstance(raw, str):
        raw = json.loads(raw)
    return RecallRecord(
        source=row["source"], agency=row["agency"], recall_number=row["recall_number"],
        recall_date=row["recall_date"], title=row["title"], product_names=tuple(row["product_names"]),
        brands=tuple(row["brands"]), model_numbers=tuple(row["model_numbers"]), upcs=tuple(row["upcs"]),
        category=row["category"], hazard=row["hazard"], remedy=row["remedy"], url=row["url"],
        raw=raw if isinstance(raw, Mapping) else {},
    )
