"""Parsers for the recall JSON shapes the importer accepts, into one record type.

`babyshield-chat recalls import FILE` (spec section 8) reads four shapes:

- ``cpsc_recall_api``: the CPSC Recall Retrieval / SaferProducts API, a list of
  records with ``RecallNumber``, ``Products[]``, ``ProductUPCs[]``, ...
- ``cpsc_usagov``: the older usa.gov recalls API, records with
  ``recall_number``, ``descriptions[]``, ``upcs[]``; bare or wrapped in
  ``{"success": {"results": [...]}}``.
- ``openfda_enforcement``: openFDA food enforcement reports, bare or wrapped in
  ``{"meta": ..., "results": [...]}``; UPCs are only in free text.
- ``cpsc_index``: compact rows ``{n, h, y, u, o, c}`` made from the CPSC API,
  whose only identifier is the recall page URL.

Each becomes a `RecallRecord`. A record that cannot be read is rejected with a
reason and parsing goes on: one typo in a 10,000-record export must not stop
the import. Records sharing a key (agency, recall_number) are rejected after
the first, because one upsert batch cannot write the same row twice.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from babyshield_chat.recalls.gtin import scan_codes

Agency = Literal["CPSC", "FDA"]

#: Prefix the compact index removed from its recall page URLs.
DEFAULT_CPSC_RECALL_URL_PREFIX = "https://www.cpsc.gov/Recalls/"

#: Titles built from long free text are cut to this many characters.
DEFAULT_TITLE_MAX_CHARS = 160

#: How many records `detect_format` looks at before deciding.
DEFAULT_DETECT_SAMPLE = 25

FORMATS: tuple[str, ...] = ("cpsc_recall_api", "cpsc_usagov", "openfda_enforcement", "cpsc_index")

_WHITESPACE = re.compile(r"\s+")
# Where a run of codes after "UPC" ends in openFDA free text: the next labelled
# field, a list item such as "b.)", or the end of a sentence.
# "a.) ", "1. " at the start of an openFDA description listing several products.
_LIST_MARKER = re.compile(r"^(?:[a-z]|\d{1,2})\.\)?\s+")
_UPC_MENTION = re.compile(r"\bUPCs?\b", re.IGNORECASE)
_UPC_SEGMENT_END = re.compile(
    r"\b(?:Item|Batch(?:es)?|Lots?|EXP|BB|Best\s+By|SKU|Distributed|Bottled|Mfg|Manufactured|Product)\b"
    r"|\b[a-z]\.\)|\.\s+[A-Z]",
    re.IGNORECASE,
)


class FormatError(ValueError):
    """The document is not one of the recall shapes this module reads."""


class RecordError(ValueError):
    """One record cannot be read; the message is the rejection reason."""


@dataclass(frozen=True)
class RecallRecord:
    """One recall, whatever shape it came in.

    `upcs` are GTIN-14 keys (`recalls.gtin.Gtin.key`): look a scanned code up
    with `parse_gtin(code).key`. `upc_problems` says which codes in the source
    were unusable or flagged (bad check digit, odd length), for the import log.
    """

    source: str
    agency: Agency
    recall_number: str
    recall_date: dt.date | None
    title: str
    product_names: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    model_numbers: tuple[str, ...] = ()
    upcs: tuple[str, ...] = ()
    category: str | None = None
    hazard: str | None = None
    remedy: str | None = None
    url: str | None = None
    upc_problems: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.agency, self.recall_number)


@dataclass(frozen=True)
class ParseReport:
    """The records read from one document and the ones rejected, by index."""

    format: str | None
    records: list[RecallRecord]
    rejected: list[tuple[int, str]]


# --- field readers: each raises RecordError naming the field and the value ---


def _text(record: Mapping[str, Any], name: str) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RecordError(f"{name} is {value!r}, not text")
    cleaned = _WHITESPACE.sub(" ", str(value)).strip()
    return cleaned or None


def _texts(record: Mapping[str, Any], name: str) -> tuple[str, ...]:
    value = record.get(name)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise RecordError(f"{name} is {value!r}, not a list")
    out: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise RecordError(f"{name} holds {item!r}, not text")
        cleaned = _WHITESPACE.sub(" ", item).strip()
        if cleaned:
            out.append(cleaned)
    return tuple(dict.fromkeys(out))


def _field_of_objects(record: Mapping[str, Any], name: str, key: str) -> tuple[str, ...]:
    """`[{key: "..."}, ...]` lists of the CPSC API, as a tuple of texts."""
    value = record.get(name)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise RecordError(f"{name} is {value!r}, not a list")
    out: list[str] = []
    for item in value:
        if not isinstance(item, Mapping):
            raise RecordError(f"{name} holds {item!r}, not an object")
        text = _text(item, key)
        if text:
            out.append(text)
    return tuple(dict.fromkeys(out))


def _date(record: Mapping[str, Any], name: str) -> dt.date | None:
    value = _text(record, name)
    if value is None:
        return None
    # ISO dates, ISO timestamps (CPSC API) and openFDA's own YYYYMMDD.
    match = re.fullmatch(r"(\d{4})-?(\d{2})-?(\d{2})(?:T[\d:.]+Z?)?", value)
    if not match:
        raise RecordError(f"{name} is {value!r}, not a date")
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise RecordError(f"{name} is {value!r}, not a real date") from None


def _required(record: Mapping[str, Any], name: str) -> str:
    value = _text(record, name)
    if not value:
        raise RecordError(f"{name} is missing")
    return value


def _shorten(text: str, limit: int = DEFAULT_TITLE_MAX_CHARS) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.") + "…"


def _joined(parts: Sequence[str]) -> str | None:
    return "; ".join(parts) or None


# --- one parser per shape ---


def _parse_cpsc_api(record: Mapping[str, Any]) -> RecallRecord:
    number = _required(record, "RecallNumber")
    products = record.get("Products") or []
    if not isinstance(products, list) or not all(isinstance(p, Mapping) for p in products):
        raise RecordError(f"Products is {products!r}, not a list of objects")
    names = tuple(dict.fromkeys(n for p in products if (n := _text(p, "Name"))))
    models: list[str] = []
    for product in products:
        for model in re.split(r"[,;]", _text(product, "Model") or ""):
            if model.strip():
                models.append(model.strip())
    category = next((t for p in products if (t := _text(p, "Type"))), None)
    codes = scan_codes(_field_of_objects(record, "ProductUPCs", "UPC"))
    brands = (
        _field_of_objects(record, "Manufacturers", "Name")
        + _field_of_objects(record, "Importers", "Name")
        + _field_of_objects(record, "Distributors", "Name")
    )
    remedy = _joined(_field_of_objects(record, "Remedies", "Name")) or _joined(
        _field_of_objects(record, "RemedyOptions", "Option")
    )
    return RecallRecord(
        source="cpsc_recall_api",
        agency="CPSC",
        recall_number=number,
        recall_date=_date(record, "RecallDate"),
        title=_text(record, "Title") or (names[0] if names else f"CPSC recall {number}"),
        product_names=names,
        brands=tuple(dict.fromkeys(brands)),
        model_numbers=tuple(dict.fromkeys(models)),
        upcs=codes.keys,
        category=category,
        hazard=_joined(_field_of_objects(record, "Hazards", "Name")),
        remedy=remedy,
        url=_text(record, "URL"),
        upc_problems=codes.problems,
        raw=record,
    )


def _parse_cpsc_usagov(record: Mapping[str, Any]) -> RecallRecord:
    number = _required(record, "recall_number")
    organization = _text(record, "organization") or "CPSC"
    if organization != "CPSC":
        raise RecordError(f"organization is {organization!r}; only CPSC records have this shape")
    descriptions = _texts(record, "descriptions")
    codes = scan_codes(_texts(record, "upcs"))
    return RecallRecord(
        source="cpsc_usagov",
        agency="CPSC",
        recall_number=number,
        recall_date=_date(record, "recall_date"),
        # The usa.gov API had no title; the product descriptions are the
        # closest published text.
        title=_shorten("; ".join(descriptions)) if descriptions else f"CPSC recall {number}",
        product_names=descriptions,
        brands=_texts(record, "manufacturers"),
        upcs=codes.keys,
        category=_joined(_texts(record, "product_types")),
        hazard=_joined(_texts(record, "hazards")),
        url=_text(record, "recall_url"),
        upc_problems=codes.problems,
        raw=record,
    )


def _upc_segments(text: str) -> list[str]:
    """The stretches of openFDA free text that follow a "UPC" label."""
    segments = []
    for mention in _UPC_MENTION.finditer(text):
        rest = text[mention.end() :]
        end = _UPC_SEGMENT_END.search(rest)
        segment = rest[: end.start()] if end else rest
        segments.append(segment.lstrip(" :#-"))
    return segments


def _parse_openfda(record: Mapping[str, Any]) -> RecallRecord:
    number = _required(record, "recall_number")
    description = _required(record, "product_description")
    firm = _text(record, "recalling_firm")
    free_text = [t for name in ("product_description", "code_info", "more_code_info") if (t := _text(record, name))]
    segments = [s for t in free_text for s in _upc_segments(t)]
    codes = scan_codes(segments)
    return RecallRecord(
        source="openfda_enforcement",
        agency="FDA",
        recall_number=number,
        # The firm's recall start is the date parents know the recall by; the
        # enforcement report date comes weeks later.
        recall_date=_date(record, "recall_initiation_date") or _date(record, "report_date"),
        title=_shorten(_LIST_MARKER.sub("", description)),
        product_names=(description,),
        brands=(firm,) if firm else (),
        upcs=codes.keys,
        category=_text(record, "product_type"),
        hazard=_text(record, "reason_for_recall"),
        upc_problems=codes.problems,
        raw=record,
    )


def _parse_cpsc_index(record: Mapping[str, Any]) -> RecallRecord:
    path = _required(record, "u")
    name = _required(record, "n")
    url = path if path.startswith(("http://", "https://")) else DEFAULT_CPSC_RECALL_URL_PREFIX + path
    codes = scan_codes([c] if (c := _text(record, "c")) else [])
    return RecallRecord(
        source="cpsc_index",
        agency="CPSC",
        # The rows have no recall number; the page path is their only key.
        recall_number=path,
        recall_date=_date(record, "y"),
        title=name,
        product_names=tuple(p.strip() for p in name.split(" | ") if p.strip()),
        upcs=codes.keys,
        hazard=_text(record, "h"),
        remedy=_text(record, "o"),
        url=url,
        upc_problems=codes.problems,
        raw=record,
    )


_PARSERS: dict[str, Callable[[Mapping[str, Any]], RecallRecord]] = {
    "cpsc_recall_api": _parse_cpsc_api,
    "cpsc_usagov": _parse_cpsc_usagov,
    "openfda_enforcement": _parse_openfda,
    "cpsc_index": _parse_cpsc_index,
}

# Keys that only one shape has; a record matches a shape when it has them all.
_SIGNATURES: dict[str, frozenset[str]] = {
    "cpsc_recall_api": frozenset({"RecallNumber", "Products"}),
    "cpsc_usagov": frozenset({"recall_number", "recall_url"}),
    "openfda_enforcement": frozenset({"recall_number", "recalling_firm", "product_description"}),
    "cpsc_index": frozenset({"n", "u"}),
}


def _records_of(document: Any) -> list[Any]:
    """The record list of a document, unwrapping the APIs' envelopes."""
    if isinstance(document, list):
        return document
    if isinstance(document, Mapping):
        if isinstance(document.get("results"), list):  # openFDA
            return document["results"]
        success = document.get("success")
        if isinstance(success, Mapping) and isinstance(success.get("results"), list):  # usa.gov
            return success["results"]
        raise FormatError(
            f"an object with keys {sorted(document)[:8]!r} is not a recall document "
            "(expected a list of records, or 'results' / 'success.results')"
        )
    raise FormatError(f"a JSON {type(document).__name__} is not a recall document")


