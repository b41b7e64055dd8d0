"""The LLM answer writer (spec section 4, step 5), and the reasons it gives up (step 6).

:class:`LlmSynthesizer` implements the ``Synthesizer`` protocol of
``chat.model``. It asks the model for an answer in strict structured output,
then trusts the reply only as far as the tools back it:

- evidence is kept only when a tool returned it (matched on type and id), and
  is replaced by the tool's own record, so the model cannot alter a recall's
  title or link; a recall a tool found is always cited, even if the model
  left it out;
- checks are the tools' own, verbatim: the model is not even asked for them,
  so it cannot invent one or upgrade ``unknown`` to ``pass``; a tool that
  failed without a check gets an ``unknown`` one;
- ``emergency`` is never the model's to set (step 2's rules own it).

Every failure raises :class:`SynthesisError` with a reason from
``vocabulary.FallbackReason``; the pipeline then lets the deterministic writer answer.
Unexpected exceptions (bugs) are not dressed up as provider errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import openai

from babyshield_chat.chat.model import (
    Answer,
    Check,
    Evidence,
    SynthesisError,
    SynthesisRequest,
    ToolResult,
)
from babyshield_chat.resilience.breaker import CircuitOpen
from babyshield_chat.resilience.deadline import current_deadline, stage
from babyshield_chat.resilience.retry import BudgetExhausted, RetryPolicy
from babyshield_chat.vocabulary import DEFAULT_SYNTH_BUDGET_SEC

from babyshield_chat.llm.prompt import synthesis_messages
from babyshield_chat.llm.schema import strict_json_schema
from babyshield_chat.llm.structured import InvalidOutput, SpendCapReached, StructuredLlm
from babyshield_chat.telemetry.logging import EventLog

__all__ = [
    "ANSWER_SCHEMA",
    "ANSWER_SCHEMA_NAME",
    "DEFAULT_SYNTH_RETRY_POLICY",
    "LlmSynthesizer",
    "ground_answer",
]

log = EventLog(__name__)

#: Retries for the writer's StructuredLlm. A grounded answer takes the model
#: the better part of a second, so an attempt with less than half a second
#: left would only turn a provider error into a timeout, and cost tokens.
DEFAULT_SYNTH_RETRY_POLICY = RetryPolicy(max_attempts=3, base_delay_sec=0.05, max_delay_sec=0.5, min_attempt_sec=0.5)

# Fields of the answer the model does not write (see the module docstring).
_NOT_WRITTEN_BY_THE_MODEL = ("checks", "emergency")

ANSWER_SCHEMA_NAME = "babyshield_answer"
ANSWER_SCHEMA: dict[str, Any] = strict_json_schema(Answer, omit=_NOT_WRITTEN_BY_THE_MODEL)


class LlmSynthesizer:
    """Writes answers with the LLM within the synthesis budget."""

    def __init__(self, llm: StructuredLlm, *, budget_sec: float = DEFAULT_SYNTH_BUDGET_SEC) -> None:
        if not isinstance(budget_sec, (int, float)) or not budget_sec > 0:
            raise ValueError(f"budget_sec must be a number of seconds > 0, got {budget_sec!r}")
        self._llm = llm
        self._budget_sec = float(budget_sec)

    async def write(self, request: SynthesisRequest) -> Answer:
        # Earlier stages may have used up the request's time: say so, rather
        # than calling it a timeout of the LLM's.
        deadline = current_deadline()
        if deadline is not None and deadline.remaining() < self._llm.retry_policy.min_attempt_sec:
            raise SynthesisError("budget_exhausted", f"{deadline.remaining():.3f} s left")
        try:
            async with stage("synth", self._budget_sec):
                return await self._llm.complete(
                    synthesis_messages(request),
                    schema_name=ANSWER_SCHEMA_NAME,
                    schema=ANSWER_SCHEMA,
                    parse=lambda reply: ground_answer(reply, request.tool_results),
                )
        except SpendCapReached as exc:
            raise SynthesisError("spend_cap", str(exc)) from exc
        except CircuitOpen as exc:
            raise SynthesisError("circuit_open", str(exc)) from exc
        except BudgetExhausted as exc:
            raise SynthesisError("budget_exhausted", str(exc)) from exc
        except (TimeoutError, openai.APITimeoutError) as exc:
            raise SynthesisError("timeout", type(exc).__name__) from exc
        except openai.RateLimitError as exc:
            raise SynthesisError("rate_limited", "HTTP 429") from exc
        except InvalidOutput as exc:
            raise SynthesisError("invalid_output", str(exc)) from exc
        except openai.APIStatusError as exc:
            raise SynthesisError("provider_error", f"HTTP {exc.status_code}") from exc
        except openai.OpenAIError as exc:
            raise SynthesisError("provider_error", type(exc).__name__) from exc


def ground_answer(reply: dict[str, Any], tool_results: Sequence[ToolResult]) -> Answer:
    """The model's reply as an answer that claims nothing the tools did not return.

    Raises :class:`InvalidOutput` when the reply is not the requested shape.
    """
    expected = set(ANSWER_SCHEMA["properties"])
    missing, unexpected = expected - set(reply), set(reply) - expected
    if missing or unexpected:
        raise InvalidOutput(
            f"the reply does not match the schema: missing {sorted(missing)}, {len(unexpected)} unexpected field(s)"
        )
    # A ValidationError here becomes InvalidOutput in StructuredLlm, which
    # describes it without quoting the reply.
    draft = Answer.model_validate({**reply, "checks": [], "emergency": None})
    if not draft.summary.strip():
        raise InvalidOutput("the reply's summary is empty")
    return draft.model_copy(
        update={
            "evidence": grounded_evidence(draft.evidence, tool_results),
            "checks": tool_checks(tool_results),
            "emergency": None,
        }
    )


def grounded_evidence(cited: Sequence[Evidence], tool_results: Sequence[ToolResult]) -> list[Evidence]:
    """The cited evidence that a tool returned, as the tool returned it, plus every recall found."""
    returned = {(item.type, item.id): item for result in tool_results for item in result.evidence}
    kept: dict[tuple[str, str], Evidence] = {}
    for item in cited:
        key = (item.type, item.id)
        if key in returned:
            kept.setdefault(key, returned[key])
    dropped = len({(item.type, item.id) for item in cited}) - len(kept)
    if dropped:
        log.warning("LLM cited evidence no tool returned; dropped", evidence_dropped=dropped)
    # A parent must never miss a recall because the model forgot to cite it.
    for key, item in returned.items():
        if item.type == "recall":
            kept.setdefault(key, item)
    return list(kept.values())


def tool_checks(tool_results: Sequence[ToolResult]) -> list[Check]:
    """The tools' checks, verbatim; a failed tool without checks reads as `unknown`."""
    checks: list[Check] = []
    for result in tool_results:
        checks.extend(result.checks)
        if not result.ok and not result.checks:
            checks.append(Check(name=result.name, status="unknown", detail="This could not be checked right now."))
    return checks
