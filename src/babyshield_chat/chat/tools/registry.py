"""Which tools answer which intent, and running them under budget.

`TOOLS_BY_INTENT` is the one table of the pipeline's step 4 (the routing
takes the union of it over a message's concerns). `run_tools`
runs the chosen tools concurrently, each in its own stage of
`min(tool budget, time left)`, behind its `tool:<name>` breaker when a guard
is given. A tool that fails, times out or is short-circuited yields
`ok: false` and `unknown` checks with the reason: never `pass`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence

from opentelemetry import trace

from babyshield_chat.resilience.breaker import CircuitOpen
from babyshield_chat.resilience.deadline import StageTimeout, stage
from babyshield_chat.chat.model import Check, ToolResult
from babyshield_chat.chat.tools import pure
from babyshield_chat.chat.tools.alternatives import alternatives
from babyshield_chat.chat.tools.context import ToolContext
from babyshield_chat.chat.tools.recall_lookup import recall_lookup
from babyshield_chat.telemetry.tracing import record_error, tool_span
from babyshield_chat.vocabulary import Intent, ToolName, ToolOutcome

Tool = Callable[[ToolContext], Awaitable[ToolResult]]
# guard(tool name, call) → result; wraps a call in its breaker and retry policy.
Guard = Callable[[str, Callable[[], Awaitable[ToolResult]]], Awaitable[ToolResult]]
# observe(tool name, outcome, seconds)
Observer = Callable[[ToolName, ToolOutcome, float], None]

TOOLS: Mapping[ToolName, Tool] = {
    "recall_lookup": recall_lookup,
    "age_check": pure.age_check,
    "allergen_check": pure.allergen_check,
    "pregnancy_check": pure.pregnancy_check,
    "ingredient_info": pure.ingredient_info,
    "alternatives": alternatives,
}

#: The check each tool answers, reported as `unknown` when the tool cannot run.
CHECK_NAMES: Mapping[ToolName, str | None] = {
    "recall_lookup": "recall",
    "age_check": "age",
    "allergen_check": "allergens",
    "pregnancy_check": "pregnancy",
    "ingredient_info": "ingredients",
    "alternatives": None,
}

#: Spec step 4: the tools of each intent. A recall check rides along wherever
#: a product is discussed, because a recalled product is never "fine".
TOOLS_BY_INTENT: Mapping[Intent, tuple[ToolName, ...]] = {
    "recall_details": ("recall_lookup",),
    "pregnancy_risk": ("pregnancy_check", "recall_lookup"),
    "allergy_question": ("allergen_check", "recall_lookup"),
    "ingredient_info": ("ingredient_info", "allergen_check"),
    "age_appropriateness": ("age_check", "recall_lookup"),
    "alternative_products": ("alternatives", "recall_lookup"),
    "unclear_intent": ("recall_lookup",),
    "explain_scan": ("recall_lookup", "age_check", "allergen_check", "pregnancy_check", "ingredient_info"),
    "emergency": (),
}


@dataclasses.dataclass(frozen=True)
class ToolRun:
    result: ToolResult
    outcome: ToolOutcome
    short_circuited: bool = False


def failed(name: ToolName, reason: str, latency_ms: int = 0) -> ToolResult:
    check = CHECK_NAMES.get(name)
    checks = [Check(name=check, status="unknown", detail=f"Could not be checked: {reason}.")] if check else []
    return ToolResult(name=name, ok=False, latency_ms=latency_ms, checks=checks, error=reason)


async def run_tools(
    names: Sequence[ToolName], ctx: ToolContext, *, budget_sec: float, tracer: trace.Tracer,
    guard: Guard | None = None, observe: Observer | None = None,
) -> list[ToolRun]:
    """Run the named tools concurrently (the routing decides which: `chat.routing.tools_for`)."""
    return list(await asyncio.gather(*(
        _run_one(name, ctx, budget_sec=budget_sec, tracer=tracer, guard=guard, observe=observe) for name in names
    )))


async def _run_one(name: ToolName, ctx: ToolContext, *, budget_sec: float, tracer: trace.Tracer,
                   guard: Guard | None, observe: Observer | None) -> ToolRun:
    tool = TOOLS[name]
    started = time.perf_counter()
    with tool_span(tracer, name) as span:
        short = False
        try:
            async with stage(f"tool:{name}", budget_sec):
                result = await (guard(name, lambda: tool(ctx)) if guard else tool(ctx))
            outcome = "ok" if result.ok else "error"
        except StageTimeout as exc:
            result, outcome = failed(name, f"it took longer than {exc.timeout_sec * 1000:.0f} ms"), "timeout"
        except CircuitOpen:
            # The breaker's listener has put `breaker.short_circuit` on this span already.
            result, outcome, short = failed(name, "the service behind it is failing; it was skipped"), "circuit_open", True
        except Exception as exc:  # a tool's failure must never fail the answer
            result, outcome = failed(name, f"it failed ({type(exc).__name__})"), "error"
            record_error(span, exc)  # type and stack only: the message may quote the data
        seconds = time.perf_counter() - started
        span.set_attribute("babyshield.tool.outcome", outcome)
    if observe is not None:
        observe(name, outcome, seconds)
    return ToolRun(result.model_copy(update={"latency_ms": int(seconds * 1000)}), outcome, short)