def _shape_of(record: Any) -> str | None:
    if not isinstance(record, Mapping):
        return None
    return next((name for name, keys in _SIGNATURES.items() if keys <= record.keys()), None)


def detect_format(document: Any) -> str:
    """Name the shape of `document`, one of `FORMATS`.

    The shape most of the first records have wins, so a few malformed records
    at the top of a file do not change the verdict. Raises `FormatError` when
    no record looks like any known shape.
    """
    records = _records_of(document)
    votes: dict[str, int] = {}
    for record in records[:DEFAULT_DETECT_SAMPLE]:
        if shape := _shape_of(record):
            votes[shape] = votes.get(shape, 0) + 1
    if not votes:
        if not records:
            raise FormatError("the document holds no records to recognise")
        first = records[0]
        seen = sorted(first)[:8] if isinstance(first, Mapping) else type(first).__name__
        raise FormatError(f"no record looks like a known recall shape; the first record has {seen!r}")
    return max(votes, key=lambda shape: votes[shape])


def parse_document(document: Any, format: str | None = None) -> ParseReport:
    """Parse every record of `document` (shape detected unless `format` is given).

    Raises `FormatError` only for a document that is not a recall document at
    all; bad records land in `rejected` as `(index, reason)`.
    """
    records = _records_of(document)
    if not records:
        return ParseReport(format=format, records=[], rejected=[])
    if format is None:
        format = detect_format(document)
    elif format not in _PARSERS:
        raise FormatError(f"unknown recall format {format!r}; known: {', '.join(FORMATS)}")
    parse = _PARSERS[format]

    parsed: list[RecallRecord] = []
    rejected: list[tuple[int, str]] = []
    first_index: dict[tuple[str, str], int] = {}
    for index, record in enumerate(records):
        if not isinstance(record, Mapping):
            rejected.append((index, f"record is {type(record).__name__} {record!r:.60}, not an object"))
            continue
        try:
            result = parse(record)
        except RecordError as exc:
            rejected.append((index, str(exc)))
            continue
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            # A shape nobody anticipated: reject this record, keep importing.
            rejected.append((index, f"unreadable record ({type(exc).__name__}: {exc})"))
            continue
        if result.key in first_index:
            rejected.append(
                (
                    index,
                    f"duplicate of {result.agency} recall {result.recall_number!r} at index {first_index[result.key]}",
                )
            )
            continue
        first_index[result.key] = index
        parsed.append(result)
    return ParseReport(format=format, records=parsed, rejected=rejected)
