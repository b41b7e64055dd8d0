"""Prometheus duration syntax (``5m``, ``1h30m``, ``500ms``) to and from ``timedelta``.

thresholds.yml writes its ``for`` and window durations the way Prometheus
does, and the generated rules must write them back the same way, so parsing
follows Prometheus' own grammar (units largest first, each at most once) and
rejects anything else with the bad text quoted.
"""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$")
_UNITS_MS = {"w": 604_800_000, "d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1}


class DurationError(ValueError):
    """Not a positive Prometheus duration; the message quotes the text."""


def parse_duration(text: object, where: str = "duration") -> timedelta:
    """Parse a Prometheus duration such as ``5m`` or ``1h30m`` (positive, no sign)."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if match is None or not any(match.groups()):
        raise DurationError(f"{where}: expected a duration like '5m', got {text!r}")
    total_ms = sum(int(count) * _UNITS_MS[unit] for unit, count in zip(_UNITS_MS, match.groups()) if count)
    if total_ms == 0:
        raise DurationError(f"{where}: a duration must be positive, got {text!r}")
    return timedelta(milliseconds=total_ms)


def format_duration(value: timedelta) -> str:
    """Render a duration the way Prometheus writes it (``90s`` → ``1m30s``)."""
    total_ms = round(value.total_seconds() * 1000)
    if total_ms <= 0:
        raise DurationError(f"duration must be positive, got {value!r}")
    parts = []
    # Hours are the largest unit written: "24h" reads better than "1d".
    for unit in ("h", "m", "s", "ms"):
        count, total_ms = divmod(total_ms, _UNITS_MS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
