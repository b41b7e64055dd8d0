"""Waiting for a condition: poll it, never sleep a guessed time.

One rule, in a blocking and an async flavour: evaluate the condition, return
its value as soon as it is truthy, otherwise fail naming `what` once
`timeout` seconds have passed, and look again every `POLL_SEC`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

POLL_SEC = 0.02


def _check_deadline(deadline: float, timeout: float, what: str) -> None:
    if time.monotonic() > deadline:
        raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def wait_for(condition: Callable[[], Any], *, timeout: float, what: str) -> Any:
    """Poll `condition` until it returns something truthy; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        _check_deadline(deadline, timeout, what)
        time.sleep(POLL_SEC)


async def until(condition: Callable[[], Any | Awaitable[Any]], *, what: str, timeout: float = 10.0) -> Any:
    """`wait_for` for async tests: `condition` may be sync or async, and the loop keeps running between polls."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        _check_deadline(deadline, timeout, what)
        await asyncio.sleep(POLL_SEC)
