"""Fixtures for LLM tests: a recording observer and a StructuredLlm on the real client (see tests/conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from babyshield_chat.llm.structured import LlmCall, StructuredLlm
from babyshield_chat.resilience.breaker import BreakerRegistry
from babyshield_chat.resilience.retry import RetryPolicy


@dataclass
class RecordingObserver:
    """Collects what telemetry would turn into metrics."""

    calls: list[LlmCall] = field(default_factory=list)

    def llm_call(self, call: LlmCall) -> None:
        self.calls.append(call)


# Short budgets and reset times keep the suite fast; the ratios between them
# are those of production (attempt minimum well under the stage budget).
FAST_RETRY = RetryPolicy(max_attempts=3, base_delay_sec=0.01, max_delay_sec=0.02, min_attempt_sec=0.05)
RESET_SEC = 0.2


@pytest.fixture
def observer() -> RecordingObserver:
    return RecordingObserver()


@pytest.fixture
def retried() -> list[str]:
    return []


@pytest.fixture
def registry() -> BreakerRegistry:
    return BreakerRegistry(fail_max=3, reset_timeout_sec=RESET_SEC)


@pytest.fixture
def make_llm(openai_client, registry, observer, retried):
    """Builds a StructuredLlm on the real client, with test-sized settings."""

    def build(breaker: str = "llm:synth", **overrides: object) -> StructuredLlm:
        settings: dict[str, object] = {
            "breaker": registry.get(breaker),
            "retry_policy": FAST_RETRY,
            "observer": observer,
            "on_retry": retried.append,
        }
        settings.update(overrides)
        return StructuredLlm(openai_client, **settings)  # type: ignore[arg-type]

    return build
