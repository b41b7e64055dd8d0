"""Circuit breakers for async calls, on top of pybreaker.

pybreaker 1.4.1 has no asyncio support that holds up (spec section 10): a
decorated ``async def`` never counts a failure, the half-open state lets every
concurrent caller through, a ``CancelledError`` counts as a failure, and the
call that trips the breaker gets ``CircuitBreakerError`` instead of its own
exception. So this adapter never lets pybreaker await anything. It decides
admission itself and then *replays* each finished call's outcome through
pybreaker's synchronous state machine, which keeps the counting, the
transitions and the listener plumbing that pybreaker gets right:

- closed: every call is admitted; failures are counted, ``fail_max``
  consecutive ones open the circuit.
- open: calls fail at once with :class:`CircuitOpen` until ``reset_timeout_sec``
  has passed on the monotonic clock.
- half-open: exactly one caller, the trial, reaches the dependency; everyone
  else gets :class:`CircuitOpen` until the trial settles. Its success closes
  the circuit, its failure opens it again.

What counts:

- an ``Exception`` from the call is a failure, including ``TimeoutError``,
  unless the caller declared it "not the dependency's fault" (``ignore``);
- a ``CancelledError`` caused by a deadline (see
  :func:`~babyshield_chat.resilience.deadline.cancelled_by_deadline`) is a
  timeout, so a failure; any other cancellation (the client went away) is
  neither failure nor success;
- ignored exceptions and other cancellations are neutral: a neutral trial
  frees the half-open slot for the next caller.

The caller always gets its own exception back, unchanged.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Literal, Protocol, TypeVar

import pybreaker

from babyshield_chat.resilience.deadline import cancelled_by_deadline
from babyshield_chat.vocabulary import DEFAULT_BREAKER_FAIL_MAX, DEFAULT_BREAKER_RESET_SEC
from babyshield_chat.telemetry.logging import EventLog

__all__ = [
    "STATE_GAUGE_VALUES",
    "AsyncCircuitBreaker",
    "BreakerListener",
    "BreakerRegistry",
    "BreakerState",
    "CircuitOpen",
    "ExceptionFilter",
]

log = EventLog(__name__)

T = TypeVar("T")

BreakerState = Literal["closed", "half-open", "open"]

#: Values of the `chat_circuit_state` gauge (spec section 5).
STATE_GAUGE_VALUES: Mapping[BreakerState, int] = {"closed": 0, "half-open": 1, "open": 2}

#: Exceptions a call may raise that are not the dependency's fault: a tuple of
#: exception types, or a predicate over the exception.
ExceptionFilter = tuple[type[BaseException], ...] | Callable[[BaseException], bool]

# Breaker names become metric labels, so they come from a closed set written
# in code: `tool:recall_lookup`, `llm:synth`, ...
_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(:[a-z][a-z0-9_]*)?$")


class CircuitOpen(Exception):
    """The breaker refused the call without reaching the dependency.

    `retry_after_sec` is how long until the breaker will let a trial through;
    0.0 while a half-open trial is in flight (it may close any moment).
    """

    def __init__(self, breaker_name: str, retry_after_sec: float) -> None:
        super().__init__(f"circuit {breaker_name!r} is open; retry after {retry_after_sec:.3f} s")
        self.breaker_name = breaker_name
        self.retry_after_sec = retry_after_sec


class BreakerListener(Protocol):
    """What telemetry hears from breakers.

    Called synchronously on the event loop: keep it cheap (count, set a
    gauge). An exception raised by a listener is logged and swallowed, so
    telemetry can never break a call.
    """

    def state_changed(self, name: str, old: BreakerState, new: BreakerState) -> None: ...

    def short_circuited(self, name: str) -> None: ...

    def failure(self, name: str, exc: BaseException) -> None: ...

    def success(self, name: str) -> None: ...


class AsyncCircuitBreaker:
    """One dependency's circuit breaker. Get it from :class:`BreakerRegistry`."""

    def __init__(
        self,
        name: str,
        *,
        fail_max: int = DEFAULT_BREAKER_FAIL_MAX,
        reset_timeout_sec: float = DEFAULT_BREAKER_RESET_SEC,
        listeners: Sequence[BreakerListener] = (),
    ) -> None:
        if not isinstance(name, str) or not _NAME_PATTERN.match(name):
            raise ValueError(f"breaker name must look like 'tool:recall_lookup', got {name!r}")
        _check_settings(fail_max, reset_timeout_sec)
        self.name = name
        self.reset_timeout_sec = float(reset_timeout_sec)
        self._listeners = tuple(listeners)
        # Bumped on every state change: an outcome admitted under an older
        # generation is stale (the circuit moved on while it ran) and ignored.
        self._generation = 0
        self._opened_at = 0.0  # monotonic; pybreaker's own opened_at is wall-clock
        self._trial_in_flight = False
        # Admission (and so the move from open to half-open) is decided in
        # _admit; pybreaker only ever sees outcomes of calls admitted while
        # closed or half-open, so its own wall-clock reset timer never runs.
        self._cb = pybreaker.CircuitBreaker(
            fail_max=fail_max,
            reset_timeout=reset_timeout_sec,
            name=name,
            throw_new_error_on_trip=False,
            listeners=[_PybreakerBridge(self)],
        )

    @property
    def state(self) -> BreakerState:
        return self._cb.current_state  # type: ignore[return-value]

    @property
    def fail_max(self) -> int:
        return self._cb.fail_max

    async def call(self, fn: Callable[[], Awaitable[T]], *, ignore: ExceptionFilter = ()) -> T:
        """Await ``fn()`` under the breaker.

        Raises :class:`CircuitOpen` without calling ``fn`` when the circuit
        refuses; otherwise returns its result or raises its exception as is.
        Exceptions matching `ignore` are not the dependency's fault: they
        count as neither failure nor success.
        """
        generation, is_trial = self._admit()
        try:
            result = await fn()
        except asyncio.CancelledError:
            if cancelled_by_deadline():
                self._record(generation, TimeoutError(f"{self.name}: cancelled by its deadline"))
            raise
        except Exception as exc:
            if not _matches(ignore, exc):
                self._record(generation, exc)
            raise
        else:
            self._record(generation, None)
            return result
        finally:
            if is_trial:
                self._trial_in_flight = False

    def _admit(self) -> tuple[int, bool]:
        state = self.state
        if state == pybreaker.STATE_CLOSED:
            return self._generation, False
        if state == pybreaker.STATE_OPEN:
            retry_after_sec = self._opened_at + self.reset_timeout_sec - time.monotonic()
            if retry_after_sec > 0:
                self._short_circuit(retry_after_sec)
            self._cb.half_open()  # notifies listeners and bumps the generation
        if self._trial_in_flight:
            self._short_circuit(0.0)
        self._trial_in_flight = True
        return self._generation, True

    def _short_circuit(self, retry_after_sec: float) -> None:
        self._notify("short_circuited", self.name)
        raise CircuitOpen(self.name, retry_after_sec)

    def _record(self, generation: int, exc: BaseException | None) -> None:
        if generation != self._generation:
            return

        def replay() -> None:
            if exc is not None:
                raise exc

        # Raising the caller's exception again would prepend pybreaker's
        # frames to its traceback; the caller should see where it came from.
        traceback = exc.__traceback__ if exc is not None else None
        try:
            self._cb.call(replay)
        except BaseException as raised:
            # With throw_new_error_on_trip=False pybreaker re-raises the very
            # exception we replayed; anything else is a bug worth surfacing.
            if raised is not exc:
                raise
        finally:
            if exc is not None:
                exc.__traceback__ = traceback

    def _on_state_change(self, old: str, new: str) -> None:
        self._generation += 1
        if new == pybreaker.STATE_OPEN:
            self._opened_at = time.monotonic()
        self._notify("state_changed", self.name, old, new)

    def _notify(self, event: str, *args: object) -> None:
        for listener in self._listeners:
            try:
                getattr(listener, event)(*args)
            except Exception:
                log.exception("breaker listener failed", breaker=self.name, callback=event)

    def __repr__(self) -> str:
        return f"<AsyncCircuitBreaker {self.name!r} {self.state}>"


