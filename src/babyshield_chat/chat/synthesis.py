"""Step 5 and 6: the LLM writes the answer, or the offline writer does.

With no LLM configured the offline writer is the synthesizer (`offline`),
not a fallback. With an LLM, any failure (timeout, open circuit, provider
error, rate limit, invalid output, exhausted budget, spend cap) hands the
same request to the offline writer (`fallback`, with the reason), counted in
`chat_fallbacks_total` and marked on the request's span. An LLM answer whose
summary contradicts the top finding (`chat.answer_check`: calls the product
safe, says yes where the finding says no, omits the recall) is invalid
output too (spec 4b.7). An accepted LLM answer gets the chat's own checks,
in the answer's language, and its text is tidied like the offline writer's.
"""

from __future__ import annotations

import dataclasses
import time

from babyshield_chat.resilience.deadline import StageTimeout, stage
from babyshield_chat.telemetry.metrics import ChatMetrics
from babyshield_chat.telemetry.tracing import record_fallback
from babyshield_chat.chat.model import Answer, SynthesisError, SynthesisRequest, Synthesizer, ToolReport
from babyshield_chat.chat.answer_check import contradiction
from babyshield_chat.chat.clean import tidy
from babyshield_chat.chat.offline_writer import compose, localized_checks
from babyshield_chat.vocabulary import FallbackReason, SynthesizerKind
from babyshield_chat.telemetry.logging import EventLog

log = EventLog("babyshield_chat.synthesis")


@dataclasses.dataclass(frozen=True)
class Written:
    answer: Answer
    tools: list[ToolReport]
    synthesizer: SynthesizerKind
    fallback_reason: FallbackReason | None = None

    @property
    def circuit_open(self) -> bool:
        return self.fallback_reason == "circuit_open"


def _finished(answer: Answer, request: SynthesisRequest) -> Answer:
    """The LLM's answer with the chat's own checks (in the answer's language) and clean text (spec 4b.10)."""
    return answer.model_copy(update={
        "summary": tidy(answer.summary),
        "reasons": [tidy(r) for r in answer.reasons if r.strip()],
        "checks": localized_checks(request),
    })


async def write_answer(
    request: SynthesisRequest, *, synthesizer: Synthesizer | None, budget_sec: float,
    metrics: ChatMetrics | None, model: str,
) -> Written:
    tools = [result.report() for result in request.tool_results]
    if synthesizer is None:
        return Written(compose(request), tools, "offline")
    started = time.perf_counter()
    try:
        async with stage("synth", budget_sec):
            answer = await synthesizer.write(request)
        problem = contradiction(answer, request.findings)
        if problem is not None:
            # Spec 4b.7: a summary that contradicts the top finding never reaches the parent.
            log.warning("LLM answer contradicts the top finding; fallback", problem=problem,
                        finding=request.findings[0].kind if request.findings else None)
            raise SynthesisError("invalid_output", problem)
        if metrics is not None:
            metrics.record_synth(model, "ok", time.perf_counter() - started)
        return Written(_finished(answer, request), tools, "llm")
    except StageTimeout as exc:
        reason = "budget_exhausted" if exc.timeout_sec <= 0 else "timeout"
    except SynthesisError as exc:
        reason = exc.reason
    if metrics is not None:
        metrics.record_synth(model, reason, time.perf_counter() - started)
        metrics.record_fallback(reason)
    record_fallback(reason)
    log.info("fallback", fallback_reason=reason)
    return Written(compose(request, fallback_reason=reason), tools, "fallback", reason)
