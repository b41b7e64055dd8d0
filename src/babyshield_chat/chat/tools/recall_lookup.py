"""`recall_lookup`: is this product in the recall data, and how fresh is that data?

Keys are tried from the most to the least certain: the scanned code (every
GTIN spelling), the model number, then brand + name by trigram similarity
(from the product, or, without a product name, from the question itself).
An empty or stale recall table yields `unknown`, never `pass`: "no recalls
found" must only ever mean "we looked in current data and found none". A
`pass` also needs an exact key (UPC or model number): a name that matches
nothing is `unknown`, because recalls name products their own way.
"""

from __future__ import annotations

import datetime as dt
import re

from babyshield_chat.recalls import repository as repo
from babyshield_chat.recalls.gtin import GtinError, parse_gtin
from babyshield_chat.chat.model import Check, Evidence, ToolResult
from babyshield_chat.telemetry.tracing import db_span
from babyshield_chat.chat.tools.context import ToolContext

NAME = "recall_lookup"
MIN_NAME_WORDS = 2
CHECK = "recall"

# Words that carry no product identity in a question ("is the X recalled?").
_STOPWORDS = frozenset(
    """a an the is are was were this that these those my our his her their it its of for to in on at by with and or
    any has have had do does did be been being can could should would will was there any ever been recalled recall
    recalls recalled? safe unsafe still ok okay about product products item baby babies my son daughter we i me you
    what which who when where why how if not no yes please tell know check hazard hazards problem problems issue
    issues es el la los las un una de del que esta este retirado retirada seguro""".split()
)
_WORD = re.compile(r"[\w'’&+-]+", re.UNICODE)


def question_terms(text: str) -> str:
    """The words of a question that may name a product."""
    words = [w for w in _WORD.findall(text.lower()) if w.strip("'’") not in _STOPWORDS and len(w) > 1]
    return " ".join(words)


def _evidence(match: repo.RecallMatch) -> Evidence:
    return Evidence(
        type="recall",
        id=f"{match.agency}-{match.recall_number}",
        title=match.title,
        url=match.url,
        date=match.recall_date.isoformat() if match.recall_date else None,
    )


async def recall_lookup(ctx: ToolContext) -> ToolResult:
    product = ctx.product
    with db_span(ctx.tracer, "SELECT", "recalls"):
        async with ctx.database.connection() as conn:
            fresh = await (ctx.recall_freshness.get(conn) if ctx.recall_freshness else repo.freshness(conn))
            matches: list[repo.RecallMatch] = []
            searched: list[str] = []
            exact_key_searched = False
            if product and product.upc:
                try:
                    gtin = parse_gtin(product.upc)
                    searched.append(f"UPC {gtin.display}")
                    exact_key_searched = True
                    matches = await repo.find_by_codes(conn, gtin.candidates)
                except GtinError:
                    searched.append(f"UPC {product.upc} (not a valid code)")
            if not matches and product and product.model:
                searched.append(f"model {product.model}")
                exact_key_searched = True
                matches = await repo.find_by_model(conn, product.model)
            if not matches:
                name = " ".join(p for p in (product.brand if product else None, product.name if product else None) if p)
                terms = name or question_terms(ctx.question)
                # One word ("stroller", "crib") names a category, not a product: it matches everything.
                if len(terms.split()) >= MIN_NAME_WORDS:
                    searched.append(f"name '{terms}'")
                    matches = await repo.find_by_name(conn, terms, brand=product.brand if product and product.name else None)

    as_of = fresh.last_import_at
    stale = as_of is None or ctx.now - as_of > dt.timedelta(days=ctx.recalls_max_age_days)
    facts = {
        "matches": [m.as_fact() for m in matches],
        "match_kind": matches[0].match_kind if matches else None,
        "searched": searched,
        "records_loaded": fresh.records_loaded,
        "data_as_of": as_of.isoformat() if as_of else None,
        "stale": stale,
    }
    return ToolResult(
        name=NAME, ok=True, checks=[_check(matches, searched, fresh, stale, ctx, exact_key_searched)],
        evidence=[_evidence(m) for m in matches], facts=facts, data_as_of=as_of,
    )


def _check(matches, searched, fresh: repo.Freshness, stale: bool, ctx: ToolContext, exact_key_searched: bool) -> Check:
    as_of = fresh.last_import_at.date().isoformat() if fresh.last_import_at else None
    if matches:
        exact = matches[0].match_kind in ("upc", "model")
        titles = "; ".join(f"{m.agency} {m.recall_number} ({m.title})" for m in matches[:3])
        if exact:
            return Check(name=CHECK, status="fail", detail=f"Recalled: {titles}, matched by {matches[0].match_kind}.")
        return Check(
            name=CHECK, status="warn",
            detail=f"Possible recall by a similar product name: {titles}. Compare the model number on the label.",
        )
    if fresh.records_loaded == 0:
        return Check(name=CHECK, status="unknown", detail="No recall data is loaded, so recalls could not be checked.")
    if stale:
        return Check(
            name=CHECK, status="unknown",
            detail=f"The recall data was last updated {as_of}, more than {ctx.recalls_max_age_days} days ago; "
                   "it is too old to rule out a recall.",
        )
    if not searched:
        return Check(name=CHECK, status="unknown", detail="No UPC, model or product name to look up.")
    if not exact_key_searched:
        # A name that matches nothing proves little: recalls name products their own way.
        return Check(
            name=CHECK, status="unknown",
            detail=f"No recall matched {', '.join(searched)} in {fresh.records_loaded} records as of {as_of}, "
                   "but without a UPC or model number a recall cannot be ruled out.",
        )
    return Check(
        name=CHECK, status="pass",
        detail=f"No recall found for {', '.join(searched)} in {fresh.records_loaded} records as of {as_of}.",
    )
