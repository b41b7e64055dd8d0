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
- A code or model match is `fail`; a name match is `warn`. A valid scanned
  code that no recall lists rules out, by name, the recalls that list the
  codes they cover: only recalls without codes can still be this product.
- Results are recalls, not records: one entry per recall with the sources
  that hold it (`facts["matches"][i]["sources"]`), one evidence item each,
  and counts in the details count recalls.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from babyshield_chat.chat.clean import short_title, shown_number
from babyshield_chat.chat.model import Check, CheckStatus, Evidence, ToolResult
from babyshield_chat.chat.tools.common import Says
from babyshield_chat.chat.tools.context import ToolContext
from babyshield_chat.recalls import repository as repo
from babyshield_chat.recalls.gtin import GTIN_LENGTHS, Gtin, GtinError, parse_gtin
from babyshield_chat.recalls.phrase import is_category, names_product, product_phrase
from babyshield_chat.recalls.results import Recall
from babyshield_chat.telemetry.tracing import db_span

NAME = "recall_lookup"
CHECK = "recall"
#: A bare name ("is fisher price recalled?": no product word, no brand beside it) that finds this many recalls
#: (a whole page of the search) names a maker with recalls of many products, not the parent's product.
MAKER_MIN_RECALLS = 5


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

    A product name is searched unless, without a brand, it only names a kind
    of product ("Crib", "Infant swing": the recalls of every swing are not
    this one's); a phrase taken from the question likewise. The brand narrows
    either (among records that have a brand).
    """
    product = ctx.product
    brand = product.brand if product and product.brand and product.brand.strip() else None
    if product and product.name and product.name.strip():
        name = product.name.strip()
        if brand or not is_category(name):
            return name, brand, "product"
        return None
    phrase = product_phrase(ctx.question)
    if phrase and not is_category(phrase):
        return phrase, brand, "question"
    return None


def _mistyped(code: str, gtin: Gtin | None) -> Says:
    """ "This code looks mistyped ...: please re-scan" (spec 4b.4), never "no recall found"."""
    if gtin is not None and gtin.check_digit_ok is False and len(gtin.given) in (11, *GTIN_LENGTHS):
        why = Says("its last digit, the check digit, does not fit the others",
                   "su último dígito, el de control, no cuadra con los demás")
    else:
        digits = len(gtin.given) if gtin is not None else len(code)
        why = Says(f"no barcode has {digits} digits", f"ningún código de barras tiene {digits} dígitos")
    return Says(
        f"The code {code} looks mistyped ({why.en}), so it may not be this product's: please re-scan the barcode "
        "or type it again.",
        f"El código {code} parece mal escrito ({why.es}), así que puede no ser el de este producto: vuelva a "
        "escanear el código de barras o escríbalo de nuevo.",
    )


async def recall_lookup(ctx: ToolContext) -> ToolResult:
    product = ctx.product
    matches: list[Recall] = []
    searched: list[str] = []
    exact_key_searched = code_searched = False
    code_problem: Says | None = None
    name_from: str | None = None
    maker_only: str | None = None
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
                    exact_key_searched = code_searched = True
                if gtin is not None:
                    matches = await repo.find_by_codes(conn, gtin.candidates)
            if not matches and product and product.model:
                searched.append(f"model {product.model}")
                exact_key_searched = True
                matches = await repo.find_by_model(conn, product.model)
            if not matches and (query := name_query(ctx)):
                phrase, brand, name_from = query
                searched.append(f"'{phrase}'" + (f" ({brand})" if brand else ""))
                matches = await repo.find_by_name(conn, phrase, brand=brand)
                if brand is None and not names_product(phrase) and len(matches) >= MAKER_MIN_RECALLS:
                    maker_only = phrase
                if code_searched:
                    # A valid code no recall lists rules out the recalls that list the codes they cover.
                    matches = [m for m in matches if not m.lists_codes]

    as_of = fresh.last_import_at
    stale = as_of is None or ctx.now - as_of > dt.timedelta(days=ctx.recalls_max_age_days)
    check = _check(matches, searched, fresh, stale, ctx, exact_key_searched and code_problem is None, code_problem,
                   maker_only)
    facts = {
        "matches": [m.as_fact() for m in matches],
        "match_kind": matches[0].match_kind if matches else None,
        "searched": searched,
        "records_loaded": fresh.records_loaded,
        "recalls_loaded": fresh.recalls_loaded,
        "data_as_of": as_of.isoformat() if as_of else None,
        "newest_recall": fresh.newest_recall.isoformat() if fresh.newest_recall else None,
        "stale": stale,
        "code_problem": code_problem.en if code_problem else None,
        "code_problem_es": code_problem.es if code_problem else None,
        "name_from": name_from,  # "product", "question", or None when no name was searched
        # A bare maker's name asked about ("is graco recalled?"): its recalls are listed, the product asked for.
        "maker_only": maker_only,
        # A product name that only names a kind ("Baby walker"), so it was not searched.
        "kind_only": product.name.strip() if product and product.name and not name_from and not searched else None,
        "detail_es": {CHECK: check.es},
    }
    return ToolResult(
        name=NAME, ok=True, checks=[Check(name=CHECK, status=check.status, detail=check.en)],
        evidence=[_evidence(m) for m in matches], facts=facts, data_as_of=as_of,
    )


@dataclasses.dataclass(frozen=True)
class _Verdict:
    status: CheckStatus
    en: str
    es: str


def _listed(matches: list[Recall], *, quoted: bool = False) -> str:
    """ "Title (CPSC 13115, 2013-02-06); ..." for up to three recalls (a page slug is no number to show).

    `quoted`: titles between quotation marks, as a Spanish sentence quotes the data's English.
    """
    items = []
    for m in matches[:3]:
        number = shown_number(m.recall_number)
        when = m.recall_date.isoformat() if m.recall_date else None
        label = ", ".join(p for p in (f"{m.agency} {number}" if number else m.agency, when) if p)
        title = short_title(m.title)
        items.append(f"{f'“{title}”' if quoted else title} ({label})")
    return "; ".join(items)


def _check(matches: list[Recall], searched: list[str], fresh: repo.Freshness, stale: bool, ctx: ToolContext,
           exact_key_searched: bool, code_problem: Says | None, maker_only: str | None = None) -> _Verdict:
    as_of = fresh.last_import_at.date().isoformat() if fresh.last_import_at else None
    recalls = fresh.recalls_loaded or fresh.records_loaded
    if matches and maker_only:
        return _Verdict(
            "warn",
            f"Several recalls name '{maker_only}' products, among them: {_listed(matches)}. Which product do you "
            "have? Its barcode or model number tells whether it is one of them.",
            f"Varias retiradas nombran productos de '{maker_only}', entre ellas: {_listed(matches, quoted=True)}. "
            "¿Qué producto tiene? Su código de barras o número de modelo dirá si es uno de ellos.",
        )
    if matches:
        kind = matches[0].match_kind
        if kind in ("upc", "model"):
            how = Says("its barcode", "su código de barras") if kind == "upc" else Says("its model number",
                                                                                         "su número de modelo")
            return _Verdict("fail", f"Recalled: {_listed(matches)}, matched by {how.en}.",
                            f"Retirado del mercado: {_listed(matches, quoted=True)}; coincide por {how.es}.")
        en = f"Possible recall by a similar product name: {_listed(matches)}. Compare the model number on the label."
        es = (f"Posible retirada por un nombre de producto parecido: {_listed(matches, quoted=True)}. Revise el número "
              "de modelo de la etiqueta.")
        if code_problem:
            en, es = f"{en} {code_problem.en}", f"{es} {code_problem.es}"
        return _Verdict("warn", en, es)
    if fresh.records_loaded == 0:
        return _Verdict("unknown", "No recall data is loaded, so recalls could not be checked.",
                        "No hay datos de retiradas cargados, así que no se pudieron comprobar.")
    if stale:
        return _Verdict(
            "unknown",
            f"The recall data was last updated {as_of}, more than {ctx.recalls_max_age_days} days ago; "
            "it is too old to rule out a recall.",
            f"Los datos de retiradas se actualizaron el {as_of}, hace más de {ctx.recalls_max_age_days} días; "
            "son demasiado antiguos para descartar una retirada.",
        )
    if code_problem:
        return _Verdict("unknown", code_problem.en, code_problem.es)
    if not searched:
        return _Verdict("unknown",
                        "We need the product to look it up: scan its barcode, or give its brand and model.",
                        "Necesitamos el producto para buscarlo: escanee su código de barras o indique marca y modelo.")
    if not exact_key_searched:
        # A name that matches nothing proves little: recalls name products their own way.
        what = ", ".join(searched)
        return _Verdict(
            "unknown",
            f"None of the {recalls} recalls in our data (as of {as_of}) names {what}, but recalls name products "
            "their own way: without a barcode (UPC) or model number a recall cannot be ruled out.",
            f"Ninguna de las {recalls} retiradas de nuestros datos (al {as_of}) nombra {what}, pero las retiradas "
            "nombran los productos a su manera: sin el código de barras (UPC) o el número de modelo no se puede "
            "descartar una retirada.",
        )
    what = ", ".join(searched)
    return _Verdict("pass", f"No recall found for {what} in {recalls} recalls as of {as_of}.",
                    f"Ninguna retirada para {what} entre {recalls} retiradas al {as_of}.")
