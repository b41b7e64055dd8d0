"""`recall_lookup`: is this product in the recall data, and how fresh is that data?

Keys are tried from the most to the least certain: the scanned code (every
GTIN spelling), the model number, then the name search (`recalls.search`)
on the product's name narrowed by its brand, or, without a product name, on
the product phrase of the question (`recalls.phrase`; a question that names
no product, "hi" or "what's the weather", searches nothing).

Guarantees:

- An empty or stale recall table yields `unknown`, never `pass`: "no recalls
  found" must only ever mean "we looked in current data and found none".
- A `pass` needs an exact key (a valid UPC or a model number): a name that
  matches nothing is `unknown`, because recalls name products their own way.
- A code whose check digit is wrong (or whose length no GTIN has) is
  `unknown` with "this code looks mistyped": never "no recall found" for a
  code that is probably not the product's. It is still looked up as typed,
  since old recall records carry typos too.
- A code or model match is `fail`; a name match is `warn`.
- Results are recalls, not records: one entry per recall with the sources
  that hold it (`facts["matches"][i]["sources"]`), one evidence item each,
  and counts in the details count recalls.
"""

from __future__ import annotations

import datetime as dt

from babyshield_chat.chat.model import Check, Evidence, ToolResult
from babyshield_chat.chat.tools.context import ToolContext
from babyshield_chat.recalls import repository as repo
from babyshield_chat.recalls.gtin import Gtin, GtinError, parse_gtin
from babyshield_chat.recalls.phrase import is_category, product_phrase
from babyshield_chat.recalls.results import Recall
from babyshield_chat.telemetry.tracing import db_span

NAME = "recall_lookup"
CHECK = "recall"


def _evidence(match: Recall) -> Evidence:
    return Evidence(
        type="recall",
        id=match.id,
        title=match.title,
        url=match.url,
        date=match.recall_date.isoformat() if match.recall_date else None,
    )


def name_query(ctx: ToolContext) -> tuple[str, str | None, str] | None:
    """(phrase, brand, where it came from) for the name search, or None when there is nothing to search.

    A product name is searched unless it is one word naming only a kind of
    product ("Crib"); a phrase taken from the question likewise. The brand
    narrows either (among records that have a brand).
    """
    product = ctx.product
    brand = product.brand if product and product.brand and product.brand.strip() else None
    if product and product.name and product.name.strip():
        name = product.name.strip()
        if len(name.split()) >= 2 or not is_category(name):
            return name, brand, "product"
        return None
    phrase = product_phrase(ctx.question)
    if phrase and not is_category(phrase):
        return phrase, brand, "question"
    return None


def _mistyped(code: str, gtin: Gtin | None) -> str:
    why = gtin.problem if gtin and gtin.problem else f"{code} is not a valid product code"
    return (f"The code {code} looks mistyped ({why}), so it may not be this product's: please re-scan the barcode "
            "or type it again.")


async def recall_lookup(ctx: ToolContext) -> ToolResult:
    product = ctx.product
    matches: list[Recall] = []
    searched: list[str] = []
    exact_key_searched = False
    code_problem: str | None = None
    name_from: str | None = None
    with db_span(ctx.tracer, "SELECT", "recalls"):
        async with ctx.database.connection() as conn:
            fresh = await (ctx.recall_freshness.get(conn) if ctx.recall_freshness else repo.freshness(conn))
            if product and product.upc:
                try:
                    gtin: Gtin | None = parse_gtin(product.upc)
                except GtinError:
                    gtin = None
                if gtin is None or not gtin.valid:
                    code_problem = _mistyped(product.upc, gtin)
                    searched.append(f"UPC {product.upc} (looks mistyped)")
                else:
                    searched.append(f"UPC {gtin.display}")
                    exact_key_searched = True
                if gtin is not None:
                    matches = await repo.find_by_codes(conn, gtin.candidates)
            if not matches and product and product.model:
                searched.append(f"model {product.model}")
                exact_key_searched = True
                matches = await repo.find_by_model(conn, product.model)
            if not matches and (query := name_query(ctx)):
                phrase, brand, name_from = query
                searched.append(f"name '{phrase}'" + (f" (brand {brand})" if brand else ""))
                matches = await repo.find_by_name(conn, phrase, brand=brand)

    as_of = fresh.last_import_at
    stale = as_of is None or ctx.now - as_of > dt.timedelta(days=ctx.recalls_max_age_days)
    facts = {
        "matches": [m.as_fact() for m in matches],
        "match_kind": matches[0].match_kind if matches else None,
        "searched": searched,
        "records_loaded": fresh.records_loaded,
        "recalls_loaded": fresh.recalls_loaded,
        "data_as_of": as_of.isoformat() if as_of else None,
        "stale": stale,
        "code_problem": code_problem,
        "name_from": name_from,  # "product", "question", or None when no name was searched
    }
    check = _check(matches, searched, fresh, stale, ctx, exact_key_searched and code_problem is None, code_problem)
    return ToolResult(
        name=NAME, ok=True, checks=[check], evidence=[_evidence(m) for m in matches], facts=facts, data_as_of=as_of,
    )


def _check(matches: list[Recall], searched: list[str], fresh: repo.Freshness, stale: bool, ctx: ToolContext,
           exact_key_searched: bool, code_problem: str | None) -> Check:
    as_of = fresh.last_import_at.date().isoformat() if fresh.last_import_at else None
    recalls = fresh.recalls_loaded or fresh.records_loaded
    if matches:
        exact = matches[0].match_kind in ("upc", "model")
        titles = "; ".join(f"{m.agency} {m.recall_number} ({m.title})" for m in matches[:3])
        if exact:
            return Check(name=CHECK, status="fail", detail=f"Recalled: {titles}, matched by {matches[0].match_kind}.")
        detail = f"Possible recall by a similar product name: {titles}. Compare the model number on the label."
        return Check(name=CHECK, status="warn", detail=f"{detail} {code_problem}" if code_problem else detail)
    if fresh.records_loaded == 0:
        return Check(name=CHECK, status="unknown", detail="No recall data is loaded, so recalls could not be checked.")
    if stale:
        return Check(
            name=CHECK, status="unknown",
            detail=f"The recall data was last updated {as_of}, more than {ctx.recalls_max_age_days} days ago; "
                   "it is too old to rule out a recall.",
        )
    if code_problem:
        return Check(name=CHECK, status="unknown", detail=code_problem)
    if not searched:
        return Check(name=CHECK, status="unknown", detail="No UPC, model or product name to look up.")
    if not exact_key_searched:
        # A name that matches nothing proves little: recalls name products their own way.
        return Check(
            name=CHECK, status="unknown",
            detail=f"No recall matched {', '.join(searched)} in {recalls} recalls as of {as_of}, "
                   "but without a UPC or model number a recall cannot be ruled out.",
        )
    return Check(
        name=CHECK, status="pass",
        detail=f"No recall found for {', '.join(searched)} in {recalls} recalls as of {as_of}.",
    )
