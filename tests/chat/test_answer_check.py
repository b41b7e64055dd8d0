"""The LLM's summary checked against the top finding (spec 4b.7)."""

from __future__ import annotations

import pytest

from babyshield_chat.chat.answer_check import calls_safe, contradiction
from babyshield_chat.chat.model import Answer, Finding


def answer(summary: str) -> Answer:
    return Answer(summary=summary, disclaimer="d")


def finding(kind: str, answer_: str, status: str = "fail") -> Finding:
    return Finding(kind=kind, answer=answer_, status=status, lead="Lead.", statement="Statement.")


UNSUITABLE = finding("unsuitable", "no")
RECALL = finding("recall", "yes")
UNCHECKED = finding("unchecked", "unknown", "unknown")
PASS = finding("pass", "none", "pass")


@pytest.mark.parametrize(
    ("summary", "findings"),
    [
        ("Yes, it is safe to use.", [UNSUITABLE]),
        ("Sí, es seguro usarlo.", [UNSUITABLE]),
        ("It is safe.", [PASS]),
        ("Good news: no problems found.", [UNCHECKED]),
        ("It can be used, with care.", [UNSUITABLE]),
        ("Se puede usar con cuidado.", [finding("caution", "caution", "warn")]),
        ("Great choice for your little one.", [UNSUITABLE]),
        ("Yes, go ahead: it is labelled for 6 months.", [UNSUITABLE]),
        ("This product looks like a good choice.", [RECALL]),
        ("It has not been recalled.", [RECALL]),
        ("No lo retiraron del mercado.", [RECALL]),
        ("Sí, puede usarlo con tranquilidad.", [RECALL]),
    ],
)
def test_a_summary_that_contradicts_the_top_finding_is_named(summary, findings) -> None:
    assert contradiction(answer(summary), findings) is not None


@pytest.mark.parametrize(
    ("summary", "findings"),
    [
        ("No: it is labelled for 6 months and up, and you said your baby is 3 months old.", [UNSUITABLE]),
        ("Stop using it: it was recalled in 2013.", [RECALL]),
        ("Yes, it was recalled: 4moms breeze sheets (2013-02-06).", [RECALL]),
        # Spanish says a recall in several forms; each names it.
        ("Sí, lo retiraron del mercado: 4moms breeze sheets (2013-02-06).", [RECALL]),
        ("Sí, hay una retirada de 4moms breeze sheets (2013-02-06).", [RECALL]),
        ("Lo retiró la empresa en 2013.", [RECALL]),
        ("No, deje de usarlo: lo retiraron del mercado (2013).", [finding("recall", "no")]),
        ("Loungers are not safe for sleep; move your baby to a crib.", [UNSUITABLE]),
        ("Nothing in the checks we ran speaks against it.", [PASS]),
        ("We could not check its recall status: the code looks mistyped.", [UNCHECKED]),
        ("Anything at all.", []),
    ],
)
def test_a_summary_that_answers_from_the_top_finding_passes(summary, findings) -> None:
    assert contradiction(answer(summary), findings) is None


@pytest.mark.parametrize(
    ("text", "safe"),
    [("It is safe.", True), ("It is not safe for sleep.", False), ("Follow the Safe Sleep for Babies Act.", False),
     ("Es segura.", True), ("No es seguro.", False), ("a safer choice", False),
     ("There is a recall of Britax B-Safe 35 infant car seats.", False), ("It is safe-ish.", True)],
)
def test_calling_safe_is_told_from_a_negation_or_a_named_practice(text, safe) -> None:
    assert calls_safe(text) is safe
