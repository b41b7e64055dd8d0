"""Running an intent's tools: a tool that fails or is skipped reads `unknown`, and its span says why without data."""

from __future__ import annotations

import datetime as dt

import pytest

from babyshield_chat.chat.model import Profile, ToolResult
from babyshield_chat.chat.tools import registry
from babyshield_chat.chat.tools.context import ToolContext
from babyshield_chat.resilience.breaker import CircuitOpen
from babyshield_chat.telemetry import Telemetry
from babyshield_chat.telemetry.testing import finished_spans

SECRET = "my son Liam, 2, allergic to peanuts"


@pytest.fixture
def telemetry() -> Telemetry:
    return Telemetry.for_tests()


def context(telemetry: Telemetry) -> ToolContext:
    return ToolContext(question=SECRET, product=None, profile=Profile(), database=None, tracer=telemetry.tracer,
                       now=dt.datetime(2026, 3, 15, tzinfo=dt.UTC), recalls_max_age_days=7)


async def test_a_failing_tool_reads_unknown_and_its_span_keeps_the_type_not_the_message(monkeypatch, telemetry):
    async def broken(ctx: ToolContext) -> ToolResult:
        raise RuntimeError(f"cannot parse {ctx.question}")

    monkeypatch.setitem(registry.TOOLS, "age_check", broken)
    [run] = [run for run in await registry.run_tools(registry.TOOLS_BY_INTENT["explain_scan"], context(telemetry), budget_sec=0.5,
                                                      tracer=telemetry.tracer) if run.result.name == "age_check"]

    assert (run.outcome, run.result.ok) == ("error", False)
    assert [check.status for check in run.result.checks] == ["unknown"]
    [span] = finished_spans(telemetry, "execute_tool age_check")
    assert span.attributes["error.type"] == "RuntimeError"
    assert SECRET not in str([event.attributes for event in span.events])


async def test_a_skipped_tool_is_a_short_circuit_that_reads_unknown(monkeypatch, telemetry):
    async def refuse(name: str, call) -> ToolResult:
        raise CircuitOpen(f"tool:{name}", 1.0)

    seen = []
    runs = await registry.run_tools(("recall_lookup",), context(telemetry), budget_sec=0.5, tracer=telemetry.tracer,
                                    guard=refuse, observe=lambda *args: seen.append(args[:2]))

    [run] = runs
    assert (run.outcome, run.short_circuited) == ("circuit_open", True)
    assert [check.status for check in run.result.checks] == ["unknown"]
    assert seen == [("recall_lookup", "circuit_open")]
