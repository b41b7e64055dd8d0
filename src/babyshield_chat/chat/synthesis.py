"""Step 5 and 6: the LLM writes the answer, or the offline writer does.

With no LLM configured the offline writer is the synthesizer (`offline`),
not a fallback. With an LLM, any failure (timeout, open circuit, provider
error, rate limit, invalid output, exhausted budget, spend cap) hands the
same request to the offline writer (`fallback`, with the reason), counted in
`chat_fallbacks_total` and marked on the request's span.
"""

from __future__ import annotations

import dataclasses
import time

from babyshield_chat.resilience.deadline import StageTimeout, stage
from babyshield_chat.telemetry.metrics import ChatMetrics
from babyshield_chat.telemetry.tracing import record_fallback
from babyshield_chat.chat.model import Answer, SynthesisError, SynthesisRequest, Synthesizer, ToolReport
from babyshield_chat.chat.offline_writer import compose
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
        if metrics is not None:
            metrics.record_synth(model, "ok", time.perf_counter() - started)
        return Written(answer, tools, "llm")
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
