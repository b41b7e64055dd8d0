"""The fake LLM writes from the findings of its prompt, or against them (fault `contradict`)."""

from __future__ import annotations

import json

from babyshield_chat.chat.answer_check import contradiction
from babyshield_chat.chat.model import Answer, Finding, SynthesisRequest
from babyshield_chat.devtools.fake_llm.completions import reply_content
from babyshield_chat.devtools.fake_llm.writing import contradicting_summary, grounded_texts
from babyshield_chat.llm.prompt import synthesis_messages, unfence
from babyshield_chat.llm.schema import response_format
from babyshield_chat.llm.synthesizer import ANSWER_SCHEMA

STOP = Finding(kind="serious_recall", answer="no", status="warn", tool="recall_lookup", check="recall",
               lead="No, stop using it: there is a recall after 8 reported deaths (Rock 'n Play, 2023-01-09).",
               statement="There is a recall after 8 reported deaths: Rock 'n Play (2023-01-09).")
SLEEP = Finding(kind="unsuitable", answer="no", status="fail", tool="age_check", check="inclined_sleeper",
                lead="No: inclined sleepers are banned.", statement="Inclined sleepers are banned.")
OPEN = Finding(kind="unchecked", answer="unknown", status="unknown", tool="age_check", check="age_minimum",
               lead="We could not check everything: no age.", statement="No age.")


def request(*findings: Finding, language: str = "en") -> dict:
    synthesis = SynthesisRequest(question="can my baby nap in it?", intent="age_appropriateness", language=language,
                                 findings=list(findings), freshness="Recall data checked 2026-12-02; newest recall "
                                                                    "2026-08-13.")
    return {"model": "m", "messages": synthesis_messages(synthesis),
            "response_format": response_format("answer", ANSWER_SCHEMA)}


def data(*findings: Finding, language: str = "en") -> dict:
    return unfence(request(*findings, language=language)["messages"][1]["content"])


def test_the_summary_opens_with_the_top_findings_lead_and_adds_the_ones_that_matter() -> None:
    texts = grounded_texts(data(STOP, SLEEP, OPEN))

    assert texts["summary"] == f"{STOP.lead} {SLEEP.statement}"
    assert texts["reasons"] == [STOP.statement, SLEEP.statement, OPEN.statement,
                                "Recall data checked 2026-12-02; newest recall 2026-08-13."]


def test_a_spanish_answer_has_spanish_suggestions_and_disclaimer() -> None:
    texts = grounded_texts(data(SLEEP, language="es"))

    assert texts["suggested_questions"][0].startswith("¿") and texts["disclaimer"].startswith("Información")


def test_without_findings_there_is_nothing_to_write_from() -> None:
    assert grounded_texts({"question": "x"}) is None


def test_the_grounded_reply_is_accepted_and_the_contradicting_one_is_refused() -> None:
    findings = [STOP, SLEEP]

    grounded = Answer.model_validate_json(_with_checks(reply_content(request(*findings))))
    contradicting = Answer.model_validate_json(_with_checks(reply_content(request(*findings), contradict=True)))

    assert contradiction(grounded, findings) is None
    assert contradicting.summary == contradicting_summary({"language": "en"}) == "Yes, it is safe to use."
    assert contradiction(contradicting, findings) is not None


def _with_checks(content: str) -> str:
    """The reply lacks the fields the model does not write; the synthesizer adds them."""
    reply = json.loads(content)
    return json.dumps({**reply, "checks": [], "emergency": None})
