"""`babyshield-chat drill`: the hostile mix of spec section 4a against a real service, with a verdict.

It starts what it needs on loopback, as `soak` does (an embedded PostgreSQL,
the fake LLM, `serve` as a child process), sends soak's mixed parent traffic
(`soak._client`) and, at the same time, what an attacker and a bad day
bring:

- slow bodies: sockets that send headers and a byte of body, then wait
  (each must get 408 and be closed within `BS_CLIENT_READ_TIMEOUT_SEC`);
- hostile requests: NUL in product fields and in `client_message_id`, a
  body that is not the gzip it claims, an `Authorization` header that is
  not UTF-8, an integer of 5,000 digits, a client leaving mid-body;
- PostgreSQL frozen (SIGSTOP) for a few seconds, later stopped and started;
- SIGTERM under load at the end, traffic going on until the process exits.

It prints one JSON report and exits 1 unless every figure but the first is
0 (or, for latency, within the budget + 100 ms):

- `requests_sent`; `server_errors` (5xx of any request, but the drain's
  503 `not_ready`, which the spec counts as `rejected`: reported apart);
- `error_outcomes`: `chat_requests_total{outcome="error"}` from `/metrics`
  (scraped just before SIGTERM), plus `chat_request` lines with
  `outcome: error` logged after the scrape;
- `unanswered`: requests that reached the server and got no response (a
  connection refused by the stopped listener never reached it);
- `lost_saved_messages`: answered `memory_saved: true`, missing in PostgreSQL;
- `max_latency_sec` of the answers against `latency_limit_sec`;
- `breaker_opens_from_client_input`: breakers not closed after the hostile
  phase, before any database fault.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import signal
import time
from pathlib import Path
from typing import Any

import aiohttp

from babyshield_chat.db.embedded import EmbeddedPostgres
from babyshield_chat.devtools.processes import ServiceProcess, frozen_postgres
from babyshield_chat.devtools.soak import (
    Tally,
    lost_messages,
    parent_traffic,
    restart_database,
    run_in_workdir,
    service_stack,
)
from babyshield_chat.vocabulary import DEFAULT_TOTAL_BUDGET_SEC

READ_TIMEOUT_SEC = 2.0
FREEZE_SEC = 3.0
SLOW_BODIES = 60
LATENCY_MARGIN_SEC = 0.1
HOSTILE_BODIES: tuple[tuple[dict[str, str], bytes], ...] = (
    ({"Content-Type": "application/json"}, b'{"message": "Is this recalled?", "product": {"name": "crib\\u0000"}}'),
    ({"Content-Type": "application/json"},
     b'{"message": "Is this recalled?", "client_message_id": "x\\u0000"}'),
    ({"Content-Type": "application/json"}, b'{"message": "hi", "product": {"age_min_months": ' + b"9" * 5000 + b"}}"),
    ({"Content-Type": "application/json", "Content-Encoding": "gzip"}, b"\x1f\x8b\x08\x00 not gzip"),
)
_ERROR_LINE = re.compile(r'^chat_requests_total\{[^}]*outcome="error"[^}]*\} ([0-9.e+]+)$', re.M)
_BREAKER_LINE = re.compile(r'^chat_circuit_state\{[^}]*breaker="([^"]+)"[^}]*\} ([0-9.]+)$', re.M)


async def _raw(port: int, data: bytes, *, keep_open_sec: float = 0.0) -> bytes:
    """Write `data`, optionally wait with the connection open, and read whatever comes back."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        if keep_open_sec:
            return await asyncio.wait_for(reader.read(), keep_open_sec)
        return await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.transport.abort()


def _status(response: bytes) -> int | None:
    parts = response.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


async def _slow_bodies(port: int, count: int) -> dict[str, int]:
    """`count` sockets that start a body and stall: each must get 408 and be closed in time."""
    head = ("PUT /api/v1/chat/profile HTTP/1.1\r\nHost: drill\r\nX-User-Id: drill-slowloris\r\n"
            "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{").encode()

    async def one() -> int | None:
        with contextlib.suppress(OSError, TimeoutError):
            return _status(await _raw(port, head, keep_open_sec=READ_TIMEOUT_SEC + 5))
        return None

    statuses = await asyncio.gather(*(one() for _ in range(count)))
    return {"sent": count, "answered_408": sum(1 for s in statuses if s == 408)}


