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

from babyshield_chat.chat.model import ChildAge, Product, ToolResult
from babyshield_chat.chat.text import fold
from babyshield_chat.chat.tools.age_rules import PRODUCT_RULES, CategoryRule, RuleContext, apply_rules
from babyshield_chat.chat.tools.child_age import format_age, profile_child_age, whose_age
from babyshield_chat.chat.tools.common import CheckOutcome, Citation, Says, build_result
from babyshield_chat.chat.tools.sleep_rules import SLEEP_RULES
from babyshield_chat.recalls.spanish_kinds import english_kinds

TOOL_NAME = "age_check"

#: Every category rule, safe sleep first: the most serious findings lead.
RULES: tuple[CategoryRule, ...] = SLEEP_RULES + PRODUCT_RULES


def _age_minimum(product: Product | None, child: ChildAge | None, future_birthdate: bool) -> CheckOutcome:
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
        child_en = f"; {whose_age(child)}" if child is not None else ""
        child_es = f"; {whose_age(child, 'es')}" if child is not None else ""
        return CheckOutcome(
            "age_minimum",
            "unknown",
            Says(f"The product does not state a minimum age{child_en}.",
                 f"El producto no indica una edad mínima{child_es}."),
        )
    if child is None:
        why = Says(
            "the birthdate in your profile is in the future",
            "la fecha de nacimiento de su perfil es futura",
        ) if future_birthdate else Says(
            "tell us how old your child is, or add the birthdate to your profile, to compare",
            "díganos qué edad tiene su hijo, o añada la fecha de nacimiento a su perfil, para compararla",
        )
        return CheckOutcome(
            "age_minimum",
            "unknown",
            Says(f"Labelled for {format_age(grade)} and up; {why.en}.",
                 f"Indicado a partir de {format_age(grade, 'es')}; {why.es}."),
        )
    status = "fail" if child.months < grade else "pass"
    return CheckOutcome(
        "age_minimum",
        status,
        Says(
            f"Labelled for {format_age(grade)} and up; {whose_age(child)}.",
            f"Indicado a partir de {format_age(grade, 'es')}; {whose_age(child, 'es')}.",
        ),
    )


def check_age(product: Product | None, child_birthdate: dt.date | None, today: dt.date, *,
              stated: ChildAge | None = None) -> ToolResult:
    """Compare the child's age with the product's grading and its category's rules.

    An age `stated` in the message wins over the profile's birthdate (spec 4b.6).
    """
    child = stated or profile_child_age(child_birthdate, today)
    future_birthdate = stated is None and child_birthdate is not None and child is None
    age = child.months if child is not None else None
    outcomes = [_age_minimum(product, child, future_birthdate)]
    citations: list[Citation] = []
    if product is not None and product.age_min_months is not None:
        citations.append(
            Citation("label", "age-grading", f"Manufacturer's age grading: {format_age(product.age_min_months)} and up")
        )
    matched: list[str] = []
    if product is not None:
        for outcome, cited in apply_rules(RULES, rule_context(product, age)):
            outcomes.append(outcome)
            matched.append(outcome.name)
            citations.extend(cited)
    facts = {
        "child_age_months": age,
        "child_age_source": child.source if child is not None else None,
        "age_min_months": product.age_min_months if product else None,
        "rules_matched": matched,
    }
    return build_result(TOOL_NAME, outcomes, facts, citations)


def rule_context(product: Product, age: int | None) -> RuleContext:
    """What the category rules look at for `product` and a child of `age` months."""
    return RuleContext(
        # Spanish kinds in English ("silla de auto" -> "car seat"): the rules are written once, in English.
        text=english_kinds(fold(f"{product.name or ''} {product.category or ''}")),
        ingredients=fold(" ; ".join(product.ingredients)),
        age=age,
        age_min=product.age_min_months,
    )


def kind_named_in(message: str) -> str | None:
    """The words of `message` a category rule is about ("dockatot", "weighted sleep sack", "boppy"), or None.

    For a message that names no product the phrase rules can find: "can my
    baby sleep in the dockatot?", "¿puede dormir con saco de dormir con peso?".
    """
    text = english_kinds(fold(message))
    found = (rule.pattern.search(text) for rule in RULES if not rule.on_ingredients)
    return next((match.group(0).strip() for match in found if match), None)


def has_category_rule(product: Product) -> bool:
    """Whether any category rule (safe sleep, walkers, honey, ...) concerns `product`."""
    ctx = rule_context(product, None)
    return any(rule.pattern.search(ctx.ingredients if rule.on_ingredients else ctx.text) for rule in RULES)
