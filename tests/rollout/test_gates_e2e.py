"""The feedback and cost gates, and the guard's notices, against the real service and a real Prometheus.

One stack for the module: the fake LLM and `babyshield-chat serve` as
subprocesses, steady traffic from canary users (every answer written by the
LLM, so `chat_llm_cost_usd_total` grows), and a real Prometheus scraping the
service every second with the project's rules, time-compressed, labelling
its target `env` as a Prometheus watching several environments does (the
guard, run with that `BS_ENV`, reads that environment's series only). Parents'
votes are cast through `POST /api/v1/chat/feedback` on answers the traffic
got. The guard runs as an SRE runs it, `babyshield-chat rollout advance` or
`watch` in a subprocess, with the budget and the webhook in its environment.

Each test starts its own phase now (the soaks of the test policy are one
second), so the phase's votes are the ones that test cast. The cost record's
window is shortened to 10 minutes (5 s here) so the spend rate settles within
seconds; its name, which the guard reads, is the shipped one.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import re
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest
import pytest_asyncio

from babyshield_chat.alerting.thresholds import load_thresholds
from babyshield_chat.config import FlagSettings
from babyshield_chat.devtools.processes import FakeLlmProcess, babyshield_chat_command, child_env
from babyshield_chat.flags import overrides
from tests.support.prometheus import TIME_SCALE, Prometheus, settle
from tests.support.rollout import drill_policy_yaml, start_rollout
from tests.support.service import DrillService
from tests.support.traffic import TrafficGenerator, canary_users, vote_on
from tests.support.webhook import WebhookReceiver

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

SHIPPED = load_thresholds()
THRESHOLDS = dataclasses.replace(SHIPPED, cost=dataclasses.replace(SHIPPED.cost, window=dt.timedelta(minutes=10)))
SERVICE_FLAGS = FlagSettings(enabled=True, rollout_pct=1.0)
ENV = "staging"  # the env label of the service's target, and the guard's BS_ENV
BLOCKED_USER = "denied-parent"
USERS = canary_users(24, within_pct=0.10)
TRAFFIC_RPS = 4.0
VOTES = 40
SETTLE_SEC = 45


@dataclasses.dataclass
class Stack:
    service: DrillService
    prometheus: Prometheus
    traffic: TrafficGenerator
    webhook: WebhookReceiver
    policy_file: Path
    database_url: str


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    log_dir = tmp_path_factory.mktemp("gates-e2e")
    policy_file = log_dir / "policy.yml"
    policy_file.write_text(drill_policy_yaml(TIME_SCALE, min_request_rate=SHIPPED.min_request_rate)
                           .replace("soak: 24h", "soak: 1s").replace("soak: 48h", "soak: 1s")
                           .replace("soak: 72h", "soak: 1s"))
    async with contextlib.AsyncExitStack() as stop:
        fake_llm = FakeLlmProcess(log_dir=log_dir, separate_stderr=True)
        stop.callback(fake_llm.stop)
        await fake_llm.wait_ready_async()
        service = DrillService(log_dir, database_url=module_database_url, llm=fake_llm,
                               env={"BS_FEATURE_CHAT_DENYLIST": BLOCKED_USER})
        stop.callback(service.stop)
        await service.wait_ready_async()
        webhook = WebhookReceiver()
        stop.push_async_callback(webhook.stop)
        await webhook.start()
        prometheus = Prometheus(service.target, thresholds=THRESHOLDS, env=ENV)
        stop.callback(prometheus.stop)
        await asyncio.to_thread(prometheus.start)
        traffic = TrafficGenerator(service.url, USERS, rps=TRAFFIC_RPS, blocked_user=BLOCKED_USER, blocked_every=10)
        stop.push_async_callback(traffic.stop)
        await traffic.start()
        yield Stack(service, prometheus, traffic, webhook, policy_file, module_database_url)
        assert not traffic.failures, f"requests the service dropped: {traffic.failures[:5]}"


@pytest_asyncio.fixture(loop_scope="module")
async def conn(stack: Stack) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(stack.database_url)
    yield connection
    await connection.close()


# -- steps ------------------------------------------------------------------------------------------


async def new_phase(stack: Stack, conn: asyncpg.Connection, pct: float) -> float:
    """Every gate settled green, then the flag set to `pct` now; returns the moment after the phase began."""
    url = stack.prometheus.url
    await settle(url, SHIPPED.traffic_query, lambda v: v is not None and v >= 1, SETTLE_SEC)
    for key in ("error_rate", "circuit_rate", "fallback_rate"):
        await settle(url, SHIPPED.gate(key).query, lambda v: v == 0, SETTLE_SEC)
    await settle(url, SHIPPED.cost.record, lambda v: v is not None and v > 0, SETTLE_SEC)
    await start_rollout(conn, SERVICE_FLAGS, pct, hours_ago=0)
    await asyncio.sleep(2)  # two scrapes: votes from here on fall inside the phase's window
    return time.monotonic()


async def vote(stack: Stack, after: float, *, unhelpful: int, helpful: int) -> None:
    """Parents vote on answers they got after `after`, then Prometheus has scraped every vote."""
    total_before = await settle(stack.prometheus.url, "sum(chat_feedback_total)", lambda v: v is not None)
    deadline = time.monotonic() + SETTLE_SEC
    while len(answered := [e for e in stack.traffic.since(after) if e.message_id]) < unhelpful + helpful:
        assert time.monotonic() < deadline, "too few answers to vote on"
        await asyncio.sleep(0.2)
    verdicts = [(False, "wrong")] * unhelpful + [(True, None)] * helpful
    async with aiohttp.ClientSession() as session:
        for exchange, (helpful_vote, reason) in zip(answered, verdicts):
            await vote_on(session, stack.service.url, exchange, helpful=helpful_vote, reason=reason)
    await settle(stack.prometheus.url, "sum(chat_feedback_total)",
                 lambda v: v is not None and v >= total_before + unhelpful + helpful, SETTLE_SEC)


def guard_env(stack: Stack, **extra: str) -> dict[str, str]:
    return child_env({"BS_DATABASE_URL": stack.database_url, "BS_ROLLOUT_PROMETHEUS_URL": stack.prometheus.url,
                      "BS_ENV": ENV, "BS_FEATURE_CHAT_ENABLED": "true", "BS_FEATURE_CHAT_ROLLOUT_PCT": "1", **extra})


async def advance(stack: Stack, **env: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(subprocess.run, babyshield_chat_command("rollout", "advance", "--policy",
                                                                           str(stack.policy_file)),
                                   env=guard_env(stack, **env), capture_output=True, text=True, timeout=60)


async def measured_cost(stack: Stack) -> float:
    value = await settle(stack.prometheus.url, SHIPPED.cost.record, lambda v: v is not None and v > 0)
    assert value is not None
    return value


def figures(line: str, pattern: str) -> tuple[float, ...]:
    match = re.search(pattern, line)
    assert match, f"{pattern!r} not in {line!r}"
    return tuple(float(group.replace(",", "")) for group in match.groups())


# -- the gates --------------------------------------------------------------------------------------


async def test_good_feedback_and_an_affordable_next_phase_promote(stack: Stack, conn: asyncpg.Connection) -> None:
    after = await new_phase(stack, conn, 0.25)
    await vote(stack, after, unhelpful=2, helpful=VOTES - 2)
    budget = await measured_cost(stack) * 10  # ×2 at 50%: well within
    result = await advance(stack, BS_LLM_DAILY_BUDGET_USD=f"{budget:.6f}")
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("promote 25% → 50%")
    share, votes = figures(result.stdout, r"feedback: ([\d.]+)% of (\d+) votes unhelpful in this phase")
    assert 3 <= share <= 7 and VOTES - 2 <= votes <= VOTES + 4
    projected, measured, factor = figures(
        result.stdout, r"cost: projected \$([\d,.]+)/day at 50% \(measured \$([\d,.]+)/day at 25%, × ([\d.]+)\) within")
    assert factor == 2 and projected == pytest.approx(2 * measured, abs=0.011)
    assert (await overrides.read_override(conn)).rollout_pct == 0.5


async def test_thirty_percent_unhelpful_votes_hold_with_the_share_printed(stack: Stack, conn: asyncpg.Connection) -> None:
    after = await new_phase(stack, conn, 0.25)
    await vote(stack, after, unhelpful=12, helpful=VOTES - 12)
    result = await advance(stack)
    print(result.stdout)
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stdout.startswith("hold at 25%")
    share, votes = figures(result.stdout, r"unhelpful_ratio: ([\d.]+)% of (\d+) votes unhelpful in this phase, "
                                          r"above critical 25%")
    assert 27 <= share <= 33 and VOTES - 2 <= votes <= VOTES + 4
    assert (await overrides.read_override(conn)).rollout_pct == 0.25
    [entry] = await overrides.list_audit(conn, limit=1)
    assert entry.action == "guard_hold" and entry.details["feedback"]["status"] == "critical"


async def test_a_next_phase_over_the_budget_holds_with_the_projection_printed(stack: Stack,
                                                                           conn: asyncpg.Connection) -> None:
    after = await new_phase(stack, conn, 0.25)
    await vote(stack, after, unhelpful=1, helpful=VOTES - 1)
    budget = await measured_cost(stack) * 1.25  # ×2 at 50% is over it, today's rate is not
    result = await advance(stack, BS_LLM_DAILY_BUDGET_USD=f"{budget:.6f}")
    print(result.stdout)
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stdout.startswith("hold at 25%: cost: projected $")
    projected, measured, factor, limit = figures(
        result.stdout, r"cost: projected \$([\d,.]+)/day at 50% \(measured \$([\d,.]+)/day at 25%, × ([\d.]+)\) "
                       r"above the budget \$([\d,.]+)/day \(BS_LLM_DAILY_BUDGET_USD\)")
    assert factor == 2 and projected == pytest.approx(2 * measured, abs=0.011)
    assert projected > limit == pytest.approx(budget, abs=0.005)
    [entry] = await overrides.list_audit(conn, limit=1)
    assert entry.details["cost"]["over_budget"] is True
    assert (await overrides.read_override(conn)).rollout_pct == 0.25


# -- the notices ------------------------------------------------------------------------------------


async def test_watch_announces_a_promotion_ahead_honours_a_hold_and_tells_every_decision(
        stack: Stack, conn: asyncpg.Connection) -> None:
    lead_sec = 3
    after = await new_phase(stack, conn, 0.25)
    await vote(stack, after, unhelpful=0, helpful=VOTES)
    notify = {"BS_ROLLOUT_NOTIFY_URL": f"{stack.webhook.url}/T0/B0/hook", "BS_ROLLOUT_NOTIFY_LEAD_SEC": str(lead_sec)}
    started = time.monotonic()
    watch = subprocess.Popen(babyshield_chat_command("rollout", "watch", "--interval", "0.5", "--policy",
                                                     str(stack.policy_file)),
                             env=guard_env(stack, **notify), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def headline(prefix: str):
            return lambda body: body.json["blocks"][0]["text"]["text"].startswith(prefix)

        first = await stack.webhook.wait_for_body(headline("Promotion announced: 25% → 50% at"), after=started,
                                                  timeout=SETTLE_SEC)
        assert 'To hold it: `babyshield-chat rollout hold --reason "..."`' in first.json["text"]
        held = await asyncio.to_thread(subprocess.run, babyshield_chat_command(
            "rollout", "hold", "--reason", "the app release goes first", "--actor", "dana"),
            env=guard_env(stack, **notify), capture_output=True, text=True, timeout=60)
        assert held.returncode == 0, held.stderr
        await stack.webhook.wait_for_body(headline("Rollout held by dana at 25%"), after=started, timeout=10)
        hold_notice = await stack.webhook.wait_for_body(
            lambda b: b.json["text"].startswith(f"[{ENV}] Rollout held at 25%: held by dana"), after=started,
            timeout=10)
        await asyncio.sleep(2 * lead_sec + 2)  # the announcement is due, then lapses: the hold keeps it
        assert (await overrides.read_override(conn)).rollout_pct == 0.25

        resumed_at = time.monotonic()
        resumed = await asyncio.to_thread(subprocess.run, babyshield_chat_command(
            "rollout", "resume", "--reason", "released", "--actor", "dana"),
            env=guard_env(stack, **notify), capture_output=True, text=True, timeout=60)
        assert resumed.returncode == 0, resumed.stderr
        again = await stack.webhook.wait_for_body(headline("Promotion announced: 25% → 50%"), after=resumed_at,
                                                  timeout=SETTLE_SEC)
        promoted = await stack.webhook.wait_for_body(headline("Rollout promoted: 25% → 50%"), after=resumed_at,
                                                     timeout=SETTLE_SEC)
        assert promoted.received_at - again.received_at >= lead_sec - 0.5
        assert (await overrides.read_override(conn)).rollout_pct == 0.5
    finally:
        watch.terminate()
        out, err = await asyncio.to_thread(watch.communicate, timeout=20)
    print(out)
    assert watch.returncode == 0, err
    # At least the announcement, the hold (the person's own notice comes from `rollout hold`), the new
    # announcement after `resume` and the promotion; more only if what held the rollout changed meanwhile.
    [sent] = figures(out, r"watch stopped \(notifications: (\d+) sent, 0 failed\)")
    assert sent >= 4
    texts = [b.json["text"] for b in stack.webhook.bodies if b.received_at >= started]
    # One notice per change of what holds the rollout, never one per round.
    assert texts.count(hold_notice.json["text"]) == 1, texts
    assert not [t for t in texts if t.startswith(f"[{ENV}] Rollout held at 25%: promotion to 50% announced at")]
    fields = {f["text"].split("\n")[0]: f["text"].split("\n")[1] for f in promoted.json["blocks"][2]["fields"]}
    assert fields["*Feedback*"].startswith("0% of") and fields["*Decided by*"] == "rollout-guard"
