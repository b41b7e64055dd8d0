"""The rollout guard against a real Prometheus scraping chat metrics the test controls.

Prometheus (the Debian binary) evaluates the project's recording rules,
time-compressed, every second; the guard's policy compresses its trigger
windows by the same factor and its clock is injected, so a 24 h soak and a
5-minute error burst take seconds.
"""

import datetime as dt
import subprocess

import pytest

from babyshield_chat.alerting.thresholds import TRAFFIC_RECORD
from babyshield_chat.config import FlagSettings
from babyshield_chat.flags import overrides
from babyshield_chat.rollout.policy import load_policy
from babyshield_chat.rollout.prometheus import PrometheusClient
from babyshield_chat.rollout.runner import RolloutGuard

from tests.support.chat_metrics import ChatMetrics
from babyshield_chat.devtools.processes import babyshield_chat_command, child_env
from tests.support.prometheus import TIME_SCALE, Prometheus, settle
from tests.support.rollout import drill_policy_yaml, run_until_it_acts, start_rollout

pytestmark = pytest.mark.e2e

HEALTHY = {"rps": 20.0, "error_ratio": 0.0, "circuit_ratio": 0.0, "latency": 0.2}
ENV = FlagSettings(enabled=True, rollout_pct=0.0)


@pytest.fixture(scope="module")
def chat_metrics():
    metrics = ChatMetrics()
    metrics.start()
    yield metrics
    metrics.stop()


@pytest.fixture(scope="module")
def prometheus(chat_metrics):
    server = Prometheus(chat_metrics.target)
    server.start()
    yield server
    server.stop()


# The drill policy's traffic minimum (requests per second, all but blocked).
MIN_REQUEST_RATE = 1.0


@pytest.fixture
def policy_file(tmp_path):
    path = tmp_path / "policy.yml"
    path.write_text(drill_policy_yaml(TIME_SCALE, min_request_rate=MIN_REQUEST_RATE))
    return path


async def healthy(prometheus, chat_metrics):
    """Healthy traffic, and Prometheus' windows clear of whatever the previous test induced."""
    chat_metrics.set(**HEALTHY)
    await settle(prometheus.url, "chat:error_ratio:rate5m", lambda v: v == 0)
    await settle(prometheus.url, "chat:request_duration_seconds:p95_5m", lambda v: v is not None and v < 1)
    await settle(prometheus.url, "max(chat:synth_duration_seconds:p95_5m)", lambda v: v is not None)
    # After a test that stopped the traffic, the rate window must refill past the policy's minimum.
    await settle(prometheus.url, TRAFFIC_RECORD, lambda v: v is not None and v >= MIN_REQUEST_RATE)
    # The phases below are backdated a day: every vote so far is in them; the feedback gate needs 20.
    await settle(prometheus.url, "sum(chat_feedback_total)", lambda v: v is not None and v >= 25)


def guard_for(prometheus, policy_file, client):
    return RolloutGuard(load_policy(policy_file), ENV, client, clock=lambda: dt.datetime.now(dt.UTC))


def run_cli(*args, database_url, prometheus_url):
    env = child_env({"BS_DATABASE_URL": database_url, "BS_ROLLOUT_PROMETHEUS_URL": prometheus_url,
                     "BS_FEATURE_CHAT_ENABLED": "true"})
    return subprocess.run(babyshield_chat_command("rollout", *args), env=env,
                          capture_output=True, text=True, timeout=60)


async def test_no_data_holds(prometheus, chat_metrics, policy_file, conn):
    chat_metrics.set(rps=0.0)
    await settle(prometheus.url, "chat:requests:rate5m", lambda v: v is not None and v < 0.01)
    await start_rollout(conn, ENV, 0.10, hours_ago=25)
    async with PrometheusClient(prometheus.url) as client:
        guard = guard_for(prometheus, policy_file, client)
        decision = await guard.evaluate(conn)
        await guard.apply(conn, decision)
    assert decision.action == "hold" and not decision.changes_flag
    assert any(r.startswith("error_rate: no data") for r in decision.reasons)
    assert "traffic: 0 req/s below the minimum 1" in decision.reasons
    [entry] = await overrides.list_audit(conn, limit=1)
    assert entry.action == "guard_hold"
    assert next(g for g in entry.details["gates"] if g["key"] == "error_rate")["status"] == "no_data"


async def test_healthy_metrics_after_the_soak_promote_and_status_shows_it(prometheus, chat_metrics, policy_file,
                                                                          conn, database_url):
    await healthy(prometheus, chat_metrics)
    await start_rollout(conn, ENV, 0.10, hours_ago=25)
    async with PrometheusClient(prometheus.url) as client:
        decision = await guard_for(prometheus, policy_file, client).evaluate(conn)
        await guard_for(prometheus, policy_file, client).apply(conn, decision)
    assert (decision.action, decision.target_pct) == ("promote", 0.25), decision.summary
    [entry] = await overrides.list_audit(conn, limit=1)
    assert (entry.action, entry.old["rollout_pct"], entry.new["rollout_pct"]) == ("guard_promote", 0.1, 0.25)
    latency = next(g for g in entry.details["gates"] if g["key"] == "latency_p95")
    assert latency["status"] == "ok" and 0.1 < latency["value"] < 0.25

    result = run_cli("status", "--policy", str(policy_file), database_url=database_url,
                     prometheus_url=prometheus.url)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    print(out)
    assert "rollout     25%   (phase 2 of 4: 10% → 25% → 50% → 100%)" in out
    assert "soak left: 47h59m" in out
    error_row = next(line for line in out.splitlines() if line.strip().startswith("error_rate"))
    assert error_row.split()[1:5] == ["0%", "1%", "2%", "OK"]
    assert "guard_promote" in out and "on 10% → on 25%" in out