async def _hostile(port: int, stop: asyncio.Event, tally: Tally) -> None:
    """Hostile requests in a loop: each must be a 4xx, never a 5xx."""
    rng = random.Random(7)
    while not stop.is_set():
        kind = rng.randrange(len(HOSTILE_BODIES) + 2)
        if kind < len(HOSTILE_BODIES):
            headers, body = HOSTILE_BODIES[kind]
            lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            data = (f"POST /api/v1/chat/conversation HTTP/1.1\r\nHost: drill\r\nX-User-Id: drill-hostile\r\n{lines}"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body
            keep = 0.0
        elif kind == len(HOSTILE_BODIES):
            data = b"GET /api/v1/chat/profile HTTP/1.1\r\nHost: drill\r\nAuthorization: Bearer \xff\xfe\r\n" \
                   b"Connection: close\r\n\r\n"
            keep = 0.0
        else:  # leaves mid-body
            data = (b"POST /api/v1/chat/conversation HTTP/1.1\r\nHost: drill\r\nX-User-Id: drill-hostile\r\n"
                    b"Content-Type: application/json\r\nContent-Length: 400\r\n\r\n{\"message\": ")
            keep = 0.05
        try:
            response = await _raw(port, data, keep_open_sec=keep)
            status = _status(response)
            if status is not None:
                with contextlib.suppress(ValueError):
                    tally.count(status, json.loads(response.partition(b"\r\n\r\n")[2]))
        except (OSError, TimeoutError):
            pass  # the disconnecting kind, or the listener gone at the end
        await asyncio.sleep(0.02)


async def _scrape(session: aiohttp.ClientSession, base: str) -> str:
    async with session.get(f"{base}/metrics") as response:
        return await response.text()


def _open_breakers(metrics: str) -> list[str]:
    return sorted(name for name, value in _BREAKER_LINE.findall(metrics) if float(value) != 0)


async def drill(duration_sec: float, concurrency: int, seed: int, workdir: Path) -> dict[str, Any]:
    env = {"BS_CHAT_USER_RATE_PER_MIN": "100000", "BS_CHAT_USER_MAX_INFLIGHT": "1000",
           "BS_METRICS_PROMETHEUS": "true", "BS_CLIENT_READ_TIMEOUT_SEC": str(READ_TIMEOUT_SEC),
           "BS_SHUTDOWN_DRAIN_DELAY_SEC": "1", "BS_SHUTDOWN_GRACE_SEC": "5"}
    async with service_stack(workdir, env) as stack:
        return await _run(stack.service, stack.cluster, stack.url, duration_sec, concurrency, random.Random(seed))


async def _run(service: ServiceProcess, cluster: EmbeddedPostgres, url: str, duration_sec: float,
               concurrency: int, rng: random.Random) -> dict[str, Any]:
    base, users = service.url, [f"drill-user-{i}" for i in range(16)]
    tally, hostile_tally = Tally(), Tally()
    stop = asyncio.Event()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        for i, user in enumerate(users):
            async with session.patch(f"{base}/api/v1/chat/profile", json={"consent_memory": i % 2 == 0},
                                     headers={"X-User-Id": user}) as response:
                response.raise_for_status()
        started = time.monotonic()
        forever = started + 10 * duration_sec  # the traffic stops on `stop`, set when the service has exited
        clients = [asyncio.create_task(parent_traffic(base, session, random.Random(rng.random()), forever, users, tally,
                                               until=stop)) for _ in range(concurrency)]
        hostile = asyncio.create_task(_hostile(service.port, stop, hostile_tally))
        slow = asyncio.create_task(_slow_bodies(service.port, SLOW_BODIES))

        await asyncio.sleep(duration_sec * 0.25)
        opened_by_input = _open_breakers(await _scrape(session, base))
        await asyncio.sleep(duration_sec * 0.10)
        with frozen_postgres(cluster.data_dir):
            await asyncio.sleep(FREEZE_SEC)
        await asyncio.sleep(max(0.0, started + duration_sec * 0.6 - time.monotonic()))
        await restart_database(cluster, time.monotonic(), 2.0)
        await asyncio.sleep(max(0.0, started + duration_sec * 0.9 - time.monotonic()))
        metrics = await _scrape(session, base)
        log_offset = service.log_offset()
        service.signal(signal.SIGTERM)
        exit_code = await asyncio.to_thread(service.wait, 60)
        stop.set()
        await asyncio.gather(*clients, hostile)
        slow_result = await slow
    later_errors = sum(1 for line in service.output_lines(since=log_offset)
                       if '"event":"chat_request"' in line and '"outcome":"error"' in line)
    lost = await lost_messages(url, tally.saved)
    statuses = tally.statuses + hostile_tally.statuses
    # 503 `not_ready` is the drain's answer to new work (spec 4a: `rejected`, not an error).
    draining_refusals = tally.error_codes["not_ready"] + hostile_tally.error_codes["not_ready"]
    limit = DEFAULT_TOTAL_BUDGET_SEC + LATENCY_MARGIN_SEC
    figures = {
        "server_errors": sum(n for status, n in statuses.items() if status >= 500) - draining_refusals,
        "error_outcomes": sum(float(v) for v in _ERROR_LINE.findall(metrics)) + later_errors,
        "unanswered": tally.transport_errors,
        "lost_saved_messages": lost,
        "breaker_opens_from_client_input": len(opened_by_input),
    }
    checks = {name: value == 0 for name, value in figures.items()}
    checks["latency_within_budget"] = tally.max_latency_sec <= limit
    checks["slow_bodies_answered_408"] = slow_result["answered_408"] == slow_result["sent"]
    checks["exited_0"] = exit_code == 0
    return {
        "requests_sent": tally.requests + hostile_tally.requests + tally.refused + slow_result["sent"],
        **figures,
        "max_latency_sec": round(tally.max_latency_sec, 3), "latency_limit_sec": limit,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "not_ready_while_draining": draining_refusals,
        "unanswered_kinds": dict(tally.transport_error_kinds),
        "refused_after_listener_closed": tally.refused, "slow_bodies": slow_result,
        "breakers_open_from_client_input": opened_by_input, "postgres_freeze_sec": FREEZE_SEC,
        "postgres_restarts": 1, "exit_code": exit_code, "checks": checks, "passed": all(checks.values()),
    }


def run(duration_sec: float, concurrency: int, seed: int) -> int:
    """`babyshield-chat drill`: print the report, exit 1 when a figure is not 0 (or over the latency limit)."""
    return run_in_workdir("bs-drill-", lambda workdir: drill(duration_sec, concurrency, seed, workdir))
