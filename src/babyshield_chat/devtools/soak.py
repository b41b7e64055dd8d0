"""`babyshield-chat soak`: minutes of mixed traffic against a real service under injected faults.

The soak starts everything it needs on loopback — an embedded PostgreSQL
cluster in a temporary directory, the fake LLM, and `serve` as a child
process — then sends mixed traffic: every intent, emergencies, blocked
users, idempotent retries, parents with and without memory consent. Every
few seconds the fake LLM switches to a random fault (errors, hangs, garbage,
429s, latency), and once, mid-run, PostgreSQL is stopped and started again.

It reports requests, outcomes, the 5xx count, lost messages (answered with
`memory_saved: true` but missing from the database) and the service's RSS
after warm-up and at the end, as one JSON object on stdout, and exits 1
when a criterion fails: any 5xx, any lost message, or RSS growth beyond
`RSS_GROWTH_LIMIT` (a leak would grow with every request; allocator noise
and caches warmed after the first measurement stay well under it).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import os
import random
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from babyshield_chat.db.embedded import EmbeddedPostgres
from babyshield_chat.devtools.fake_llm.server import FakeLlmServer
from babyshield_chat.devtools.processes import DEV_ENV, ServiceProcess
from babyshield_chat.recalls.reindex import prepare_database
from babyshield_chat.telemetry.labels import request_outcome
from babyshield_chat.vocabulary import RuleIntent

QUESTIONS: dict[RuleIntent, str] = {
    "recall_details": "Has this crib been recalled?",
    "pregnancy_risk": "Is this safe while pregnant?",
    "allergy_question": "My son is allergic to milk, is this formula OK?",
    "ingredient_info": "What is sodium benzoate in this lotion?",
    "age_appropriateness": "Is this toy OK for a 6 month old?",
    "alternative_products": "Can you suggest a safer alternative?",
    "unclear_intent": "Hello there",
}
EMERGENCY = "My baby swallowed a button battery!"
PRODUCT = {"name": "Drop-side crib", "brand": "Acme", "category": "Cribs", "ingredients": ["whey", "casein"]}
FAULTS = (
    {"fault": "none", "error_rate": 0.0, "latency": 0},
    {"fault": "none", "error_rate": 0.3, "latency": {"distribution": "uniform", "min_ms": 50, "max_ms": 600}},
    {"fault": "server_error"},
    {"fault": "hang"},
    {"fault": "garbage"},
    {"fault": "rate_limited", "retry_after_s": 1},
    {"fault": "invent_evidence"},
    {"fault": "none", "latency": {"distribution": "fixed", "ms": 1200}},
)
FAULT_EVERY_SEC = 3.0
WARMUP_SHARE = 0.15
RSS_GROWTH_LIMIT = 0.25  # of the RSS after warm-up ...
RSS_GROWTH_FLOOR_KIB = 32 * 1024  # ... or 32 MiB, whichever is larger
READY_TIMEOUT_SEC = 60
BLOCKED_USER = "soak-blocked"


@dataclass
class Tally:
    requests: int = 0
    statuses: collections.Counter = field(default_factory=collections.Counter)
    outcomes: collections.Counter = field(default_factory=collections.Counter)
    saved: set[str] = field(default_factory=set)  # assistant message ids acknowledged as stored
    transport_errors: int = 0
    error_codes: collections.Counter = field(default_factory=collections.Counter)  # the envelope's `code`
    transport_error_kinds: collections.Counter = field(default_factory=collections.Counter)
    refused: int = 0  # connections refused: the request never reached a server (the drill's stopped listener)
    max_latency_sec: float = 0.0  # of the answers (200)

    def count(self, status: int, body: dict[str, Any]) -> None:
        self.requests += 1
        self.statuses[status] += 1
        error = body.get("error")
        if isinstance(error, dict):
            self.error_codes[error.get("code")] += 1
        if status == 200 and body.get("memory_saved"):
            self.saved.add(body["message_id"])
        # Every 403 here is the blocked user's: the soak sends no admin or forged requests.
        self.outcomes[request_outcome(status, blocked=status == 403, intent=body.get("intent"),
                                      synthesizer=body.get("synthesizer"))] += 1


async def _post(session: aiohttp.ClientSession, url: str, body: dict, user: str, tally: Tally) -> None:
    started = time.monotonic()
    try:
        async with session.post(url, json=body, headers={"X-User-Id": user}) as response:
            payload = await response.json(content_type=None)
            tally.count(response.status, payload if isinstance(payload, dict) else {})
            if response.status == 200:
                tally.max_latency_sec = max(tally.max_latency_sec, time.monotonic() - started)
    except aiohttp.ClientConnectorError:
        tally.refused += 1
    except (TimeoutError, aiohttp.ClientError) as exc:
        tally.transport_errors += 1
        tally.transport_error_kinds[type(exc).__name__] += 1


async def parent_traffic(base: str, session: aiohttp.ClientSession, rng: random.Random, stop_at: float,
                  users: list[str], tally: Tally, until: asyncio.Event | None = None) -> None:
    """Mixed traffic until `stop_at` (or until `until` is set)."""
    chat, explain = f"{base}/api/v1/chat/conversation", f"{base}/api/v1/chat/explain"
    while time.monotonic() < stop_at and not (until is not None and until.is_set()):
        user = rng.choice(users)
        roll = rng.random()
        if roll < 0.05:
            await _post(session, chat, {"message": EMERGENCY, "locale": "en-US"}, user, tally)
        elif roll < 0.10:
            await _post(session, chat, {"message": QUESTIONS["recall_details"]}, BLOCKED_USER, tally)
        elif roll < 0.15:
            await _post(session, explain, {"product": PRODUCT}, user, tally)
        elif roll < 0.30:
            body = {"message": rng.choice(list(QUESTIONS.values())), "product": PRODUCT,
                    "client_message_id": uuid.uuid4().hex}
            await _post(session, chat, body, user, tally)
            await _post(session, chat, body, user, tally)  # the client's retry
        else:
            await _post(session, chat, {"message": rng.choice(list(QUESTIONS.values())), "product": PRODUCT},
                        user, tally)


async def _faults(fake: FakeLlmServer, rng: random.Random, stop_at: float) -> collections.Counter:
    used: collections.Counter = collections.Counter()
    while time.monotonic() < stop_at:
        change = rng.choice(FAULTS)
        fake.state.reset()  # releases any hanging request before the next mode
        fake.state.set(**change)
        used[json.dumps(change, sort_keys=True)] += 1
        await asyncio.sleep(min(FAULT_EVERY_SEC, max(0.0, stop_at - time.monotonic())))
    fake.state.reset()
    return used


async def restart_database(cluster: EmbeddedPostgres, at: float, down_sec: float) -> None:
    await asyncio.sleep(max(0.0, at - time.monotonic()))
    await asyncio.to_thread(cluster.stop)
    await asyncio.sleep(down_sec)
    await asyncio.to_thread(cluster.start)


async def lost_messages(url: str, saved: set[str]) -> int:
    conn = await asyncpg.connect(url)
    try:
        found = await conn.fetchval("SELECT count(*) FROM messages WHERE id = ANY($1::uuid[])", list(saved))
    finally:
        await conn.close()
    return len(saved) - found


@dataclass
class Stack:
    """What a tool runs against: its PostgreSQL cluster (and URL), the fake LLM, `serve`."""

    cluster: EmbeddedPostgres
    url: str
    fake: FakeLlmServer
    service: ServiceProcess


@contextlib.asynccontextmanager
async def service_stack(workdir: Path, env: dict[str, str]) -> AsyncIterator[Stack]:
    """A migrated cluster in `workdir`, the fake LLM, and `serve` (dev identity, the LLM, plus `env`), ready."""
    cluster = EmbeddedPostgres(workdir / "pg", ephemeral=False)
    url = await asyncio.to_thread(cluster.start)
    service: ServiceProcess | None = None
    try:
        await prepare_database(url)
        async with FakeLlmServer() as fake:
            service = ServiceProcess({"BS_DATABASE_URL": url, **DEV_ENV, "BS_LLM_BASE_URL": fake.base_url,
                                      "BS_LLM_API_KEY": "tool", **env}, log_dir=workdir)
            await service.wait_ready_async(READY_TIMEOUT_SEC)
            yield Stack(cluster, url, fake, service)
    finally:
        if service is not None:
            await asyncio.to_thread(service.stop)
        await asyncio.to_thread(cluster.stop)


async def soak(duration_sec: float, concurrency: int, seed: int, workdir: Path) -> dict[str, Any]:
    rng = random.Random(seed)
    env = {"BS_FEATURE_CHAT_DENYLIST": BLOCKED_USER, "BS_CHAT_USER_RATE_PER_MIN": "100000",
           "BS_BREAKER_RESET_SEC": "2"}
    async with service_stack(workdir, env) as stack:
        service, base = stack.service, stack.service.url
        users = [f"soak-user-{i}" for i in range(40)]
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            for i, user in enumerate(users):  # half the parents consent to memory
                async with session.patch(f"{base}/api/v1/chat/profile", json={"consent_memory": i % 2 == 0},
                                         headers={"X-User-Id": user}) as response:
                    response.raise_for_status()
            started = time.monotonic()
            stop_at = started + duration_sec
            tally = Tally()
            warmup = asyncio.create_task(asyncio.sleep(duration_sec * WARMUP_SHARE))
            tasks = [asyncio.create_task(parent_traffic(base, session, random.Random(rng.random()), stop_at, users,
                                                        tally)) for _ in range(concurrency)]
            faults = asyncio.create_task(_faults(stack.fake, random.Random(rng.random()), stop_at))
            restart = asyncio.create_task(restart_database(stack.cluster, started + duration_sec / 2, 2.0))
            await warmup
            rss_start = service.memory()["rss"] // 1024
            await asyncio.gather(*tasks, restart)
            used_faults = await faults
            rss_end = service.memory()["rss"] // 1024
        lost = await lost_messages(stack.url, tally.saved)
    server_errors = sum(n for status, n in tally.statuses.items() if status >= 500)
    growth_limit = max(RSS_GROWTH_FLOOR_KIB, int(rss_start * RSS_GROWTH_LIMIT))
    checks = {"no_5xx": server_errors == 0, "no_lost_messages": lost == 0,
              "rss_flat": rss_end - rss_start <= growth_limit, "no_transport_errors": tally.transport_errors == 0}
    return {
        "duration_s": duration_sec, "concurrency": concurrency, "seed": seed,
        "requests": tally.requests, "statuses": dict(sorted(tally.statuses.items())),
        "outcomes": dict(sorted(tally.outcomes.items())), "server_errors": server_errors,
        "transport_errors": tally.transport_errors, "acknowledged_saved": len(tally.saved), "lost_messages": lost,
        "rss_kib": {"start": rss_start, "end": rss_end, "growth_limit": growth_limit},
        "faults": dict(used_faults), "database_restarts": 1, "checks": checks, "passed": all(checks.values()),
    }


def run(duration_sec: float, concurrency: int, seed: int) -> int:
    """`babyshield-chat soak`: print the report, exit 1 when a criterion failed."""
    return run_in_workdir("bs-soak-", lambda workdir: soak(duration_sec, concurrency, seed, workdir))


def run_in_workdir(prefix: str, report_of: Callable[[Path], Awaitable[dict[str, Any]]]) -> int:
    """Run a tool in a fresh work directory, print its JSON report, exit 1 unless it `passed` (soak, drill)."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(workdir, 0o755)  # the postgres user must reach the cluster under it when run as root
    try:
        report = asyncio.run(report_of(workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(report, indent=2))
    return 0 if report["passed"] else 1
