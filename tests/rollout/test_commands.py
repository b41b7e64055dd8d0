"""`babyshield-chat rollout ...` as a subprocess: the verbs an SRE types, and what they get back."""

import asyncio
import signal
import subprocess
import time

import asyncpg
import pytest

from babyshield_chat.db.embedded import free_port

from babyshield_chat.devtools.processes import babyshield_chat_command, child_env


def cli_env(database_url=None, **extra):
    return child_env({"BS_DATABASE_URL": database_url, **extra} if database_url else extra)


def rollout(*args, database_url=None, **extra):
    return subprocess.run(babyshield_chat_command("rollout", *args),
                          env=cli_env(database_url, **extra), capture_output=True, text=True, timeout=60)


def start_canary(database_url, pct="0.1"):
    for args in (("enable", "--reason", "canary"), ("set", pct, "--reason", "canary")):
        assert rollout(*args, database_url=database_url).returncode == 0


async def audit_actions(database_url):
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT actor, action, reason, new FROM flag_audit ORDER BY id")
        return [(r["actor"], r["action"], r["reason"]) for r in rows]
    finally:
        await conn.close()


async def test_set_accepts_a_percentage_and_records_who_and_why(database_url):
    result = rollout("set", "25%", "--reason", "phase 2", "--actor", "alice", database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert "rollout 0% → 25%" in result.stdout
    assert await audit_actions(database_url) == [("alice", "set", "phase 2")]


async def test_disable_and_enable_flip_the_kill_switch(database_url):
    assert rollout("disable", "--reason", "incident", database_url=database_url).returncode == 0
    enabled = rollout("enable", "--reason", "resolved", database_url=database_url)
    assert "enabled false → true" in enabled.stdout
    assert [a[1:] for a in await audit_actions(database_url)] == [("set", "incident"), ("set", "resolved")]


async def test_dry_run_prints_and_changes_nothing(database_url):
    result = rollout("disable", "--reason", "drill", "--dry-run", database_url=database_url)
    assert result.returncode == 0 and result.stdout.startswith("[dry run] would set enabled=false")
    assert await audit_actions(database_url) == []


async def test_rollback_halves_when_no_percentage_soaked_green(database_url):
    start_canary(database_url)
    result = rollout("rollback", "--reason", "p95 creeping", database_url=database_url)
    assert result.returncode == 0 and "rolled back 10% → 5%" in result.stdout
    assert (await audit_actions(database_url))[-1][1:] == ("rollback", "p95 creeping")


async def test_advance_without_prometheus_holds_with_exit_3_and_records_the_hold(database_url):
    start_canary(database_url)
    result = rollout("advance", database_url=database_url)
    assert result.returncode == 3, result.stderr
    assert result.stdout.startswith("hold at 10%") and "no Prometheus URL configured" in result.stdout
    assert (await audit_actions(database_url))[-1][:2] == ("rollout-guard", "guard_hold")


async def test_status_without_prometheus_shows_every_gate_as_no_data(database_url):
    start_canary(database_url)
    result = rollout("status", database_url=database_url)
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines() if line.strip().startswith(("error_rate", "latency_p95"))]
    assert [row[:3] + row[5:7] for row in rows] == [["error_rate", "no", "data", "NO", "DATA"],
                                                    ["latency_p95", "no", "data", "NO", "DATA"]]
    assert "Guard verdict: HOLD" in result.stdout and "soak: 23h59m" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("set", "150%", "--reason", "r"), "PCT '150%' is invalid: must be between 0 and 1"),
        (("set", "lots", "--reason", "r"), "PCT 'lots' is invalid"),
        (("status", "--policy", "/nonexistent/policy.yml"), "cannot read the policy file '/nonexistent/policy.yml'"),
        (("status", "--prometheus-url", "localhost:9090"), "got 'localhost:9090'"),
        (("watch", "--interval", "0"), "--interval must be a number of seconds above 0, got 0.0"),
    ],
)
def test_bad_input_exits_2_with_one_line_quoting_it(database_url, args, message):
    result = rollout(*args, database_url=database_url)
    assert result.returncode == 2, result
    assert message in result.stderr and "Traceback" not in result.stderr


def test_mutating_verbs_require_a_reason(database_url):
    result = rollout("disable", database_url=database_url)
    assert result.returncode == 2 and "--reason" in result.stderr


def test_no_database_configured_is_a_usage_error():
    result = rollout("status")
    assert result.returncode == 2 and "pass --database-url or set BS_DATABASE_URL" in result.stderr


def test_an_unreachable_database_exits_1_without_a_traceback():
    result = rollout("status", "--database-url", f"postgresql://postgres@127.0.0.1:{free_port()}/x")
    assert result.returncode == 1
    assert result.stderr.startswith("babyshield-chat rollout: the database failed") and "Traceback" not in result.stderr


