"""Fault injection for the "induce a failure to verify" drill (spec section 1).

Only with `BS_FAULT_INJECTION=true` (otherwise the paths answer 404, as if
they did not exist) and only with admin credentials. A configured share of
chat requests answers 500 `injected_fault`, and/or every chat request waits
`added_latency_ms` before the pipeline starts, outside its deadline: the
deadline and the fallback writer otherwise keep the error-rate and p95 alerts
from ever firing, and an alert nobody has seen fire cannot be trusted.
Faults are per instance and every change is logged at WARNING.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from babyshield_chat.api.admin import require_admin
from babyshield_chat.api.errors import ApiError, not_found
from babyshield_chat.api.responses import json_response, read_model
from babyshield_chat.vocabulary import ENDPOINTS, Endpoint
from babyshield_chat.telemetry.logging import EventLog

log = EventLog("babyshield_chat.faults")



class FaultsBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    error_ratio: float = Field(default=0.0, ge=0.0, le=1.0)
    added_latency_ms: int = Field(default=0, ge=0, le=60_000)
    endpoints: list[Endpoint] = Field(default_factory=lambda: list(ENDPOINTS), min_length=1)


class FaultsResponse(BaseModel):
    model_config = ConfigDict(frozen=True)

    error_ratio: float
    added_latency_ms: int
    endpoints: list[Endpoint]
    trace_id: str = ""


@dataclasses.dataclass
class Faults:
    """The instance's current faults; all zero means none."""

    enabled: bool
    error_ratio: float = 0.0
    added_latency_ms: int = 0
    endpoints: frozenset[str] = frozenset(ENDPOINTS)

    def body(self) -> dict:
        return {"error_ratio": self.error_ratio, "added_latency_ms": self.added_latency_ms,
                "endpoints": sorted(self.endpoints)}

    async def apply(self, endpoint: str) -> None:
        """Called by the chat handlers after the gate, before the pipeline."""
        if not self.enabled or endpoint not in self.endpoints:
            return
        if self.added_latency_ms:
            await asyncio.sleep(self.added_latency_ms / 1000)
        if self.error_ratio and random.random() < self.error_ratio:
            raise ApiError(500, "injected_fault", "This error was injected on purpose by the fault drill.")


FAULTS = web.AppKey("faults", Faults)


def _faults(request: web.Request) -> Faults:
    faults = request.app[FAULTS]
    if not faults.enabled:
        raise not_found()
    require_admin(request)
    return faults


async def put_faults(request: web.Request) -> web.Response:
    faults = _faults(request)
    body = await read_model(request, FaultsBody)
    faults.error_ratio, faults.added_latency_ms = body.error_ratio, body.added_latency_ms
    faults.endpoints = frozenset(body.endpoints)
    log.warning("FAULT INJECTION ACTIVE", faults=faults.body())
    return json_response(request, faults.body())


async def delete_faults(request: web.Request) -> web.Response:
    faults = _faults(request)
    faults.error_ratio, faults.added_latency_ms, faults.endpoints = 0.0, 0, frozenset(ENDPOINTS)
    log.warning("fault injection cleared")
    return json_response(request, faults.body())