def _check_settings(fail_max: int, reset_timeout_sec: float) -> None:
    if isinstance(fail_max, bool) or not isinstance(fail_max, int) or fail_max < 1:
        raise ValueError(f"fail_max must be an integer >= 1, got {fail_max!r}")
    if isinstance(reset_timeout_sec, bool) or not isinstance(reset_timeout_sec, (int, float)) or not reset_timeout_sec > 0:
        raise ValueError(f"reset_timeout_sec must be a number of seconds > 0, got {reset_timeout_sec!r}")


def _matches(ignore: ExceptionFilter, exc: BaseException) -> bool:
    if isinstance(ignore, tuple):
        return isinstance(exc, ignore)
    return bool(ignore(exc))


class _PybreakerBridge(pybreaker.CircuitBreakerListener):
    """Turns pybreaker's listener calls into our listener protocol."""

    def __init__(self, breaker: AsyncCircuitBreaker) -> None:
        self._breaker = breaker

    def state_change(self, cb, old_state, new_state) -> None:  # type: ignore[no-untyped-def]
        old = old_state.name if old_state is not None else pybreaker.STATE_CLOSED
        self._breaker._on_state_change(old, new_state.name)

    def failure(self, cb, exc) -> None:  # type: ignore[no-untyped-def]
        self._breaker._notify("failure", self._breaker.name, exc)

    def success(self, cb) -> None:  # type: ignore[no-untyped-def]
        self._breaker._notify("success", self._breaker.name)


