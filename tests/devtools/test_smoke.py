"""`babyshield-chat smoke` against a real `serve` process configured as `scripts/serve` runs it."""

import json
import re
import subprocess
import urllib.request

import pytest

from babyshield_chat.db.embedded import free_port
from babyshield_chat.flags.evaluation import bucket
from babyshield_chat.devtools.processes import DEV_ENV, ServiceProcess, babyshield_chat_command, child_env
from babyshield_chat.devtools.smoke import DEFAULT_BLOCKED_USER, INTENT_QUESTIONS, blocked_user_id
from babyshield_chat.vocabulary import RULE_INTENTS

ADMIN_TOKEN = "smoke-test-admin-token"
TESTER = "smoke-allowed"  # allowlisted, as an internal tester is during a canary
CHECKS = ["flags", *RULE_INTENTS, "emergency", "explain", "blocked user"]


@pytest.fixture(scope="module")
def service(module_loaded_database_url):
    process = ServiceProcess({**DEV_ENV, "BS_DATABASE_URL": module_loaded_database_url, "BS_ADMIN_TOKEN": ADMIN_TOKEN,
                              "BS_FEATURE_CHAT_DENYLIST": DEFAULT_BLOCKED_USER, "BS_FEATURE_CHAT_ALLOWLIST": TESTER,
                              "BS_CHAT_USER_RATE_PER_MIN": "1000"})
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


def set_flag(service, method, body):
    request = urllib.request.Request(f"{service.url}/api/v1/admin/flags/chat", data=json.dumps(body).encode(),
                                     method=method, headers={"Authorization": f"Bearer {ADMIN_TOKEN}",
                                                             "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


@pytest.fixture
def flag(service):
    """Change the flag for one test; back to env afterwards."""
    yield lambda **change: set_flag(service, "PUT", {**change, "reason": "smoke test"})
    set_flag(service, "DELETE", {"reason": "smoke test done"})


def smoke(*args):
    return subprocess.run(babyshield_chat_command("smoke", *args), env=child_env(), capture_output=True, text=True,
                          timeout=120)


def rows(stdout):
    """CHECK → (RESULT, HTTP, TRACE ID, NOTE) from the printed table."""
    table = {}
    for line in stdout.splitlines()[1:]:
        match = re.match(r"^(\S+(?: user| flag| guard)?)\s+(PASS|FAIL)\s+(\S+)\s+(\S+)\s+(\S+)\s*(.*)$", line)
        if match:
            table[match[1]] = (match[2], match[3], match[5], match[6])
    return table


def test_every_check_passes_against_a_healthy_service_each_with_its_trace_id(service):
    result = smoke("--url", service.url, "--admin-token", ADMIN_TOKEN)
    assert result.returncode == 0, result.stdout + result.stderr
    table = rows(result.stdout)
    assert list(table) == [*CHECKS, "admin flag", "rollout guard"]
    assert all(row[0] == "PASS" and re.fullmatch(r"[0-9a-f]{32}", row[2]) for row in table.values()), table
    assert table["blocked user"][1] == "403" and "denylisted" in table["blocked user"][3]
    assert table["emergency"][3].startswith("level red: Call 911")
    assert result.stdout.splitlines()[-1] == f"smoke: all 13 checks passed against {service.url}"
    # The trace ids are the ones the service logged: what on-call pastes into a log search.
    logged = {json.loads(line)["trace_id"] for line in service.output().splitlines()
              if line.startswith("{") and '"event":"chat_request"' in line}
    assert {table[name][2] for name in CHECKS[1:]} <= logged


def test_below_100_percent_the_blocked_user_comes_from_the_bucketing_rule(service, flag):
    flag(rollout_pct=0.3)
    result = smoke("--url", service.url, "--user-id", TESTER)
    assert result.returncode == 0, result.stdout
    blocked = rows(result.stdout)["blocked user"]
    assert blocked[0] == "PASS" and blocked[3].startswith(blocked_user_id(0.3))
    assert "rollout_excluded" in blocked[3]


def test_the_default_user_outside_the_rollout_fails_the_flags_check_saying_why(service, flag):
    flag(rollout_pct=0.0)
    result = smoke("--url", service.url)
    assert result.returncode == 1
    assert rows(result.stdout)["flags"][0] == "FAIL"
    assert "chat is off for the smoke user (rollout_excluded)" in rows(result.stdout)["flags"][3]


def test_with_the_kill_switch_on_it_exits_1_naming_every_failed_check(service, flag):
    flag(enabled=False)
    result = smoke("--url", service.url)
    assert result.returncode == 1
    table = rows(result.stdout)
    assert table["flags"][0] == "FAIL" and "(disabled)" in table["flags"][3]
    assert table["recall_details"][:2] == ("FAIL", "403") and "chat_disabled" in table["recall_details"][3]
    assert table["blocked user"][0] == "PASS"  # still refused, and still before its body was read
    last = result.stdout.splitlines()[-1]
    assert last.startswith("smoke: FAILED 10 of 11 checks: flags, recall_details,") and "explain" in last
    assert "Traceback" not in result.stderr


def test_a_user_that_is_not_blocked_fails_the_blocked_check(service):
    result = smoke("--url", service.url, "--blocked-user", "anyone")
    assert result.returncode == 1
    blocked = rows(result.stdout)["blocked user"]
    assert blocked[:2] == ("FAIL", "400")
    assert "anyone was not blocked" in blocked[3] and "BS_FEATURE_CHAT_DENYLIST" in blocked[3]


def test_a_url_where_nothing_listens_is_one_clear_line_and_exit_1():
    url = f"http://127.0.0.1:{free_port()}"
    result = smoke("--url", url)
    assert result.returncode == 1
    assert result.stdout.strip().startswith(f"smoke: FAILED: cannot reach {url}: GET /api/v1/chat/flags")
    assert "Traceback" not in result.stderr and result.stderr == ""


def test_a_url_that_is_not_the_service_fails_every_check(service):
    result = smoke("--url", f"{service.url}/elsewhere")
    assert result.returncode == 1
    assert rows(result.stdout)["flags"][:2] == ("FAIL", "404")


@pytest.mark.parametrize(("args", "message"), [
    (["--url", "ftp://example"], "--url must be an http:// or https:// address, got 'ftp://example'"),
    (["--url", "http://127.0.0.1:1", "--timeout", "0"], "--timeout must be above 0 seconds, got 0.0"),
])
def test_bad_options_exit_2_quoting_the_value(args, message):
    result = smoke(*args)
    assert result.returncode == 2 and message in result.stderr


@pytest.mark.parametrize("pct", [0.0, 0.1, 0.5, 0.99999])
def test_the_derived_blocked_user_is_outside_the_rollout(pct):
    user = blocked_user_id(pct)
    assert bucket(user) >= round(pct * 100_000)


def test_at_100_percent_only_the_denylisted_user_can_be_blocked():
    assert blocked_user_id(1.0) == DEFAULT_BLOCKED_USER


def test_it_asks_one_question_for_every_intent_the_rules_classify():
    assert tuple(INTENT_QUESTIONS) == RULE_INTENTS
