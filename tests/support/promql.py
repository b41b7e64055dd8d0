"""The metric names a PromQL expression reads, for checking dashboards and rules against /metrics.

Prometheus 2.42 has no parse endpoint, and an empty query result cannot tell
"no such series yet" from "no such metric", so the names are read from the
text: quoted strings, label matchers, range and subquery brackets and
grouping clauses (`by (...)`, `on (...)`, ...) are removed first, then every
identifier that is neither a function call nor a PromQL keyword is a metric
name (recording rule names included: they contain a colon).
"""

from __future__ import annotations

import re

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGES = re.compile(r"\[[^\[\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_IDENTIFIER = re.compile(r"(?<![\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?")
_KEYWORDS = frozenset({
    "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right",
    "inf", "nan", "Inf", "NaN", "start", "end",
})


def metric_names(expr: str) -> set[str]:
    """Every metric (or recording rule) name `expr` selects."""
    text = _STRINGS.sub('""', expr)
    text = _MATCHERS.sub("", text)
    text = _RANGES.sub("", text)
    text = _GROUPING.sub("", text)
    return {
        name for name, call in _IDENTIFIER.findall(text)
        if not call and name not in _KEYWORDS
    }
