"""Steps 5 and 6: who writes the answer, and what a fallback leaves in the logs and metrics."""

from __future__ import annotations

import pytest

from babyshield_chat.chat.model import Answer, Check, Finding, SynthesisError, SynthesisRequest, ToolResult
from babyshield_chat.chat.synthesis import write_answer
from babyshield_chat.telemetry import Telemetry
from babyshield_chat.telemetry.testing import metric_points
from babyshield_chat.vocabulary import FALLBACK_REASONS

REQUEST = SynthesisRequest(question="Is this crib recalled?", intent="recall_details")


class Failing:
    def __init__(self, reason: str) -> None:
        self.reason = reason

    async def write(self, request: SynthesisRequest) -> Answer:
        raise SynthesisError(self.reason)


@pytest.mark.parametrize("reason", FALLBACK_REASONS)
async def test_the_fallback_line_carries_its_reason_in_json_and_otlp(logs, reason):
    telemetry = Telemetry.for_tests()
    written = await write_answer(REQUEST, synthesizer=Failing(reason), budget_sec=1.0, metrics=telemetry.metrics,
                                 model="gpt-4o-mini")

    assert (written.synthesizer, written.fallback_reason) == ("fallback", reason)
    [line] = [line for line in logs.lines() if line["event"] == "fallback"]
    [exported] = [body for body in logs.exported() if body["event"] == "fallback"]
    assert line["fallback_reason"] == exported["fallback_reason"] == reason
    [point] = metric_points(telemetry, "chat_fallbacks_total")
    assert point.attributes == {"reason": reason} and point.value == 1


async def test_without_an_llm_the_offline_writer_answers_and_nothing_falls_back(logs):
    written = await write_answer(REQUEST, synthesizer=None, budget_sec=1.0, metrics=None, model="gpt-4o-mini")

    assert (written.synthesizer, written.fallback_reason) == ("offline", None)
    assert [line for line in logs.lines() if line["event"] == "fallback"] == []


class Writes:
    """A synthesizer that writes the summary it is given (as an LLM would)."""

    def __init__(self, summary: str) -> None:
        self.summary = summary

    async def write(self, request: SynthesisRequest) -> Answer:
        return Answer(summary=self.summary, reasons=["A reason.. with two stops."], disclaimer="d")


NOT_FOR_SLEEP = Finding(kind="unsuitable", answer="no", status="warn", tool="age_check", check="not_for_sleep",
                        lead="No: loungers are not for sleep.", statement="Loungers are not for sleep.")
LOUNGER_REQUEST = SynthesisRequest(
    question="can she nap in it?", intent="age_appropriateness", findings=[NOT_FOR_SLEEP], language="es",
    tool_results=[ToolResult(name="age_check", ok=True,
                             checks=[Check(name="not_for_sleep", status="warn", detail="Not for sleep.")],
                             facts={"detail_es": {"not_for_sleep": "No es para dormir."}})],
)


async def test_an_llm_summary_that_contradicts_the_top_finding_falls_back_as_invalid_output(logs):
    telemetry = Telemetry.for_tests()

    written = await write_answer(LOUNGER_REQUEST, synthesizer=Writes("Sí, es seguro para la siesta."), budget_sec=1.0,
                                 metrics=telemetry.metrics, model="gpt-4o-mini")

    assert (written.synthesizer, written.fallback_reason) == ("fallback", "invalid_output")
    assert written.answer.summary.startswith("No: loungers are not for sleep.")
    [line] = [line for line in logs.lines() if line["event"].startswith("LLM answer contradicts")]
    assert line["finding"] == "unsuitable" and "siesta" not in str(line)
    [point] = metric_points(telemetry, "chat_fallbacks_total")
    assert point.attributes == {"reason": "invalid_output"}


async def test_an_llm_answer_that_agrees_gets_the_checks_in_the_answer_language_and_clean_text():
    written = await write_answer(LOUNGER_REQUEST, synthesizer=Writes("No, no es para dormir.."), budget_sec=1.0,
                                 metrics=None, model="gpt-4o-mini")

    assert written.synthesizer == "llm"
    assert written.answer.summary == "No, no es para dormir."
    assert written.answer.reasons == ["A reason. with two stops."]
    assert [c.detail for c in written.answer.checks] == ["No es para dormir."]
