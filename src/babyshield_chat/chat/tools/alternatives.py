"""`alternatives`: what to look for instead, and what in this category was recalled.

The service has no product catalogue, so it never names a "safe" product. It
lists recent recalls in the same category (to avoid) and the category's
published safety standard to look for on the label. Without a category it
says so instead of guessing.
"""

from __future__ import annotations

from babyshield_chat.recalls import repository as repo
from babyshield_chat.chat.model import Evidence, ToolResult
from babyshield_chat.telemetry.tracing import db_span
from babyshield_chat.chat.tools.context import ToolContext

NAME = "alternatives"

# Category keyword → what a safe choice carries (mandatory CPSC rules).
_STANDARDS: tuple[tuple[str, str], ...] = (
    ("crib", "meets 16 CFR 1219/1220 (full-size / non-full-size cribs)"),
    ("bassinet", "meets 16 CFR 1218 (bassinets and cradles)"),
    ("play yard", "meets 16 CFR 1221 (play yards)"),
    ("playard", "meets 16 CFR 1221 (play yards)"),
    ("stroller", "meets 16 CFR 1227 (carriages and strollers)"),
    ("high chair", "meets 16 CFR 1231 (high chairs)"),
    ("car seat", "meets FMVSS 213 (child restraint systems)"),
    ("carrier", "meets 16 CFR 1225/1226 (hand-held and soft infant carriers)"),
    ("sling", "meets 16 CFR 1228 (sling carriers)"),
    ("swing", "meets 16 CFR 1223 (infant swings)"),
    ("bouncer", "meets 16 CFR 1229 (infant bouncer seats)"),
    ("walker", "meets 16 CFR 1216 (infant walkers)"),
    ("sleep", "meets 16 CFR 1236/1241 (infant sleep products) and is flat, not inclined"),
    ("toy", "meets ASTM F963 via 16 CFR 1250 (toy safety) and suits the child's age"),
    ("pacifier", "meets 16 CFR 1511 (pacifiers)"),
    ("rattle", "meets 16 CFR 1510 (rattles)"),
    ("formula", "is an FDA-registered infant formula (21 CFR 106/107), bought from a regulated seller"),
)


def standard_for(category: str) -> str | None:
    lowered = category.lower()
    return next((rule for keyword, rule in _STANDARDS if keyword in lowered), None)


async def alternatives(ctx: ToolContext) -> ToolResult:
    category = (ctx.product.category if ctx.product else None) or None
    if not category:
        return ToolResult(name=NAME, ok=True, facts={"category": None, "recalled_in_category": [],
                                                      "look_for": None,
                                                      "note": "No product category was given."})
    with db_span(ctx.tracer, "SELECT", "recalls"):
        async with ctx.database.connection() as conn:
            recalled = await repo.recalled_in_category(conn, category)
    return ToolResult(
        name=NAME,
        ok=True,
        facts={
            "category": category,
            "recalled_in_category": [m.as_fact() for m in recalled],
            "look_for": standard_for(category),
            "note": "No product catalogue is loaded; no specific product is recommended.",
        },
        evidence=[
            Evidence(type="recall", id=f"{m.agency}-{m.recall_number}", title=m.title, url=m.url,
                     date=m.recall_date.isoformat() if m.recall_date else None)
            for m in recalled
        ],
    )