class BreakerRegistry:
    """The process's breakers, one per dependency name, created on first use.

    Breakers are per process (per instance): each instance protects itself
    from a dependency it sees failing.
    """

    def __init__(
        self,
        fail_max: int = DEFAULT_BREAKER_FAIL_MAX,
        reset_timeout_sec: float = DEFAULT_BREAKER_RESET_SEC,
        listeners: Sequence[BreakerListener] = (),
        *,
        reset_timeouts_by_prefix: Mapping[str, float] | None = None,
    ) -> None:
        """`reset_timeouts_by_prefix` gives some breakers their own reset: `{"tool:": 5.0}`.

        A local dependency (PostgreSQL behind the tools) recovers from a blip
        in seconds; waiting the LLM's 30 s before trying it again would keep
        recall checks `unknown` long after the database came back.
        """
        # Validate at start-up rather than on the first get() inside a request.
        _check_settings(fail_max, reset_timeout_sec)
        for reset in (reset_timeouts_by_prefix or {}).values():
            _check_settings(fail_max, reset)
        self._fail_max = fail_max
        self._reset_timeout_sec = reset_timeout_sec
        self._reset_by_prefix = dict(reset_timeouts_by_prefix or {})
        self._listeners = tuple(listeners)
        self._breakers: dict[str, AsyncCircuitBreaker] = {}

    def get(self, name: str) -> AsyncCircuitBreaker:
        breaker = self._breakers.get(name)
        if breaker is None:
            reset = next((sec for prefix, sec in self._reset_by_prefix.items() if name.startswith(prefix)),
                         self._reset_timeout_sec)
            breaker = AsyncCircuitBreaker(name, fail_max=self._fail_max, reset_timeout_sec=reset,
                                          listeners=self._listeners)
            self._breakers[name] = breaker
        return breaker

    def states(self) -> dict[str, BreakerState]:
        """Every known breaker's state, for an observable `chat_circuit_state` gauge."""
        return {name: breaker.state for name, breaker in self._breakers.items()}
