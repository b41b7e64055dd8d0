"""One deadline per request, and stages that cannot outlive it.

Spec section 4 gives every chat request a total budget and every stage
(router, tools, synthesis) a budget of its own; a stage gets
``min(stage budget, time left)`` and is cancelled when that runs out, so that a
response is always sent before the total budget plus 100 ms.

A :class:`Deadline` is an absolute point on the monotonic clock. The request's
deadline travels in a context variable, so code deep in a stage (the retry
loop, the LLM client's timeout) asks :func:`current_deadline` instead of
threading it through every call. :func:`stage` narrows that deadline for the
duration of a block and enforces it with :func:`asyncio.timeout`: the block is
cancelled where it stands, never left running in the background.

Usage::

    with deadline_scope(Deadline.after(2.5)):
        async with stage("synth", 1.5) as stage_deadline:
            await write_answer(timeout=stage_deadline.remaining())
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

__all__ = [
    "Deadline",
    "StageTimeout",
    "cancelled_by_deadline",
    "current_deadline",
    "deadline_scope",
    "run_stage",
    "stage",
]

T = TypeVar("T")


def _check_budget(what: str, budget_sec: float) -> None:
    # NaN would compare false against everything and silently disable the limit.
    if not isinstance(budget_sec, (int, float)) or math.isnan(budget_sec) or budget_sec < 0:
        raise ValueError(f"{what} must be a non-negative number of seconds, got {budget_sec!r}")


@dataclass(frozen=True)
class Deadline:
    """An absolute point in time, on the monotonic clock, by which work must be done.

    The monotonic clock is the one `asyncio` schedules timers on, so a deadline
    and an `asyncio.timeout` computed from it agree, and wall-clock jumps
    (NTP, daylight saving) cannot stretch or shrink a budget.
    """

    expires_at: float

    @classmethod
    def after(cls, budget_sec: float) -> Deadline:
        """A deadline `budget_sec` seconds from now."""
        _check_budget("budget_sec", budget_sec)
        return cls(time.monotonic() + budget_sec)

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self.expires_at - time.monotonic())

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.expires_at

    def narrow(self, stage_budget_sec: float) -> Deadline:
        """The deadline of a stage starting now: never later than this one."""
        _check_budget("stage_budget_sec", stage_budget_sec)
        return Deadline(min(self.expires_at, time.monotonic() + stage_budget_sec))


class StageTimeout(TimeoutError):
    """A stage ran out of time and was cancelled.

    A `TimeoutError`, so code that handles timeouts generically still does.
    """

    def __init__(self, stage_name: str, timeout_sec: float) -> None:
        super().__init__(f"stage {stage_name!r} ran out of time after {timeout_sec:.3f} s")
        self.stage_name = stage_name
        self.timeout_sec = timeout_sec


_current: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar("babyshield_deadline", default=None)
# The `asyncio.Timeout` of every enclosing stage, innermost last. The circuit
# breaker reads it to tell a cancellation by our own deadline (a timeout, which
# is the dependency's failure) from one by the client going away (neither).
_timeouts: contextvars.ContextVar[tuple[asyncio.Timeout, ...]] = contextvars.ContextVar(
    "babyshield_stage_timeouts", default=()
)


def current_deadline() -> Deadline | None:
    """The deadline of the request (or stage) being served, if any."""
    return _current.get()


@contextlib.contextmanager
def deadline_scope(deadline: Deadline) -> Iterator[Deadline]:
    """Make `deadline` the current one for the block (and tasks it creates)."""
    token = _current.set(deadline)
    try:
        yield deadline
    finally:
        _current.reset(token)


def cancelled_by_deadline() -> bool:
    """Whether a `CancelledError` seen now was caused by a deadline running out.

    Call it while handling the cancellation. It is True when an enclosing
    :func:`stage` fired its timeout, or when the current deadline has passed.
    A cancellation with neither (the client disconnected, the server is
    shutting down) is not a timeout.
    """
    if any(timeout.expired() for timeout in _timeouts.get()):
        return True
    deadline = _current.get()
    return deadline is not None and deadline.expired


@contextlib.asynccontextmanager
async def stage(name: str, stage_budget_sec: float) -> AsyncIterator[Deadline]:
    """Run the block within ``min(stage_budget_sec, time left)``, cancelling it when that runs out.

    Yields the stage's own deadline, which is also the current deadline inside
    the block, so retries and client timeouts there see the time left in the
    stage rather than in the whole request. Without a current deadline the
    stage budget alone applies.

    Raises :class:`StageTimeout` when the time runs out, or at once when none
    is left, without entering the block.
    """
    parent = _current.get()
    deadline = parent.narrow(stage_budget_sec) if parent is not None else Deadline.after(stage_budget_sec)
    timeout_sec = deadline.remaining()
    if timeout_sec <= 0:
        raise StageTimeout(name, 0.0)

    timeout = asyncio.timeout(timeout_sec)
    deadline_token = _current.set(deadline)
    try:
        async with timeout:
            timeouts_token = _timeouts.set((*_timeouts.get(), timeout))
            try:
                yield deadline
            finally:
                _timeouts.reset(timeouts_token)
    except TimeoutError as exc:
        # Only our own timer becomes a StageTimeout; a TimeoutError raised by
        # the work itself (a client's read timeout) passes through unchanged.
        if timeout.expired():
            raise StageTimeout(name, timeout_sec) from exc
        raise
    finally:
        _current.reset(deadline_token)


async def run_stage(name: str, stage_budget_sec: float, fn: Callable[[], Awaitable[T]]) -> T:
    """Await ``fn()`` as a :func:`stage`; ``fn`` is only called when there is time left."""
    async with stage(name, stage_budget_sec):
        return await fn()