async def watch_until(database_url, holds, signum=signal.SIGTERM, **env):
    """`rollout watch` every 0.2 s until it has recorded `holds` holds, then `signum`: (exit status, stdout, stderr)."""
    proc = subprocess.Popen(babyshield_chat_command("rollout", "watch", "--interval", "0.2"),
                            env=cli_env(database_url, **env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while len([a for a in await audit_actions(database_url) if a[1] == "guard_hold"]) < holds:
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "watch recorded no decisions"
            await asyncio.sleep(0.1)
        proc.send_signal(signum)
        out, err = await asyncio.to_thread(proc.communicate, timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, out, err


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_watch_decides_every_interval_and_exits_0_on_a_signal(database_url, signum):
    start_canary(database_url)
    status, out, err = await watch_until(database_url, 2, signum)
    assert status == 0, err
    assert "hold at 10%" in out and out.rstrip().endswith("watch stopped")


# --- a person's hold, and notifications ----------------------------------------------------------


async def test_hold_and_resume_are_audited_announced_and_not_doubled(database_url, receiver):
    start_canary(database_url)
    notify = {"BS_ROLLOUT_NOTIFY_URL": f"{receiver.url}/T1/B1/x"}
    held = await asyncio.to_thread(rollout, "hold", "--reason", "app release first", "--actor", "dana",
                                   database_url=database_url, **notify)
    assert held.returncode == 0, held.stderr
    assert held.stdout.startswith("held: the guard promotes nothing until `rollout resume` (rollout at 10%")
    again = await asyncio.to_thread(rollout, "hold", "--reason", "me too", database_url=database_url)
    assert again.returncode == 2 and "already held by dana" in again.stderr
    advanced = await asyncio.to_thread(rollout, "advance", database_url=database_url)
    assert advanced.returncode == 3 and "held by dana since" in advanced.stdout
    resumed = await asyncio.to_thread(rollout, "resume", "--reason", "released", "--actor", "dana",
                                      database_url=database_url, **notify)
    assert resumed.returncode == 0 and resumed.stdout.startswith("resumed (rollout at 10%")
    assert [a for a in await audit_actions(database_url) if a[1] in ("hold", "resume")] == [
        ("dana", "hold", "app release first"), ("dana", "resume", "released")]
    assert [b.json["blocks"][0]["text"]["text"] for b in receiver.bodies] == [
        "Rollout held by dana at 10%", "Rollout resumed by dana at 10%"]


async def test_advance_tells_the_webhook_what_it_decided(database_url, receiver):
    start_canary(database_url)
    result = await asyncio.to_thread(rollout, "advance", database_url=database_url,
                                     BS_ROLLOUT_NOTIFY_URL=f"{receiver.url}/hook", BS_ENV="staging")
    assert result.returncode == 3, result.stderr
    [body] = receiver.bodies
    assert body.json["text"].startswith("[staging] Rollout held at 10%: error_rate: no data")
    assert "audit #" in body.json["blocks"][-1]["elements"][0]["text"]


async def test_a_broken_webhook_never_changes_what_the_guard_does(database_url, receiver):
    start_canary(database_url)
    receiver.status = 500
    failing = await asyncio.to_thread(rollout, "advance", database_url=database_url,
                                      BS_ROLLOUT_NOTIFY_URL=f"{receiver.url}/hook")
    unreachable = await asyncio.to_thread(rollout, "advance", database_url=database_url,
                                          BS_ROLLOUT_NOTIFY_URL=f"http://127.0.0.1:{free_port()}/hook")
    for result in (failing, unreachable):
        assert result.returncode == 3 and result.stdout.startswith("hold at 10%"), result.stderr
        assert "rollout_notification_failed" in result.stdout + result.stderr
    assert [a[1] for a in await audit_actions(database_url)].count("guard_hold") == 2


async def test_status_prints_the_votes_and_the_cost_projection(database_url):
    start_canary(database_url)
    result = rollout("status", database_url=database_url, BS_LLM_DAILY_BUDGET_USD="50")
    assert result.returncode == 0, result.stderr
    assert ("  feedback    no data (no Prometheus URL configured (--prometheus-url or BS_ROLLOUT_PROMETHEUS_URL))"
            "   (warning 15%, critical 25%, at least 20 votes)") in result.stdout
    assert ("  cost        no data (no Prometheus URL configured (--prometheus-url or BS_ROLLOUT_PROMETHEUS_URL)); "
            "budget $50.00/day (BS_LLM_DAILY_BUDGET_USD)") in result.stdout
    assert any(line.split()[:1] == ["unhelpful_ratio"] for line in result.stdout.splitlines())


async def test_watch_tells_a_hold_once_not_every_round_and_counts_what_it_sent(database_url, receiver):
    start_canary(database_url)
    status, out, err = await watch_until(database_url, 4, BS_ROLLOUT_NOTIFY_URL=f"{receiver.url}/hook")
    assert status == 0, err
    assert len(receiver.bodies) == 1 and receiver.bodies[0].json["text"].startswith("[development] Rollout held at 10%")
    assert out.rstrip().endswith("watch stopped (notifications: 1 sent, 0 failed)")
