"""The tools that need no I/O, as async tools over a `ToolContext`.

The checks themselves are pure functions in their own modules (and tested
there); this module only adapts them to the runner's calling convention.
"""

from __future__ import annotations

from babyshield_chat.chat.model import ToolResult
from babyshield_chat.chat.tools.age import check_age
from babyshield_chat.chat.tools.allergens import check_allergens
from babyshield_chat.chat.tools.context import ToolContext
from babyshield_chat.chat.tools.ingredients import ingredient_info as _ingredient_info
from babyshield_chat.chat.tools.pregnancy import check_pregnancy


async def age_check(ctx: ToolContext) -> ToolResult:
    return check_age(ctx.product, ctx.profile.child_birthdate, ctx.today, stated=ctx.stated.child_age)


async def allergen_check(ctx: ToolContext) -> ToolResult:
    return check_allergens(ctx.product, ctx.profile, ctx.stated.allergies, ctx.stated.asked_allergens)


async def pregnancy_check(ctx: ToolContext) -> ToolResult:
    return check_pregnancy(ctx.product, ctx.profile, ctx.stated.pregnancy, breastfeeding=ctx.stated.breastfeeding)


async def ingredient_info(ctx: ToolContext) -> ToolResult:
    return _ingredient_info(ctx.product)
