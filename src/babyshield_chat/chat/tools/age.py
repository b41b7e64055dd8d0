"""The `age_check` tool: is this product right for the child's age?

Two kinds of check:

- `age_minimum`: the child's age in whole months against the product's own
  age grading (`age_min_months`). Without both, it is `unknown`.
- Category rules: safe sleep (`sleep_rules`) and toys and gear
  (`age_rules`: small parts, magnets, balloons, walkers, slings, bath seats,
  teething products, honey); each cites the published rule it is based on.

Nothing is `pass` without the information it needs.
"""

from __future__ import annotations

import datetime as dt

from babyshield_chat.chat.model import Product, ToolResult
from babyshield_chat.chat.text import fold
from babyshield_chat.chat.tools.age_rules import PRODUCT_RULES, CategoryRule, RuleContext, apply_rules
from babyshield_chat.chat.tools.child_age import child_age_months, format_age
from babyshield_chat.chat.tools.common import CheckOutcome, Citation, Says, build_result
from babyshield_chat.chat.tools.sleep_rules import SLEEP_RULES

TOOL_NAME = "age_check"

#: Every category rule, safe sleep first: the most serious findings lead.
RULES: tuple[CategoryRule, ...] = SLEEP_RULES + PRODUCT_RULES


def _age_minimum(product: Product | None, age: int | None, birthdate: dt.date | None) -> CheckOutcome:
    if product is None:
        return CheckOutcome(
            "age_minimum",
            "unknown",
            Says(
                "No product was given, so its age grading could not be checked.",
                "No se indicó ningún producto, así que no se pudo comprobar su edad recomendada.",
            ),
        )
    grade = product.age_min_months
    if grade is None:
        child = f" Your child is {format_age(age)}." if age is not None else ""
        child_es = f" Su hijo tiene {format_age(age, 'es')}." if age is not None else ""
        return CheckOutcome(
            "age_minimum",
            "unknown",
            Says(
                f"The product does not state a minimum age.{child}", f"El producto no indica una edad mínima.{child_es}"
            ),
        )
    if birthdate is None:
        return CheckOutcome(
            "age_minimum",
            "unknown",
            Says(
                f"Labelled for {format_age(grade)} and up; add your child's birthdate to your profile to compare.",
                f"Indicado a partir de {format_age(grade, 'es')}; añada la fecha de nacimiento de su hijo a su "
                "perfil para compararla.",
            ),
        )
    if age is None or age < 0:
        return CheckOutcome(
            "age_minimum",
            "unknown",
            Says(
                f"Labelled for {format_age(grade)} and up; the birthdate in your profile is in the future.",
                f"Indicado a partir de {format_age(grade, 'es')}; la fecha de nacimiento de su perfil es futura.",
            ),
        )
    if age < grade:
        return CheckOutcome(
            "age_minimum",
            "fail",
            Says(
                f"Labelled for {format_age(grade)} and up; your child is {format_age(age)}.",
                f"Indicado a partir de {format_age(grade, 'es')}; su hijo tiene {format_age(age, 'es')}.",
            ),
        )
    return CheckOutcome(
        "age_minimum",
        "pass",
        Says(
            f"Labelled for {format_age(grade)} and up; your child is {format_age(age)}.",
            f"Indicado a partir de {format_age(grade, 'es')}; su hijo tiene {format_age(age, 'es')}.",
        ),
    )


def check_age(product: Product | None, child_birthdate: dt.date | None, today: dt.date) -> ToolResult:
    """Compare the child's age with the product's grading and its category's rules."""
    months = child_age_months(child_birthdate, today) if child_birthdate else None
    age = months if months is not None and months >= 0 else None
    outcomes = [_age_minimum(product, months, child_birthdate)]
    citations: list[Citation] = []
    if product is not None and product.age_min_months is not None:
        citations.append(
            Citation("label", "age-grading", f"Manufacturer's age grading: {format_age(product.age_min_months)} and up")
        )
    matched: list[str] = []
    if product is not None:
        ctx = RuleContext(
            text=fold(f"{product.name or ''} {product.category or ''}"),
            ingredients=fold(" ; ".join(product.ingredients)),
            age=age,
            age_min=product.age_min_months,
        )
        for outcome, cited in apply_rules(RULES, ctx):
            outcomes.append(outcome)
            matched.append(outcome.name)
            citations.extend(cited)
    facts = {
        "child_age_months": age,
        "age_min_months": product.age_min_months if product else None,
        "rules_matched": matched,
    }
    return build_result(TOOL_NAME, outcomes, facts, citations)
