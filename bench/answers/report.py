"""The answer benchmark's report: pass rate per category, then each failure with its first sentence.

`Report` is built from the case results of one run. `table()` is what a
person reads: one line per category (cases, passed, rate), the total, how
often each kind of expectation failed (what to fix first), then every failing
case with the first sentence of its summary and what was wrong. `as_json()`
is the same for machines (`--json`).
"""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Sequence
from typing import Any

from bench.answers.cases import CATEGORIES
from bench.answers.judge import tally
from bench.answers.runner import CaseResult

WRAP = 100


@dataclasses.dataclass(frozen=True)
class CategoryScore:
    category: str
    cases: int
    passed: int

    @property
    def rate(self) -> float:
        return self.passed / self.cases if self.cases else 0.0


@dataclasses.dataclass(frozen=True)
class Report:
    synthesizer: str
    results: Sequence[CaseResult]
    duration_sec: float
    checked_on: str
    newest_recall: str

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    def scores(self) -> list[CategoryScore]:
        scores = []
        for category in CATEGORIES:
            mine = [r for r in self.results if r.case.category == category]
            if mine:
                scores.append(CategoryScore(category, len(mine), sum(r.passed for r in mine)))
        return scores

    def failure_kinds(self) -> dict[str, int]:
        """How many failing cases each kind of expectation or invariant caught, most first."""
        counts = tally(f for r in self.results for f in {f.kind: f for f in r.failures}.values())
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    def table(self) -> str:
        lines = [
            f"answer benchmark: synthesizer {self.synthesizer}, {len(self.results)} cases in {self.duration_sec:.1f} s "
            f"(data checked {self.checked_on}, newest recall {self.newest_recall})",
            "",
            f"{'category':<24}{'cases':>7}{'passed':>8}{'rate':>8}",
        ]
        for score in self.scores():
            lines.append(f"{score.category:<24}{score.cases:>7}{score.passed:>8}{score.rate:>8.0%}")
        total = len(self.results)
        passed = sum(r.passed for r in self.results)
        lines.append(f"{'total':<24}{total:>7}{passed:>8}{(passed / total if total else 0):>8.0%}")
        kinds = self.failure_kinds()
        if kinds:
            lines += ["", "failing cases per kind of expectation:"]
            lines += [f"  {kind:<26}{count:>4}" for kind, count in kinds.items()]
        failed = [r for r in self.results if not r.passed]
        if failed:
            lines += ["", "failures:"]
        for result in failed:
            lines.append(f"- {result.case.id} [{result.case.category}]")
            lines += textwrap.wrap(f"first sentence: {result.first_sentence}", WRAP,
                                   initial_indent="    ", subsequent_indent="      ")
            for failure in result.failures:
                lines += textwrap.wrap(str(failure), WRAP, initial_indent="    x ", subsequent_indent="      ")
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        return {
            "synthesizer": self.synthesizer,
            "duration_sec": round(self.duration_sec, 2),
            "checked_on": self.checked_on,
            "newest_recall": self.newest_recall,
            "passed": self.passed,
            "categories": {
                s.category: {"cases": s.cases, "passed": s.passed, "rate": round(s.rate, 3)} for s in self.scores()
            },
            "failure_kinds": self.failure_kinds(),
            "cases": [r.as_json() for r in self.results],
        }
