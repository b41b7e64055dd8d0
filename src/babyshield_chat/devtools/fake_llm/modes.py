"""The fake LLM's modes: which fault to inject, how slow to be, how often to fail.

A mode is an immutable value; the control endpoint replaces it with
``mode.updated(changes)``, which validates the partial JSON it received and
names the bad field and value when it refuses.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, get_args

__all__ = ["FAULTS", "FakeMode", "Fault", "Latency"]

Fault = Literal[
    "none", "server_error", "rate_limited", "hang", "garbage", "truncated", "invent_evidence", "contradict"
]
FAULTS: tuple[str, ...] = get_args(Fault)

Distribution = Literal["fixed", "uniform", "normal"]
_DISTRIBUTIONS: tuple[str, ...] = get_args(Distribution)

# The fields each distribution takes, in milliseconds.
_LATENCY_FIELDS: Mapping[str, tuple[str, ...]] = {
    "fixed": ("ms",),
    "uniform": ("min_ms", "max_ms"),
    "normal": ("mean_ms", "stddev_ms"),
}


def _non_negative(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Latency:
    """Added delay before answering, drawn per request from a distribution."""

    distribution: Distribution = "fixed"
    ms: float = 0.0
    min_ms: float = 0.0
    max_ms: float = 0.0
    mean_ms: float = 0.0
    stddev_ms: float = 0.0

    @classmethod
    def from_json(cls, value: Any) -> Latency:
        """``{"distribution": "fixed", "ms": 200}``, ``{"distribution": "uniform",
        "min_ms": 100, "max_ms": 900}`` or ``{"distribution": "normal",
        "mean_ms": 500, "stddev_ms": 100}``; a bare number means fixed ms."""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return cls(ms=_non_negative("latency", value))
        if not isinstance(value, Mapping):
            raise ValueError(f"latency must be a number of ms or an object, got {value!r}")
        distribution = value.get("distribution", "fixed")
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(f"latency.distribution must be one of {list(_DISTRIBUTIONS)}, got {distribution!r}")
        allowed = {"distribution", *_LATENCY_FIELDS[distribution]}
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise ValueError(f"latency with distribution {distribution!r} takes {sorted(allowed)}, got {unknown}")
        numbers = {name: _non_negative(f"latency.{name}", value.get(name, 0)) for name in _LATENCY_FIELDS[distribution]}
        if distribution == "uniform" and numbers["min_ms"] > numbers["max_ms"]:
            raise ValueError(
                f"latency.min_ms must not exceed max_ms, got {numbers['min_ms']!r} > {numbers['max_ms']!r}"
            )
        return cls(distribution=distribution, **numbers)

    def to_json(self) -> dict[str, Any]:
        return {"distribution": self.distribution} | {
            name: getattr(self, name) for name in _LATENCY_FIELDS[self.distribution]
        }

    def sample_sec(self, rng: random.Random) -> float:
        if self.distribution == "uniform":
            ms = rng.uniform(self.min_ms, self.max_ms)
        elif self.distribution == "normal":
            ms = rng.gauss(self.mean_ms, self.stddev_ms)
        else:
            ms = self.ms
        return max(0.0, ms) / 1000


@dataclass(frozen=True)
class FakeMode:
    """How the fake answers. ``seed`` makes latency and error draws repeatable."""

    fault: Fault = "none"
    latency: Latency = field(default_factory=Latency)
    error_rate: float = 0.0
    # `_s`, not `_sec`: the field is a key of the control API's JSON (`PUT /control`), kept as published.
    retry_after_s: float = 1.0
    seed: int | None = None

    def updated(self, changes: Any) -> FakeMode:
        """This mode with the fields in `changes` (partial JSON) replaced."""
        if not isinstance(changes, Mapping):
            raise ValueError(f"mode changes must be a JSON object, got {changes!r}")
        unknown = sorted(set(changes) - {"fault", "latency", "error_rate", "retry_after_s", "seed"})
        if unknown:
            raise ValueError(f"unknown mode fields {unknown}")
        new: dict[str, Any] = {}
        if "fault" in changes:
            if changes["fault"] not in FAULTS:
                raise ValueError(f"fault must be one of {list(FAULTS)}, got {changes['fault']!r}")
            new["fault"] = changes["fault"]
        if "latency" in changes:
            new["latency"] = Latency.from_json(changes["latency"])
        if "error_rate" in changes:
            rate = _non_negative("error_rate", changes["error_rate"])
            if rate > 1:
                raise ValueError(f"error_rate must be between 0 and 1, got {changes['error_rate']!r}")
            new["error_rate"] = rate
        if "retry_after_s" in changes:
            new["retry_after_s"] = _non_negative("retry_after_s", changes["retry_after_s"])
        if "seed" in changes:
            seed = changes["seed"]
            if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
                raise ValueError(f"seed must be an integer or null, got {seed!r}")
            new["seed"] = seed
        return replace(self, **new)

    def to_json(self) -> dict[str, Any]:
        return {
            "fault": self.fault,
            "latency": self.latency.to_json(),
            "error_rate": self.error_rate,
            "retry_after_s": self.retry_after_s,
            "seed": self.seed,
        }
