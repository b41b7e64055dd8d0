"""Log lines shaped exactly as the service writes them, for the CloudWatch filters, alarms and simulations."""

from __future__ import annotations

import json


def chat_line(
    outcome: str = "ok",
    latency_ms: int = 640,
    circuit_open: bool = False,
    fallback_reason: str | None = None,
    status_code: int = 200,
) -> str:
    """One ``chat_request`` log line with every field of spec section 5."""
    return json.dumps(
        {
            "ts": "2026-11-27T10:15:02.481Z",
            "level": "error" if outcome == "error" else "info",
            "event": "chat_request",
            "endpoint": "conversation",
            "intent": "recall_details",
            "outcome": outcome,
            "status_code": status_code,
            "latency_ms": latency_ms,
            "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
            "span_id": "00f067aa0ba902b7",
            "fallback": fallback_reason is not None,
            "fallback_reason": fallback_reason,
            "circuit_open": circuit_open,
            "blocked": outcome == "blocked",
            "user_hash": "b1946ac92492d2347c6235b4d2611184",
            "service": "babyshield-chat",
            "version": "0.1.0",
            "env": "staging",
        }
    )


def flag_line(enabled: bool, rollout_pct: float) -> str:
    """One ``chat_flag_state`` line as the heartbeat writes it."""
    return json.dumps(
        {
            "ts": "2026-11-27T10:15:30.002Z",
            "level": "info",
            "event": "chat_flag_state",
            "logger": "babyshield_chat.flags.heartbeat",
            "enabled": enabled,
            "rollout_pct": rollout_pct,
            "source": "override",
            "stale": False,
            "service": "babyshield-chat",
            "version": "0.1.0",
            "env": "staging",
        }
    )
