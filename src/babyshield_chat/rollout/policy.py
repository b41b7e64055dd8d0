"""The rollout guard's policy: phases, soak times, minimum traffic, what each trigger does.

The gates themselves are not here: they come from the thresholds definition
(`babyshield_chat.alerting.thresholds.load_thresholds()`), the same file that
generates the Prometheus alerts, the Grafana thresholds and the CloudWatch
alarms, so the guard can never judge the canary by other numbers than the
pager does. The policy only says how to move between percentages.

A policy is YAML (`--policy FILE`, or `BS_ROLLOUT_POLICY`); `policy.yml` beside
this module is the one shipped in the package (`DEFAULT_POLICY_PATH`). A
malformed policy raises `PolicyError` naming the field and quoting the bad
value.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from babyshield_chat.alerting.durations import DurationError, parse_duration
from babyshield_chat.alerting.thresholds import Gate, Thresholds, ThresholdsError, load_thresholds
from babyshield_chat.vocabulary import TRIGGER_ACTIONS, TriggerAction

# Two percentages closer than this are the same phase (0.1 written as 0.10000000001).
PCT_TOLERANCE = 1e-9

#: The policy shipped in the package (`rollout/policy.yml`), used without `--policy` or `BS_ROLLOUT_POLICY`.
DEFAULT_POLICY_PATH = Path(str(resources.files("babyshield_chat.rollout") / "policy.yml"))


class PolicyError(ValueError):
    """The rollout policy is malformed; the message names the field and the bad value."""


@dataclasses.dataclass(frozen=True)
class Phase:
    rollout_pct: float
    soak: timedelta | None  # None only for the last phase


@dataclasses.dataclass(frozen=True)
class RolloutPolicy:
    phases: tuple[Phase, ...]
    min_request_rate: float
    on_rollback_trigger: Mapping[str, TriggerAction]
    time_scale: float
    thresholds: Thresholds
    # The cost gate's budget in USD per day; the guard takes the lower of this and BS_LLM_DAILY_BUDGET_USD.
    max_daily_cost_usd: float | None = None

    @property
    def gates(self) -> tuple[Gate, ...]:
        return self.thresholds.gates

    def sustain(self, gate: Gate) -> timedelta:
        """How long a trigger must stay critical before the guard acts: the critical tier's `for`."""
        return gate.for_critical * self.time_scale

    def phase_index(self, pct: float) -> int | None:
        """The highest phase at or below `pct` (None below the first phase)."""
        found = None
        for index, phase in enumerate(self.phases):
            if phase.rollout_pct <= pct + PCT_TOLERANCE:
                found = index
        return found

    def next_pct(self, pct: float) -> float | None:
        """The first phase above `pct`, None when `pct` is already at (or past) the last."""
        for phase in self.phases:
            if phase.rollout_pct > pct + PCT_TOLERANCE:
                return phase.rollout_pct
        return None

    def soak_at(self, pct: float) -> timedelta:
        """How long to stay at `pct` before promoting; below the first phase, the first phase's soak."""
        index = self.phase_index(pct)
        soak = self.phases[index if index is not None else 0].soak
        # The last phase has no soak, and nothing to promote to.
        return soak if soak is not None else timedelta(0)

    def describe_phases(self) -> str:
        return " → ".join(f"{p.rollout_pct * 100:g}%" for p in self.phases)


def load_policy(path: Path | str | None = None, thresholds: Thresholds | None = None) -> RolloutPolicy:
    """Read a policy file (the packaged default when `path` is None)."""
    where = str(path) if path is not None else "default policy"
    try:
        text = Path(path if path is not None else DEFAULT_POLICY_PATH).read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"cannot read the policy file {where!r}: {exc.strerror or exc}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"{where}: not valid YAML: {exc}") from None
    return parse_policy(raw, thresholds or load_thresholds(), where=where)


def parse_policy(raw: object, thresholds: Thresholds, *, where: str = "policy") -> RolloutPolicy:
    doc = _mapping(raw, where)
    unknown = sorted(set(doc) - {"phases", "min_request_rate", "on_rollback_trigger", "time_scale",
                                 "max_daily_cost_usd"})
    if unknown:
        raise PolicyError(f"{where}: unknown keys {unknown!r}")
    phases = _phases(doc.get("phases"), f"{where}: phases")
    min_rate = _positive(doc.get("min_request_rate"), f"{where}: min_request_rate")
    time_scale = _positive(doc.get("time_scale", 1.0), f"{where}: time_scale")
    if time_scale > 1:
        raise PolicyError(f"{where}: time_scale must be in (0, 1] (it only shortens durations), got {time_scale!r}")
    actions = _mapping(doc.get("on_rollback_trigger"), f"{where}: on_rollback_trigger")
    triggers = {gate.key for gate in thresholds.gates if gate.rollback_trigger}
    if set(actions) != triggers:
        raise PolicyError(
            f"{where}: on_rollback_trigger must name exactly the rollback triggers of thresholds.yml "
            f"{sorted(triggers)!r}, got {sorted(actions)!r}"
        )
    for key, action in actions.items():
        if action not in TRIGGER_ACTIONS:
            raise PolicyError(f"{where}: on_rollback_trigger.{key}: expected one of {list(TRIGGER_ACTIONS)}, got {action!r}")
    budget = doc.get("max_daily_cost_usd")
    max_cost = _positive(budget, f"{where}: max_daily_cost_usd") if budget is not None else None
    return RolloutPolicy(phases, min_rate, dict(actions), time_scale, thresholds, max_cost)


def _phases(raw: object, where: str) -> tuple[Phase, ...]:
    if not isinstance(raw, list) or len(raw) < 2:
        raise PolicyError(f"{where}: expected a list of at least two phases, got {raw!r}")
    phases = []
    for index, item in enumerate(raw):
        at = f"{where}[{index}]"
        entry = _mapping(item, at)
        unknown = sorted(set(entry) - {"rollout_pct", "soak"})
        if unknown:
            raise PolicyError(f"{at}: unknown keys {unknown!r}")
        pct = _number(entry.get("rollout_pct"), f"{at}.rollout_pct")
        if not 0 < pct <= 1:
            raise PolicyError(f"{at}.rollout_pct must be a fraction in (0, 1] (0.1 means 10%), got {pct!r}")
        last = index == len(raw) - 1
        soak_raw = entry.get("soak")
        if last and soak_raw is not None:
            raise PolicyError(f"{at}.soak: the last phase is the end of the rollout and has no soak, got {soak_raw!r}")
        if not last and soak_raw is None:
            raise PolicyError(f"{at}.soak is required (how long to stay at {pct:g} before the next phase)")
        try:
            soak = parse_duration(soak_raw, f"{at}.soak") if soak_raw is not None else None
        except (ThresholdsError, DurationError) as exc:
            raise PolicyError(str(exc)) from None
        if phases and pct <= phases[-1].rollout_pct:
            raise PolicyError(f"{at}.rollout_pct must be above the previous phase's {phases[-1].rollout_pct!r}, got {pct!r}")
        phases.append(Phase(pct, soak))
    if abs(phases[-1].rollout_pct - 1.0) > PCT_TOLERANCE:
        raise PolicyError(f"{where}: the last phase must be 1.0 (everyone), got {phases[-1].rollout_pct!r}")
    return tuple(phases)


def _mapping(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PolicyError(f"{where}: expected a mapping, got {value!r}")
    return value


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise PolicyError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _positive(value: object, where: str) -> float:
    number = _number(value, where)
    if number <= 0:
        raise PolicyError(f"{where} must be greater than 0, got {value!r}")
    return number
