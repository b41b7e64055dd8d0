"""Retries of transient failures that never outrun the deadline.

Spec section 4: retry only transient errors (timeouts, connection errors,
429, 5xx), back off exponentially with jitter, honour ``Retry-After``, and
never start an attempt that cannot finish inside the time left. tenacity runs
the loop; this module supplies the policy: what is transient (a pluggable
predicate; ready-made ones for the openai client and for PostgreSQL
connections), how long to wait, and when the deadline says stop.

Order with the circuit breaker: **retry outside, breaker inside**::

    await retry_call(lambda: breaker.call(attempt), dependency="llm", policy=policy)

- Each attempt is one breaker call, so every failed attempt is a failure the
  breaker counts; a dependency that is down opens the circuit after
  ``fail_max`` attempts, not ``fail_max`` whole retry loops.
- Once the circuit opens, the next attempt gets ``CircuitOpen``, which is not
  transient, so the loop stops at once instead of sleeping into the deadline.
- A half-open trial is a single attempt: the breaker's one trial slot is never
  held across a backoff sleep while every other caller is turned away.

Each attempt sets its own timeouts from
:func:`~babyshield_chat.resilience.deadline.current_deadline`; this loop only
decides whether there is time to start one.
"""

from __future__ import annotations

import dataclasses
import email.utils
import errno
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import asyncpg
import openai
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception

from babyshield_chat.resilience.deadline import current_deadline
from babyshield_chat.telemetry.logging import EventLog

__all__ = [
    "DEFAULT_BASE_DELAY_SEC",
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_MAX_DELAY_SEC",
    "DEFAULT_MIN_ATTEMPT_SEC",
    "BudgetExhausted",
    "RetryHook",
    "RetryPolicy",
    "any_of",
    "is_transient_connection_error",
    "is_transient_openai_error",
    "retry_after_from_response",
    "retry_call",
]

log = EventLog(__name__)

T = TypeVar("T")

DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_BASE_DELAY_SEC = 0.05
DEFAULT_MAX_DELAY_SEC = 1.0
#: An attempt is not started with less time than this left on the deadline.
DEFAULT_MIN_ATTEMPT_SEC = 0.1

TransientPredicate = Callable[[BaseException], bool]
RetryAfterReader = Callable[[BaseException], "float | None"]
#: Called with the dependency name before every retry; telemetry turns it into
#: `chat_retries_total{dependency}`, whose values are `llm`, `db` and the tool
#: names (`recall_lookup`, ...), so callers pass one of those.
RetryHook = Callable[[str], None]


def is_transient_openai_error(exc: BaseException) -> bool:
    """Timeouts, connection errors, 429 and 5xx from the openai client."""
    # APITimeoutError is an APIConnectionError.
    if isinstance(exc, openai.APIConnectionError):
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code == 429 or exc.status_code >= 500
    return isinstance(exc, TimeoutError)


# Socket errors that say "the other side is unreachable right now", not
# "you asked for something wrong".
_NETWORK_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.ENETDOWN,
        errno.ETIMEDOUT,
        errno.EPIPE,
    }
)

_TRANSIENT_POSTGRES = (
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08: the connection failed or is gone
    asyncpg.exceptions.CannotConnectNowError,  # 57P03: starting up / recovering
    asyncpg.exceptions.AdminShutdownError,  # 57P01: failover, restart
    asyncpg.exceptions.CrashShutdownError,  # 57P02
    asyncpg.exceptions.TooManyConnectionsError,  # 53300
)


def is_transient_connection_error(exc: BaseException) -> bool:
    """PostgreSQL (asyncpg) and socket errors that a new connection may not see."""
    if isinstance(exc, (_TRANSIENT_POSTGRES, ConnectionError, TimeoutError)):
        return True
    if isinstance(exc, OSError):
        if exc.errno in _NETWORK_ERRNOS:
            return True
        # asyncio's create_connection folds "every address refused" into a
        # bare OSError without an errno.
        return exc.errno is None and str(exc).startswith("Multiple exceptions")
    return False


def any_of(*predicates: TransientPredicate) -> TransientPredicate:
    """A predicate that holds when any of `predicates` does."""

    def combined(exc: BaseException) -> bool:
        return any(predicate(exc) for predicate in predicates)

    return combined


