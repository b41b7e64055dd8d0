"""How the fake LLM writes a parent's answer: from the ranked findings of its prompt, or against them.

The synthesis prompt carries the findings, most serious first, each with the
sentence it leads with and a statement of its own (spec 4b.7), the answer's
language and the freshness line. A well-behaved model answers from them;
so does the fake, deterministically, which lets the answer benchmark's `llm`
mode and the tests exercise the LLM path for real:

- `grounded_texts` (every mode but `contradict`): the first finding's lead,
  then the statements of up to two other findings that matter or answer
  another concern of the message; the reasons
  are every finding's statement and the freshness line; suggestions and the
  disclaimer in the answer's language.
- `contradicting_summary` (fault `contradict`): the confident, wrong answer a
  model must never give: "Yes, it is safe to use." The service must reject
  it (`chat.answer_check`) and answer with its fallback writer.

A prompt without findings (an older client) gets the plain summary of the checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Findings worth a sentence after the lead (open checks and passes go to the reasons).
_WORTH_SAYING = frozenset(
    {"serious_recall", "recall", "unsuitable", "allergen", "pregnancy", "caution", "possible_recall", "info"}
)
_MORE_SENTENCES = 2

_SUGGESTED = {
    "en": ["Has this product been recalled?", "Is it right for my child's age?", "What are the ingredients?"],
    "es": ["¿Han retirado este producto del mercado?", "¿Es adecuado para la edad de mi hijo?",
           "¿Cuáles son los ingredientes?"],
}
_DISCLAIMER = {
    "en": "General product-safety information from public records, not medical advice.",
    "es": "Información general de seguridad de productos a partir de registros públicos; no es consejo médico.",
}
_CONTRADICTION = {"en": "Yes, it is safe to use.", "es": "Sí, es seguro usarlo."}


def _findings(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [f for f in data.get("findings") or [] if isinstance(f, Mapping) and f.get("lead")]


def _language(data: Mapping[str, Any]) -> str:
    return "es" if data.get("language") == "es" else "en"


def grounded_texts(data: Mapping[str, Any]) -> dict[str, Any] | None:
    """Summary, reasons, suggestions and disclaimer written from the findings, or None without findings."""
    findings = _findings(data)
    if not findings:
        return None
    language = _language(data)
    sentences = [str(findings[0]["lead"])]
    tools_said = {findings[0].get("tool")}
    for finding in findings[1:]:
        if len(sentences) > _MORE_SENTENCES:
            break
        statement = str(finding.get("statement") or "")
        answers_concern = finding.get("asked") and finding.get("tool") not in tools_said
        if (finding.get("kind") in _WORTH_SAYING or answers_concern) and statement and statement not in sentences:
            sentences.append(statement)
            tools_said.add(finding.get("tool"))
    reasons = list(dict.fromkeys(str(f.get("statement")) for f in findings if f.get("statement")))
    if data.get("freshness"):
        reasons.append(str(data["freshness"]))
    return {
        "summary": " ".join(sentences),
        "reasons": reasons,
        "suggested_questions": list(_SUGGESTED[language]),
        "disclaimer": _DISCLAIMER[language],
    }


def contradicting_summary(data: Mapping[str, Any]) -> str:
    """The answer a model must never give, in the answer's language."""
    return _CONTRADICTION[_language(data)]
