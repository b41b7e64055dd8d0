"""The guard's two gates that are not a 5-minute rate: parents' feedback and the cost of the next phase.

Pure values and text, like `guard.py`; `runner.py` reads the numbers.

- **Feedback** (thresholds.yml `feedback`): the unhelpful share of the votes
  cast since the flag last changed, i.e. over the whole current phase. Fewer
  than `min_votes` votes is no data, which holds and is never green; a share
  above the warning threshold holds. Votes never roll back. Unsafe votes are
  counted and shown (they alert on their own), not a hold by themselves.
- **Cost** (thresholds.yml `cost`): before promoting from p to q, the daily
  LLM spend at q is projected as the measured spend rate (USD per day) × q/p.
  Above the budget it holds, with every figure in the reason. The budget is
  the lower of `BS_LLM_DAILY_BUDGET_USD` (past it, answers fall back with
  `spend_cap`) and the policy's `max_daily_cost_usd` (a stricter guard
  budget); with neither there is nothing to compare with, and the projection
  is only shown. A budget with no measured rate is no data, which holds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from babyshield_chat.alerting.thresholds import FeedbackGate, GateStatus, env_matcher, human_value
from babyshield_chat.vocabulary import UNSAFE_FEEDBACK_REASON

ENV_BUDGET = "BS_LLM_DAILY_BUDGET_USD"
POLICY_BUDGET = "the policy's max_daily_cost_usd"
NO_BUDGET = f"no budget set ({ENV_BUDGET} or {POLICY_BUDGET})"
COST_KEY = "cost"


def feedback_queries(job: str, window: dt.timedelta, env: str | None = None) -> tuple[str, str, str]:
    """PromQL for the votes, the unhelpful votes and the unsafe votes over `window` (the phase so far).

    With `env`, only that environment's votes (see `env_matcher`); all of them with None.
    """
    seconds = max(int(window.total_seconds()), 1)
    scope = (f'job="{job}"',) if env is None else (f'job="{job}"', env_matcher(env))

    def votes(*matchers: str) -> str:
        selector = ",".join((*scope, *matchers))
        return f"sum(increase(chat_feedback_total{{{selector}}}[{seconds}s]))"

    return votes(), votes('helpful="false"'), votes(f'reason="{UNSAFE_FEEDBACK_REASON}"')


def usd(value: float) -> str:
    return f"${value:,.2f}"


def pct(value: float) -> str:
    return f"{value * 100:g}%"


@dataclasses.dataclass(frozen=True)
class FeedbackReading:
    """Votes over the phase; each count is None with `problem` saying why when it could not be read."""

    gate: FeedbackGate
    votes: float | None
    unhelpful: float | None
    unsafe: float | None
    problem: str | None = None

    @property
    def value(self) -> float | None:
        """The unhelpful share, None (no data) below the minimum number of votes."""
        return self.gate.ratio(self.unhelpful, self.votes)

    @property
    def status(self) -> GateStatus:
        return self.gate.status(self.value)

    def describe(self) -> str:
        """The reading in words: '30% of 40 votes unhelpful in this phase; 1 unsafe' or why there is no data."""
        if self.votes is None or self.unhelpful is None:
            return f"no data ({self.problem or 'no value'})"
        votes = round(self.votes)
        if self.value is None:
            return f"no data: {votes} votes in this phase, {self.gate.min_votes} needed"
        unsafe = f"; {round(self.unsafe)} unsafe" if self.unsafe and round(self.unsafe) else ""
        return f"{self.value * 100:.3g}% of {votes} votes unhelpful in this phase{unsafe}"

    def blocker(self) -> str | None:
        """Why this holds the rollout, or None when the share is green."""
        status = self.status
        if status is GateStatus.OK:
            return None
        if status is GateStatus.NO_DATA:
            return f"{self.gate.key}: {self.describe()}"
        tier = "critical" if status is GateStatus.CRITICAL else "warning"
        limit = self.gate.critical if status is GateStatus.CRITICAL else self.gate.warning
        return f"{self.gate.key}: {self.describe()}, above {tier} {human_value('ratio', limit)}"

    def details(self) -> dict[str, Any]:
        return {"key": self.gate.key, "votes": self.votes, "unhelpful": self.unhelpful, "unsafe": self.unsafe,
                "value": self.value, "min_votes": self.gate.min_votes, "warning": self.gate.warning,
                "critical": self.gate.critical, "status": self.status.value, "problem": self.problem}


@dataclasses.dataclass(frozen=True)
class Budget:
    usd_per_day: float
    source: str


def daily_budget(env_usd: float | None, policy_usd: float | None) -> Budget | None:
    """The lower of the two budgets that are set (the env cap is where answers fall back)."""
    budgets = [Budget(usd, source) for usd, source in ((env_usd, ENV_BUDGET), (policy_usd, POLICY_BUDGET))
               if usd is not None]
    return min(budgets, key=lambda b: b.usd_per_day) if budgets else None


@dataclasses.dataclass(frozen=True)
class CostReading:
    """The measured LLM spend rate in USD per day (None with `problem`), and the budget to keep under."""

    usd_per_day: float | None
    budget: Budget | None
    problem: str | None = None


@dataclasses.dataclass(frozen=True)
class CostProjection:
    """The daily spend at the next percentage, projected from the measured rate at this one."""

    reading: CostReading
    from_pct: float
    to_pct: float

    @property
    def factor(self) -> float:
        return self.to_pct / self.from_pct

    @property
    def projected(self) -> float | None:
        measured = self.reading.usd_per_day
        return measured * self.factor if measured is not None else None

    @property
    def over_budget(self) -> bool:
        budget, projected = self.reading.budget, self.projected
        return budget is not None and projected is not None and projected > budget.usd_per_day

    def describe(self) -> str:
        """'projected $72.00/day at 50% (measured $36.00/day at 25%, × 2)' or why there is no figure."""
        if self.projected is None or self.reading.usd_per_day is None:
            return f"no data ({self.reading.problem or 'no value'})"
        return (f"projected {usd(self.projected)}/day at {pct(self.to_pct)} (measured "
                f"{usd(self.reading.usd_per_day)}/day at {pct(self.from_pct)}, × {self.factor:.3g})")

    def blocker(self) -> str | None:
        budget = self.reading.budget
        if budget is None:
            return None
        if self.projected is None:
            return f"{COST_KEY}: {self.describe()}"
        if self.over_budget:
            return f"{COST_KEY}: {self.describe()} above the budget {usd(budget.usd_per_day)}/day ({budget.source})"
        return None

    def summary(self) -> str:
        """The projection against the budget, for a promotion's reasons and for status."""
        budget = self.reading.budget
        if budget is None:
            return f"{COST_KEY}: {self.describe()}; {NO_BUDGET}"
        relation = "above" if self.over_budget else "within"
        if self.projected is None:
            return f"{COST_KEY}: {self.describe()}; budget {usd(budget.usd_per_day)}/day ({budget.source})"
        return f"{COST_KEY}: {self.describe()} {relation} the budget {usd(budget.usd_per_day)}/day ({budget.source})"

    def details(self) -> dict[str, Any]:
        budget = self.reading.budget
        return {"measured_usd_per_day": self.reading.usd_per_day, "from_pct": self.from_pct, "to_pct": self.to_pct,
                "projected_usd_per_day": self.projected, "budget_usd_per_day": budget.usd_per_day if budget else None,
                "budget_source": budget.source if budget else None, "over_budget": self.over_budget,
                "problem": self.reading.problem}
