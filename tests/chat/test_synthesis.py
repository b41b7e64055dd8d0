"""Steps 5 and 6: who writes the answer, and what a fallback leaves in the logs and metrics."""

from __future__ import annotations

import pytest

from babyshield_chat.chat.model import Answer, SynthesisError, SynthesisRequest
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
