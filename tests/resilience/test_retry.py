"""Behaviour of deadline-bounded retries (spec section 4, retries)."""

from __future__ import annotations

import asyncio
import email.utils
import errno
import random
import time
from dataclasses import dataclass

import asyncpg
import httpx2
import openai
import pytest

from babyshield_chat.resilience.breaker import AsyncCircuitBreaker, CircuitOpen
from babyshield_chat.resilience.deadline import Deadline, deadline_scope
from babyshield_chat.resilience.retry import (
    BudgetExhausted,
    RetryPolicy,
    any_of,
    is_transient_connection_error,
    is_transient_openai_error,
    retry_after_from_response,
    retry_call,
)

_REQUEST = httpx2.Request("POST", "http://127.0.0.1:9/v1/chat/completions")


def status_error(status: int, headers: dict[str, str] | None = None) -> openai.APIStatusError:
    response = httpx2.Response(status, headers=headers or {}, request=_REQUEST)
    classes = {400: openai.BadRequestError, 401: openai.AuthenticationError, 429: openai.RateLimitError}
    cls = classes.get(status, openai.InternalServerError if status >= 500 else openai.APIStatusError)
    return cls(f"HTTP {status}", response=response, body=None)


@dataclass
class Flaky:
    """A dependency that raises the given errors in turn, then answers."""

    errors: list[BaseException]
    calls: int = 0
    work_sec: float = 0.0

    async def __call__(self) -> str:
        self.calls += 1
        if self.work_sec:
            await asyncio.sleep(self.work_sec)  # an attempt that takes time
        if self.errors:
            raise self.errors.pop(0)
        return "answer"


def fast_policy(**overrides: object) -> RetryPolicy:
    settings: dict[str, object] = {"base_delay_sec": 0.001, "max_delay_sec": 0.002, "min_attempt_sec": 0.05}
    settings.update(overrides)
    return RetryPolicy(**settings)  # type: ignore[arg-type]


async def test_transient_failure_is_retried_and_the_retry_is_reported() -> None:
    retried: list[str] = []
    dependency = Flaky([status_error(503)])
    result = await retry_call(dependency, dependency="llm", policy=fast_policy(), on_retry=retried.append)
    assert result == "answer"
    assert dependency.calls == 2
    assert retried == ["llm"]


async def test_non_transient_failure_is_raised_at_once() -> None:
    retried: list[str] = []
    dependency = Flaky([status_error(400)])
    with pytest.raises(openai.BadRequestError):
        await retry_call(dependency, dependency="llm", policy=fast_policy(), on_retry=retried.append)
    assert dependency.calls == 1
    assert retried == []


async def test_after_the_last_attempt_the_original_error_is_raised() -> None:
    dependency = Flaky([status_error(500) for _ in range(5)])
    with pytest.raises(openai.InternalServerError, match="HTTP 500"):
        await retry_call(dependency, dependency="llm", policy=fast_policy(max_attempts=3))
    assert dependency.calls == 3


async def test_no_attempt_is_started_without_the_minimum_time_left() -> None:
    dependency = Flaky([])
    with deadline_scope(Deadline.after(0.01)), pytest.raises(BudgetExhausted, match="llm"):
        await retry_call(dependency, dependency="llm", policy=fast_policy(min_attempt_sec=0.05))
    assert dependency.calls == 0


async def test_retries_stop_when_the_next_attempt_would_not_fit_in_the_time_left() -> None:
    # Each attempt takes 0.1 s; with 0.25 s and a 0.1 s minimum per attempt,
    # the third attempt (which would start at ~0.2 s) cannot fit.
    dependency = Flaky([status_error(503) for _ in range(10)], work_sec=0.1)
    started = time.monotonic()
    with deadline_scope(Deadline.after(0.25)), pytest.raises(openai.InternalServerError):
        await retry_call(dependency, dependency="llm", policy=fast_policy(max_attempts=10, min_attempt_sec=0.1))
    assert dependency.calls == 2
    assert time.monotonic() - started < 0.25


async def test_retry_after_from_the_server_is_waited_for() -> None:
    dependency = Flaky([status_error(429, {"retry-after-ms": "150"})])
    started = time.monotonic()
    with deadline_scope(Deadline.after(2.0)):
        assert await retry_call(dependency, dependency="llm", policy=fast_policy()) == "answer"
    # A lower bound only: the retry must not come before the server allowed it.
    assert time.monotonic() - started >= 0.15
    assert dependency.calls == 2