async def test_a_cli_advance_after_the_soak_promotes(prometheus, chat_metrics, policy_file, conn, database_url):
    await healthy(prometheus, chat_metrics)
    await start_rollout(conn, ENV, 0.25, hours_ago=49)
    dry = run_cli("advance", "--dry-run", "--policy", str(policy_file), database_url=database_url,
                  prometheus_url=prometheus.url)
    assert dry.returncode == 0 and dry.stdout.startswith("[dry run] would promote 25% → 50%"), dry
    assert (await overrides.read_override(conn)).rollout_pct == 0.25
    done = run_cli("advance", "--policy", str(policy_file), database_url=database_url, prometheus_url=prometheus.url)
    assert done.returncode == 0 and done.stdout.startswith("promote 25% → 50%"), done
    assert (await overrides.read_override(conn)).rollout_pct == 0.5


async def test_induced_errors_trip_the_kill_switch(prometheus, chat_metrics, policy_file, conn):
    await healthy(prometheus, chat_metrics)
    await start_rollout(conn, ENV, 0.25, hours_ago=1)
    chat_metrics.set(error_ratio=0.3)
    async with PrometheusClient(prometheus.url) as client:
        decision = await run_until_it_acts(guard_for(prometheus, policy_file, client), conn)
    assert (decision.action, decision.target_enabled) == ("kill_switch", False), decision.summary
    override = await overrides.read_override(conn)
    assert (override.enabled, override.rollout_pct) == (False, 0.25)
    [entry] = await overrides.list_audit(conn, limit=1)
    assert entry.action == "guard_kill_switch"
    error_rate = next(g for g in entry.details["gates"] if g["key"] == "error_rate")
    assert error_rate["triggered"] and error_rate["sustained"] > 0.02 and error_rate["value"] > 0.02


async def test_induced_latency_steps_back_to_the_last_stable_percentage(prometheus, chat_metrics, policy_file, conn):
    await healthy(prometheus, chat_metrics)
    await start_rollout(conn, ENV, 0.25, hours_ago=49)
    async with PrometheusClient(prometheus.url) as client:
        guard = guard_for(prometheus, policy_file, client)
        promoted = await guard.evaluate(conn)
        await guard.apply(conn, promoted)
        assert (promoted.action, promoted.target_pct) == ("promote", 0.5), promoted.summary
        chat_metrics.set(latency=3.5)
        decision = await run_until_it_acts(guard, conn)
    assert (decision.action, decision.target_enabled, decision.target_pct) == ("step_back", True, 0.25)
    [entry] = await overrides.list_audit(conn, limit=1)
    assert (entry.action, entry.old["rollout_pct"], entry.new["rollout_pct"]) == ("guard_step_back", 0.5, 0.25)
    latency = next(g for g in entry.details["gates"] if g["key"] == "latency_p95")
    assert latency["triggered"] and latency["value"] > 2.8


async def test_the_admin_rollout_endpoint_shows_the_same_state(prometheus, chat_metrics, apps, database_url, conn):
    await healthy(prometheus, chat_metrics)
    await start_rollout(conn, ENV, 0.10, hours_ago=2)
    client = await apps.client({"BS_ADMIN_TOKEN": "t", "BS_ROLLOUT_PROMETHEUS_URL": prometheus.url},
                               database_url=database_url)
    response = await client.get("/api/v1/admin/rollout", headers={"Authorization": "Bearer t"})
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["flag"] == {"enabled": True, "rollout_pct": 0.1, "source": "override"}
    assert (body["phase"], body["next_pct"]) == (1, 0.25)
    assert 21 * 3600 < body["soak"]["left_sec"] <= 22 * 3600
    assert {g["key"]: g["state"] for g in body["gates"]}["error_rate"] == "ok"
    assert body["verdict"]["action"] == "hold"
    assert any(r.startswith("soak: 21h59m") or r.startswith("soak: 22h") for r in body["verdict"]["reasons"])
    assert body["last_decisions"][0]["action"] == "set"


async def test_the_admin_advance_endpoint_promotes_after_the_soak_as_the_cli_does(prometheus, chat_metrics,
                                                                                  policy_file, apps, database_url,
                                                                                  conn):
    await healthy(prometheus, chat_metrics)
    await start_rollout(conn, ENV, 0.25, hours_ago=49)
    client = await apps.client({"BS_ADMIN_TOKEN": "t", "BS_ROLLOUT_PROMETHEUS_URL": prometheus.url,
                                "BS_ROLLOUT_POLICY": str(policy_file)}, database_url=database_url)
    headers = {"Authorization": "Bearer t", "X-Admin-Actor": "erin"}
    response = await client.post("/api/v1/admin/rollout/advance", headers=headers, json={"reason": "phase review"})
    assert response.status == 200, await response.text()
    body = await response.json()
    assert (body["verdict"]["action"], body["verdict"]["target_pct"], body["changes_flag"]) == ("promote", 0.5, True)
    assert (await overrides.read_override(conn)).rollout_pct == 0.5
    [entry] = await overrides.list_audit(conn, limit=1)
    assert (entry.id, entry.actor, entry.action) == (body["audit_id"], "erin", "guard_promote")
    assert entry.reason.startswith("promote 25% → 50%") and entry.reason.endswith("(asked: phase review)")
