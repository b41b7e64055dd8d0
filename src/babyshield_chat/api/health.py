"""Liveness and readiness probes.

`/healthz` answers while the process runs. `/readyz` answers 200 only when
the database answers, the process is not draining and it is not shedding
load (requests in flight at `BS_MAX_INFLIGHT`), so a load balancer stops
sending traffic to an instance that cannot serve it: readiness never says
200 while chat requests get 503 `overloaded`.
"""

from __future__ import annotations

from aiohttp import web

from babyshield_chat.api.context import DATABASE, REQUEST_STATE
from babyshield_chat.api.errors import ApiError
from babyshield_chat.api.responses import json_response


async def healthz(request: web.Request) -> web.Response:
    return json_response(request, {"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    state = request.app[REQUEST_STATE]
    if state.draining:
        raise ApiError(503, "not_ready", "This instance is draining before shutdown.", headers={"Retry-After": "1"})
    if state.overloaded:
        raise ApiError(503, "not_ready", "This instance is shedding load.", headers={"Retry-After": "1"})
    if not await request.app[DATABASE].ping():
        raise ApiError(503, "not_ready", "The database is not reachable.", headers={"Retry-After": "2"})
    return json_response(request, {"status": "ok"})
