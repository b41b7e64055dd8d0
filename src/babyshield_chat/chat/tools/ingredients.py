"""The `ingredient_info` tool: what the product's ingredients are, in plain words.

Each ingredient is looked up in the curated glossary (`ingredient_glossary`)
and explained in a sentence. An ingredient the glossary does not know is
reported as not recognised: the tool never guesses what it might be. The one
check is `warn` when a recognised ingredient deserves a closer look,
`unknown` when some ingredients could not be explained, and `pass` only when
every ingredient was explained and none needs a closer look.
"""

from __future__ import annotations

from dataclasses import dataclass

from babyshield_chat.chat.model import CheckStatus, Product, ToolResult
from babyshield_chat.chat.tools.common import CheckOutcome, Says, build_result, join_names
from babyshield_chat.chat.tools.ingredient_glossary import Entry, explain

TOOL_NAME = "ingredient_info"

#: How many unrecognised ingredients the check's detail names before "and N more".
DEFAULT_DETAIL_ITEMS = 5


@dataclass(frozen=True)
class Explained:
    ingredient: str
    entries: tuple[Entry, ...]

    def as_fact(self) -> dict[str, object]:
        return {
            "ingredient": self.ingredient,
            "entries": [e.key for e in self.entries],
            "text": " ".join(e.says.en for e in self.entries),
            "text_es": " ".join(e.says.es for e in self.entries),
            "caution": any(e.caution for e in self.entries),
        }


def ingredient_info(product: Product | None) -> ToolResult:
    """Explain each recognised ingredient; list, never guess, the rest."""
    ingredients = [i for i in (product.ingredients if product else []) if i.strip()]
    if not ingredients:
        says = (
            Says(
                "No product was given, so there are no ingredients to explain.",
                "No se indicó ningún producto, así que no hay ingredientes que explicar.",
            )
            if product is None
            else Says(
                "The product has no ingredient list to explain.",
                "El producto no tiene lista de ingredientes que explicar.",
            )
        )
        facts = {"ingredients_checked": 0, "explained": [], "unrecognised": []}
        return build_result(TOOL_NAME, [CheckOutcome("ingredients", "unknown", says)], facts)

    explained: list[Explained] = []
    unrecognised: list[str] = []
    for ingredient in ingredients:
        entries = explain(ingredient)
        if entries:
            explained.append(Explained(ingredient, entries))
        else:
            unrecognised.append(ingredient)
    cautions = [x for x in explained if any(e.caution for e in x.entries)]

    status: CheckStatus = "warn" if cautions else ("unknown" if unrecognised else "pass")
    en = [f"Explained {len(explained)} of {len(ingredients)} ingredients."]
    es = [f"Se explican {len(explained)} de {len(ingredients)} ingredientes."]
    if cautions:
        named = join_names(x.ingredient for x in cautions)
        en.append(f"Worth a closer look: {named}.")
        es.append(f"Conviene revisar: {join_names((x.ingredient for x in cautions), 'es')}.")
    if unrecognised:
        shown = unrecognised[:DEFAULT_DETAIL_ITEMS]
        more = len(unrecognised) - len(shown)
        tail_en = f" and {more} more" if more > 0 else ""
        tail_es = f" y {more} más" if more > 0 else ""
        en.append(f"Not in our glossary, so not described: {', '.join(shown)}{tail_en}.")
        es.append(f"No están en nuestro glosario, así que no se describen: {', '.join(shown)}{tail_es}.")

    facts = {
        "ingredients_checked": len(ingredients),
        "explained": [x.as_fact() for x in explained],
        "unrecognised": unrecognised,
    }
    citations = [e.citation for x in explained for e in x.entries if e.citation]
    return build_result(
        TOOL_NAME, [CheckOutcome("ingredients", status, Says(" ".join(en), " ".join(es)))], facts, citations
    )
