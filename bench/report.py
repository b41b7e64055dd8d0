"""The benchmark's output: a plain-text table for people, one JSON document for machines."""

from __future__ import annotations

import json
import platform
import os
import textwrap
from collections.abc import Sequence
from typing import Any

from bench.scenarios import Result

FIGURE_WIDTH = 72


def table(results: Sequence[Result]) -> str:
    rows = [("target", "figure (this run)", "goal", "result")]
    for r in results:
        rows.append((r.target, r.figure, r.goal, "PASS" if r.passed else "FAIL"))
    widths = [max(len(row[i]) if i != 1 else min(len(row[i]), FIGURE_WIDTH) for row in rows) for i in range(4)]
    lines = []
    for index, row in enumerate(rows):
        wrapped = textwrap.wrap(row[1], FIGURE_WIDTH) or [""]
        for line_no, figure in enumerate(wrapped):
            cells = row if line_no == 0 else ("", "", "", "")
            lines.append(" | ".join([cells[0].ljust(widths[0]), figure.ljust(widths[1]), cells[2].ljust(widths[2]),
                                     cells[3].ljust(widths[3])]).rstrip())
        if index == 0:
            lines.append("-+-".join("-" * w for w in widths))
    # A scenario with more to show than one row (the peer table) brings its own.
    extra = [f"\n{r.target}:\n{r.details['table']}" for r in results if r.details.get("table")]
    return "\n".join(lines + extra)


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "load_average": os.getloadavg()}


def as_json(results: Sequence[Result], *, started_at: str, elapsed_sec: float) -> str:
    document = {
        "started_at": started_at, "elapsed_sec": round(elapsed_sec, 1), "machine": machine(),
        "passed": all(r.passed for r in results),
        "results": [{"target": r.target, "figure": r.figure, "goal": r.goal, "passed": r.passed,
                     "details": r.details} for r in results],
    }
    return json.dumps(document, indent=2, default=str)
