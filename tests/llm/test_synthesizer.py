"""The LLM synthesizer end to end: real openai client, fake LLM over loopback, one test per failure mode."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from babyshield_chat.chat.model import (
    Answer,
    Check,
    Evidence,
    SynthesisError,
    SynthesisRequest,
    ToolResult,
)
from babyshield_chat.devtools.fake_llm.completions import INVENTED_RECALL_ID
from babyshield_chat.prices import DEFAULT_PRICE_TABLE
from babyshield_chat.llm.prompt import DATA_BEGIN, unfence
from babyshield_chat.llm.structured import InvalidOutput, StructuredLlm, create_openai_client
from babyshield_chat.llm.synthesizer import (
    ANSWER_SCHEMA,
    DEFAULT_SYNTH_RETRY_POLICY,
    LlmSynthesizer,
    ground_answer,
)
from babyshield_chat.resilience.deadline import (
    Deadline,
    StageTimeout,
    deadline_scope,
    run_stage,
)
from babyshield_chat.resilience.retry import RetryPolicy
from babyshield_chat.vocabulary import DEFAULT_SYNTH_BUDGET_SEC

from tests.llm.conftest import FAST_RETRY, RESET_SEC
from tests.support.spend import InMemorySpendGuard

# These tests time answers against their budgets (`budget + 100 ms`).
pytestmark = pytest.mark.usefixtures("no_gc_pauses")

BUDGET_SEC = 0.4
# The spec's promise is "before the budget plus 100 ms"; that is the bound.
SLACK_SEC = 0.1

RECALL = Evidence(type="recall", id="24-123", title="Acme Sleeper recall", url="https://www.cpsc.gov/Recalls/24-123")
LABEL = Evidence(type="label", id="acme-sleeper-label", title="Manufacturer label")
RECALL_CHECK = Check(name="recall", status="fail", detail="Recalled on 2024-05-02 for suffocation risk")
REQUEST = SynthesisRequest(
    question="Is this sleeper recalled?",
    intent="recall_details",
    locale="en-US",
    tool_results=[
        ToolResult(name="recall_lookup", ok=True, checks=[RECALL_CHECK], evidence=[RECALL, LABEL]),
        ToolResult(name="age_check", ok=False, error="timeout"),
    ],
)


@pytest.fixture
def synthesizer(make_llm) -> LlmSynthesizer:
    return LlmSynthesizer(make_llm(), budget_sec=BUDGET_SEC)


async def failing(synthesizer: LlmSynthesizer, request: SynthesisRequest = REQUEST) -> SynthesisError:
    with pytest.raises(SynthesisError) as caught:
        await synthesizer.write(request)
    return caught.value


async def test_happy_path_answer_keeps_tool_evidence_and_reports_usage_and_cost(make_llm, observer) -> None:
    spend = InMemorySpendGuard(daily_budget_usd=1.0)
    synthesizer = LlmSynthesizer(make_llm(spend_guard=spend), budget_sec=BUDGET_SEC)
    answer = await synthesizer.write(REQUEST)

    assert isinstance(answer, Answer) and answer.summary
    assert answer.evidence == [RECALL, LABEL]
    assert answer.emergency is None
    [call] = observer.calls
    assert (call.breaker, call.model, call.outcome) == ("llm:synth", "gpt-4o-mini", "ok")
    assert call.input_tokens > 0 and call.output_tokens > 0
    assert call.cost_usd == pytest.approx(DEFAULT_PRICE_TABLE.estimate_cost("gpt-4o-mini", call.input_tokens, call.output_tokens))
    assert call.cost_usd > 0
    assert spend.spent_today_usd == pytest.approx(call.cost_usd)


async def test_checks_are_the_tools_own_and_a_failed_tool_reads_unknown(synthesizer) -> None:
    answer = await synthesizer.write(REQUEST)
    assert answer.checks == [
        RECALL_CHECK,
        Check(name="age_check", status="unknown", detail="This could not be checked right now."),
    ]


async def test_the_provider_gets_a_strict_schema_and_the_question_only_as_fenced_data(synthesizer, fake_llm) -> None:
    await synthesizer.write(REQUEST)
    sent = fake_llm.state.last_request
    assert sent is not None and sent["model"] == "gpt-4o-mini"
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["strict"] is True
    assert sent["response_format"]["json_schema"]["schema"] == ANSWER_SCHEMA
    system, user = sent["messages"]
    assert REQUEST.question not in system["content"]
    assert unfence(user["content"])["question"] == REQUEST.question
    assert user["content"].split("\n")[1] == DATA_BEGIN


async def test_hanging_llm_times_out_within_the_budget_and_leaves_nothing_running(
    synthesizer, fake_llm, observer
) -> None:
    fake_llm.state.set(fault="hang")
    started = time.monotonic()
    error = await failing(synthesizer)
    elapsed = time.monotonic() - started

    assert error.reason == "timeout"
    assert elapsed < BUDGET_SEC + SLACK_SEC
    # One attempt used the whole budget; no retry could fit after it.
    assert fake_llm.state.chat_completions == 1
    assert [call.outcome for call in observer.calls] == ["timeout"]
    # The abandoned request's connection was closed, so the provider is not
    # left holding it and no task of ours is still waiting on it.
    for _ in range(50):
        if fake_llm.state.in_flight == 0:
            break
        await asyncio.sleep(0.02)
    assert fake_llm.state.in_flight == 0


async def test_an_enclosing_stage_cutting_synthesis_short_is_reported_as_a_timeout(
    synthesizer, fake_llm, observer, registry
) -> None:
    # The pipeline runs the writer inside its own "synth" stage. The writer's
    # stage narrows to the same deadline, so both timers are set for the same
    # instant and either may fire first: the enclosing one (the writer sees a
    # cancellation) or the writer's own (it reports its timeout). Both must
    # read as a timeout of the LLM.
    fake_llm.state.set(fault="hang")
    for _ in range(3):  # fail_max
        with pytest.raises((StageTimeout, SynthesisError)) as caught:
            await run_stage("pipeline-synth", 0.1, lambda: synthesizer.write(REQUEST))
        if isinstance(caught.value, SynthesisError):
            assert caught.value.reason == "timeout"
    assert [call.outcome for call in observer.calls] == ["timeout"] * 3
    # ... and each counted against the LLM, as a timeout should.
    assert registry.get("llm:synth").state == "open"


async def test_hanging_llm_is_cut_at_the_request_deadline_when_that_comes_first(synthesizer, fake_llm) -> None:
    fake_llm.state.set(fault="hang")
    started = time.monotonic()
    with deadline_scope(Deadline.after(0.25)):
        error = await failing(synthesizer)
    assert error.reason == "timeout"
    assert time.monotonic() - started < 0.25 + SLACK_SEC


async def test_server_errors_give_provider_error_after_every_retry_that_fits(synthesizer, fake_llm, retried) -> None:
    fake_llm.state.set(fault="server_error")
    error = await failing(synthesizer)
    assert error.reason == "provider_error"
    assert fake_llm.state.chat_completions == 3  # FAST_RETRY.max_attempts
    assert retried == ["llm", "llm"]


async def test_retries_stop_when_the_next_attempt_cannot_fit_in_the_budget(make_llm, fake_llm) -> None:
    # Each reply takes 0.2 s of a 0.5 s budget and an attempt needs 0.2 s:
    # the second attempt starts with ~0.3 s left, a third would have ~0.1 s.
    synthesizer = LlmSynthesizer(
        make_llm(retry_policy=RetryPolicy(max_attempts=5, base_delay_sec=0.001, max_delay_sec=0.001, min_attempt_sec=0.2)),
        budget_sec=0.5,
    )
    fake_llm.state.set(fault="server_error", latency=200)
    error = await failing(synthesizer)
    assert error.reason == "provider_error"
    assert fake_llm.state.chat_completions == 2


async def test_rate_limit_retry_waits_for_retry_after(make_llm, fake_llm, retried) -> None:
    synthesizer = LlmSynthesizer(
        make_llm(retry_policy=RetryPolicy(max_attempts=2, base_delay_sec=0.001, max_delay_sec=0.001, min_attempt_sec=0.05)),
        budget_sec=0.5,
    )
    fake_llm.state.set(fault="rate_limited", retry_after_s=0.15)
    started = time.monotonic()
    error = await failing(synthesizer)
    assert error.reason == "rate_limited"
    assert fake_llm.state.chat_completions == 2
    assert retried == ["llm"]
    # Lower bound only: the retry did not come before the server allowed it.
    assert time.monotonic() - started >= 0.15


async def test_rate_limit_with_retry_after_beyond_the_time_left_is_not_retried(synthesizer, fake_llm, retried) -> None:
    fake_llm.state.set(fault="rate_limited", retry_after_s=5)
    started = time.monotonic()
    error = await failing(synthesizer)
    assert error.reason == "rate_limited"
    assert fake_llm.state.chat_completions == 1
    assert retried == []
    # It gave up at once instead of sleeping out the budget.
    assert time.monotonic() - started < BUDGET_SEC


async def test_garbage_reply_is_invalid_output_and_not_retried(synthesizer, fake_llm, observer) -> None:
    fake_llm.state.set(fault="garbage")
    error = await failing(synthesizer)
    assert error.reason == "invalid_output"
    assert "not JSON" in str(error)
    assert fake_llm.state.chat_completions == 1
    assert [call.outcome for call in observer.calls] == ["invalid_output"]
    # Tokens of a useless reply were still paid for, and are still counted.
    assert observer.calls[0].output_tokens > 0


async def test_truncated_json_is_invalid_output(synthesizer, fake_llm) -> None:
    fake_llm.state.set(fault="truncated")
    error = await failing(synthesizer)
    assert error.reason == "invalid_output"


async def test_invalid_output_does_not_open_the_circuit(synthesizer, fake_llm, registry) -> None:
    fake_llm.state.set(fault="garbage")
    for _ in range(5):  # more than fail_max=3
        assert (await failing(synthesizer)).reason == "invalid_output"
    assert registry.get("llm:synth").state == "closed"
    assert fake_llm.state.chat_completions == 5


async def test_failing_llm_opens_the_circuit_and_later_calls_never_reach_it(make_llm, fake_llm, registry) -> None:
    synthesizer = LlmSynthesizer(make_llm(retry_policy=RetryPolicy(max_attempts=1)), budget_sec=BUDGET_SEC)
    fake_llm.state.set(fault="server_error")
    for _ in range(3):  # fail_max
        assert (await failing(synthesizer)).reason == "provider_error"
    assert registry.get("llm:synth").state == "open"

    received = fake_llm.state.chat_completions
    for _ in range(5):
        assert (await failing(synthesizer)).reason == "circuit_open"
    assert fake_llm.state.chat_completions == received


async def test_after_the_reset_time_a_single_trial_closes_the_circuit(make_llm, fake_llm, registry) -> None:
    synthesizer = LlmSynthesizer(make_llm(retry_policy=RetryPolicy(max_attempts=1)), budget_sec=1.0)
    fake_llm.state.set(fault="server_error")
    for _ in range(3):
        await failing(synthesizer)
    fake_llm.state.set(fault="none", latency=100)  # healed, and slow enough to overlap
    await asyncio.sleep(RESET_SEC + 0.05)

    received = fake_llm.state.chat_completions
    outcomes = await asyncio.gather(*(synthesizer.write(REQUEST) for _ in range(10)), return_exceptions=True)
    answers = [o for o in outcomes if isinstance(o, Answer)]
    refused = [o for o in outcomes if isinstance(o, SynthesisError) and o.reason == "circuit_open"]
    assert (len(answers), len(refused)) == (1, 9)
    assert fake_llm.state.chat_completions == received + 1
    assert registry.get("llm:synth").state == "closed"
    # Closed again: the next call goes through.
    assert isinstance(await synthesizer.write(REQUEST), Answer)


async def test_hanging_llm_timeouts_count_towards_opening_the_circuit(synthesizer, fake_llm, registry) -> None:
    fake_llm.state.set(fault="hang")
    for _ in range(3):
        assert (await failing(synthesizer)).reason == "timeout"
    assert registry.get("llm:synth").state == "open"
    assert (await failing(synthesizer)).reason == "circuit_open"


async def test_client_going_away_is_not_counted_against_the_llm(synthesizer, fake_llm, registry, observer) -> None:
    fake_llm.state.set(fault="hang")
    for _ in range(5):  # more than fail_max=3
        write = asyncio.create_task(synthesizer.write(REQUEST))
        while fake_llm.state.in_flight == 0:
            await asyncio.sleep(0.005)
        write.cancel()  # the app's client disconnected
        with pytest.raises(asyncio.CancelledError):
            await write
        while fake_llm.state.in_flight:
            await asyncio.sleep(0.005)
    assert registry.get("llm:synth").state == "closed"
    # Not an LLM outcome either: nothing for the metrics.
    assert observer.calls == []


async def test_invented_evidence_never_reaches_the_answer(synthesizer, fake_llm) -> None:
    fake_llm.state.set(fault="invent_evidence")
    answer = await synthesizer.write(REQUEST)
    assert INVENTED_RECALL_ID not in {e.id for e in answer.evidence}
    assert answer.evidence == [RECALL, LABEL]


async def test_spend_cap_reached_means_no_llm_call(make_llm, fake_llm) -> None:
    synthesizer = LlmSynthesizer(make_llm(spend_guard=InMemorySpendGuard(daily_budget_usd=0)), budget_sec=BUDGET_SEC)
    error = await failing(synthesizer)
    assert error.reason == "spend_cap"
    assert fake_llm.state.chat_completions == 0


async def test_no_time_left_for_synthesis_is_budget_exhausted(synthesizer, fake_llm, observer) -> None:
    with deadline_scope(Deadline.after(0.01)):
        error = await failing(synthesizer)
    assert error.reason == "budget_exhausted"
    assert fake_llm.state.chat_completions == 0


async def test_unreachable_provider_is_a_provider_error_after_retries(make_llm, fake_llm, observer) -> None:
    await fake_llm.__aexit__(None, None, None)  # nothing listens on the port any more
    synthesizer = LlmSynthesizer(make_llm(), budget_sec=BUDGET_SEC)
    error = await failing(synthesizer)
    assert error.reason == "provider_error"
    assert [call.outcome for call in observer.calls] == ["connection_error"] * 3


def test_synthesis_error_only_takes_documented_fallback_reasons() -> None:
    assert SynthesisError("timeout").reason == "timeout"
    with pytest.raises(ValueError, match="'llm_sad'"):
        SynthesisError("llm_sad")


def reply(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "summary": "This sleeper was recalled.",
        "reasons": [],
        "flags": [],
        "evidence": [],
        "suggested_questions": [],
        "disclaimer": "Not medical advice.",
    }
    base.update(overrides)
    return base


def test_cited_evidence_is_replaced_by_the_tools_own_record() -> None:
    tampered = {"type": "recall", "id": "24-123", "title": "Totally safe", "url": "https://phish.example", "date": None}
    answer = ground_answer(reply(evidence=[tampered]), REQUEST.tool_results)
    assert answer.evidence == [RECALL]


def test_a_recall_the_model_forgot_to_cite_is_still_cited() -> None:
    answer = ground_answer(reply(evidence=[]), REQUEST.tool_results)
    assert answer.evidence == [RECALL]


def test_evidence_with_a_known_id_but_another_type_is_dropped() -> None:
    wrong_type = {"type": "regulation", "id": "24-123", "title": "x", "url": None, "date": None}
    answer = ground_answer(reply(evidence=[wrong_type]), REQUEST.tool_results)
    assert answer.evidence == [RECALL]


@pytest.mark.parametrize(
    ("bad_reply", "problem"),
    [
        ({k: v for k, v in reply().items() if k != "disclaimer"}, "missing ['disclaimer']"),
        (reply(checks=[{"name": "recall", "status": "pass", "detail": "fine"}]), "1 unexpected field"),
        (reply(summary="   "), "summary is empty"),
    ],
)
def test_replies_not_of_the_answer_shape_are_invalid_output(bad_reply: dict, problem: str) -> None:
    with pytest.raises(InvalidOutput, match=re.escape(problem)):
        ground_answer(bad_reply, REQUEST.tool_results)


@pytest.mark.parametrize("bad", [0, -1.5, "1.5"])
def test_invalid_budget_is_rejected_naming_the_value(make_llm, bad: object) -> None:
    with pytest.raises(ValueError, match=re.escape(f"got {bad!r}")):
        LlmSynthesizer(make_llm(), budget_sec=bad)  # type: ignore[arg-type]


async def test_default_policy_does_not_start_a_call_it_cannot_finish(make_llm, fake_llm) -> None:
    synthesizer = LlmSynthesizer(make_llm(retry_policy=DEFAULT_SYNTH_RETRY_POLICY))
    with deadline_scope(Deadline.after(0.3)):  # earlier stages left 0.3 s of the request
        error = await failing(synthesizer)
    assert error.reason == "budget_exhausted"
    assert fake_llm.state.chat_completions == 0


def test_default_policy_leaves_room_for_an_attempt_and_a_retry_in_the_default_budget() -> None:
    assert 2 * DEFAULT_SYNTH_RETRY_POLICY.min_attempt_sec <= DEFAULT_SYNTH_BUDGET_SEC


async def test_a_reply_that_is_not_http_is_a_provider_error_after_retries(registry, observer) -> None:
    """A provider answering garbage bytes gets the fallback writer, never a 500."""

    async def not_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HELLO WORLD\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(not_http, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = create_openai_client(f"http://127.0.0.1:{port}/v1", "test-key")
    try:
        llm = StructuredLlm(client, breaker=registry.get("llm:synth"), retry_policy=FAST_RETRY, observer=observer)
        error = await failing(LlmSynthesizer(llm, budget_sec=BUDGET_SEC))
    finally:
        await client.close()
        server.close()
    assert error.reason == "provider_error"
    assert [call.outcome for call in observer.calls] == ["connection_error"] * 3