def retry_after_from_response(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait, from the exception's HTTP response.

    Reads ``retry-after-ms`` (OpenAI's sub-second form) first, then
    ``Retry-After`` as delta-seconds or an HTTP date. None when absent or
    unreadable: a malformed header is the server's problem, not a reason to
    stop retrying.
    """
    headers = getattr(getattr(exc, "response", None), "headers", None)
    if headers is None:
        return None
    value = headers.get("retry-after-ms")
    if value is not None:
        seconds = _non_negative_float(value)
        if seconds is not None:
            return seconds / 1000
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _non_negative_float(value)
    if seconds is not None:
        return seconds
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def _non_negative_float(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


@dataclass(frozen=True)
class RetryPolicy:
    """How one dependency is retried.

    The backoff is exponential with full jitter: the n-th retry waits a
    uniformly random time in ``[0, min(max_delay_sec, base_delay_sec * 2**(n-1))]``,
    so callers that failed together do not come back together. A Retry-After
    from the server is a floor on the wait.
    """

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    base_delay_sec: float = DEFAULT_BASE_DELAY_SEC
    max_delay_sec: float = DEFAULT_MAX_DELAY_SEC
    min_attempt_sec: float = DEFAULT_MIN_ATTEMPT_SEC
    is_transient: TransientPredicate = is_transient_openai_error
    retry_after: RetryAfterReader = retry_after_from_response
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int) or self.max_attempts < 1:
            raise ValueError(f"max_attempts must be an integer >= 1, got {self.max_attempts!r}")
        for name in ("base_delay_sec", "max_delay_sec", "min_attempt_sec"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number of seconds >= 0, got {value!r}")

    def fitted_to(self, budget_sec: float) -> RetryPolicy:
        """This policy for a stage of `budget_sec`: the minimum attempt is at most half of it.

        A stage whose whole budget is below the minimum attempt would
        otherwise never start one (`BS_CHAT_SYNTH_BUDGET_SEC=0.5` against a
        0.5 s minimum: every answer `budget_exhausted` without calling the
        LLM). Spec section 4a: it makes one attempt with the time there is.
        """
        return dataclasses.replace(self, min_attempt_sec=min(self.min_attempt_sec, budget_sec / 2))

    def backoff_sec(self, retry_number: int) -> float:
        """The jittered wait before retry number `retry_number` (1 for the first retry)."""
        cap = min(self.max_delay_sec, self.base_delay_sec * 2 ** (retry_number - 1))
        return self.rng.uniform(0, cap)


class BudgetExhausted(Exception):
    """Not enough time left on the deadline to start even the first attempt."""

    def __init__(self, dependency: str, remaining_sec: float, min_attempt_sec: float) -> None:
        super().__init__(f"{dependency}: {remaining_sec:.3f} s left, an attempt needs at least {min_attempt_sec:.3f} s")
        self.dependency = dependency
        self.remaining_sec = remaining_sec
        self.min_attempt_sec = min_attempt_sec


async def retry_call(
    fn: Callable[[], Awaitable[T]],
    *,
    dependency: str,
    policy: RetryPolicy,
    on_retry: RetryHook | None = None,
) -> T:
    """Await ``fn()``, retrying transient failures while the deadline allows.

    Raises :class:`BudgetExhausted` when there is no time for a first
    attempt. When retries stop (not transient, attempts used up, or the next
    attempt would not fit in the time left) the last exception is raised as
    it is, so callers can tell a 429 from a 500 from a timeout.
    """
    deadline = current_deadline()

    def time_left() -> float:
        return deadline.remaining() if deadline is not None else math.inf

    if time_left() < policy.min_attempt_sec:
        raise BudgetExhausted(dependency, time_left(), policy.min_attempt_sec)

    def wait(state: RetryCallState) -> float:
        backoff = policy.backoff_sec(state.attempt_number)
        exc = state.outcome.exception() if state.outcome is not None else None
        asked = policy.retry_after(exc) if exc is not None else None
        return backoff if asked is None else max(asked, backoff)

    def stop(state: RetryCallState) -> bool:
        # tenacity has already computed the wait (upcoming_sleep): stop when
        # the attempt after it could not get its minimum time.
        if state.attempt_number >= policy.max_attempts:
            return True
        return time_left() - state.upcoming_sleep < policy.min_attempt_sec

    def before_sleep(state: RetryCallState) -> None:
        if on_retry is None:
            return
        try:
            on_retry(dependency)
        except Exception:
            log.exception("retry hook failed", dependency=dependency)

    # The first attempt runs on its own: most calls succeed or fail for good
    # here, without tenacity's bookkeeping (about 35 µs a call, twice per chat
    # request). A transient failure is handed to tenacity as its first
    # attempt's outcome, so waits, stops and the retry hook are as before.
    try:
        return await fn()
    except Exception as exc:
        if not policy.is_transient(exc):
            raise
        first_failure: Exception | None = exc

    async def attempt() -> T:
        # tenacity only awaits what `inspect` says is a coroutine function; a
        # lambda returning a coroutine would come back unawaited as a result.
        nonlocal first_failure
        if first_failure is not None:
            failure, first_failure = first_failure, None
            raise failure
        return await fn()

    retrying = AsyncRetrying(
        retry=retry_if_exception(policy.is_transient),
        wait=wait,
        stop=stop,
        before_sleep=before_sleep,
        reraise=True,
    )
    return await retrying(attempt)