async def test_retry_after_beyond_the_time_left_means_no_retry() -> None:
    retried: list[str] = []
    dependency = Flaky([status_error(429, {"retry-after": "5"})])
    started = time.monotonic()
    with deadline_scope(Deadline.after(0.5)), pytest.raises(openai.RateLimitError):
        await retry_call(dependency, dependency="llm", policy=fast_policy(), on_retry=retried.append)
    assert dependency.calls == 1
    assert retried == []
    # It gave up at once rather than sleeping towards the deadline.
    assert time.monotonic() - started < 0.1


async def test_an_open_breaker_inside_stops_the_retries_at_once() -> None:
    breaker = AsyncCircuitBreaker("llm:synth", fail_max=2, reset_timeout_sec=30)
    dependency = Flaky([status_error(500) for _ in range(10)])
    with pytest.raises(CircuitOpen):
        await retry_call(lambda: breaker.call(dependency), dependency="llm", policy=fast_policy(max_attempts=5))
    # Each attempt counted as one breaker failure; after two the circuit
    # opened and the third attempt never reached the dependency.
    assert dependency.calls == 2


async def test_a_failing_retry_hook_does_not_stop_the_retry() -> None:
    def broken_hook(dependency: str) -> None:
        raise RuntimeError("metrics are down")

    dependency = Flaky([status_error(502)])
    assert await retry_call(dependency, dependency="llm", policy=fast_policy(), on_retry=broken_hook) == "answer"


def test_backoff_is_full_jitter_capped_exponentially() -> None:
    policy = RetryPolicy(base_delay_sec=0.1, max_delay_sec=0.3, rng=random.Random(7))
    for retry_number, cap in [(1, 0.1), (2, 0.2), (3, 0.3), (6, 0.3)]:
        samples = [policy.backoff_sec(retry_number) for _ in range(500)]
        assert all(0 <= sample <= cap for sample in samples)
        # Full jitter spreads over the whole range, not just near the cap.
        assert min(samples) < cap * 0.1 and max(samples) > cap * 0.9


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (status_error(429), True),
        (status_error(500), True),
        (status_error(503), True),
        (status_error(400), False),
        (status_error(401), False),
        (openai.APITimeoutError(request=_REQUEST), True),
        (openai.APIConnectionError(request=_REQUEST), True),
        (TimeoutError(), True),
        (ValueError("bad json"), False),
    ],
)
def test_openai_errors_are_classified(exc: BaseException, transient: bool) -> None:
    assert is_transient_openai_error(exc) is transient


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"), True),
        (asyncpg.exceptions.CannotConnectNowError("the database system is starting up"), True),
        (asyncpg.exceptions.AdminShutdownError("terminating connection"), True),
        (asyncpg.exceptions.TooManyConnectionsError("too many clients"), True),
        (ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed"), True),
        (OSError(errno.EHOSTUNREACH, "No route to host"), True),
        (OSError("Multiple exceptions: [Errno 111] Connect call failed"), True),
        (TimeoutError(), True),
        (asyncpg.exceptions.UniqueViolationError("duplicate key"), False),
        (asyncpg.exceptions.QueryCanceledError("statement timeout"), False),
        (FileNotFoundError(errno.ENOENT, "no such file"), False),
        (ValueError("bad row"), False),
    ],
)
def test_connection_errors_are_classified(exc: BaseException, transient: bool) -> None:
    assert is_transient_connection_error(exc) is transient


def test_any_of_combines_predicates() -> None:
    predicate = any_of(is_transient_openai_error, is_transient_connection_error)
    assert predicate(status_error(502))
    assert predicate(asyncpg.exceptions.CannotConnectNowError("starting up"))
    assert not predicate(ValueError("bad"))


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "0.5", "retry-after-ms": "100"}, 0.1),
        ({"retry-after-ms": "soon", "retry-after": "3"}, 3.0),
        ({"retry-after": "-1"}, None),
        ({"retry-after": "whenever"}, None),
        ({}, None),
    ],
)
def test_retry_after_is_read_from_the_response_headers(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_from_response(status_error(429, headers)) == expected


def test_retry_after_as_an_http_date_is_seconds_from_now() -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    seconds = retry_after_from_response(status_error(429, {"retry-after": when}))
    assert seconds is not None and 28 <= seconds <= 30


def test_retry_after_is_none_for_errors_without_a_response() -> None:
    assert retry_after_from_response(TimeoutError()) is None


@pytest.mark.parametrize(
    ("kwargs", "bad"),
    [
        ({"max_attempts": 0}, "0"),
        ({"base_delay_sec": -0.1}, "-0.1"),
        ({"max_delay_sec": float("inf")}, "inf"),
        ({"min_attempt_sec": "fast"}, "'fast'"),
    ],
)
def test_invalid_policy_is_rejected_naming_the_value(kwargs: dict[str, object], bad: str) -> None:
    with pytest.raises(ValueError, match=f"got {bad}"):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]
