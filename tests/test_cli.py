"""The command line as a subprocess: config errors, migrate, serve with an embedded PostgreSQL, drain."""

import asyncio
import json
import signal
import subprocess
import urllib.request

import pytest

from babyshield_chat.devtools.processes import ServiceProcess, babyshield_chat_command, child_env

from tests.support.database import fetchval


def run_cli(*args, env=None, timeout=60):
    return subprocess.run(babyshield_chat_command(*args), env=child_env(env),
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize(
    ("variable", "raw"),
    [("BS_FEATURE_CHAT_ROLLOUT_PCT", "abc"), ("BS_FEATURE_CHAT_ROLLOUT_PCT", "1.5"),
     ("BS_FEATURE_CHAT_ENABLED", "maybe"), ("BS_CHAT_SYNTH_BUDGET_SEC", "soon")],
)
def test_serve_exits_2_with_one_line_naming_the_bad_variable(variable, raw):
    result = run_cli("serve", env={variable: raw})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and variable in lines[0] and repr(raw) in lines[0]


def test_serve_refuses_dev_auth_in_production():
    result = run_cli("serve", env={"BS_ENV": "production", "BS_AUTH_MODE": "dev", "BS_AUTH_JWT_SECRET": "x"})
    assert result.returncode == 2 and "BS_AUTH_MODE" in result.stderr


def test_migrate_applies_then_reports_nothing_pending(database_url):
    # database_url is already migrated from the template: nothing is pending.
    result = run_cli("migrate", env={"BS_DATABASE_URL": database_url})
    assert result.returncode == 0, result.stderr
    assert "applied 0 migration(s)" in result.stdout


def test_migrate_rebuilds_a_missing_search_vocabulary(loaded_database_url):
    # The vocabulary is derived, not migrated: `migrate` alone must bring it back.
    asyncio.run(fetchval(loaded_database_url, "DELETE FROM recall_terms"))
    result = run_cli("migrate", env={"BS_DATABASE_URL": loaded_database_url})
    assert result.returncode == 0, result.stderr
    assert asyncio.run(fetchval(loaded_database_url, "SELECT count(*) FROM recall_terms")) > 0


def test_migrate_against_an_unreachable_database_fails_with_a_message():
    result = run_cli("migrate", env={"BS_DATABASE_URL": "postgresql://postgres@127.0.0.1:9/x"})
    assert result.returncode == 1
    assert result.stderr.startswith("babyshield-chat:") and "Traceback" not in result.stderr


def test_serve_without_postgres_binaries_says_how_to_get_them(tmp_path):
    result = run_cli("serve", env={"BS_EMBEDDED_PG_BINDIR": str(tmp_path), "BS_EMBEDDED_PG_DIR": str(tmp_path / "pg")})
    assert result.returncode == 1
    assert "apt-get install -y postgresql" in result.stderr and "BS_DATABASE_URL" in result.stderr


def test_serve_on_embedded_defaults_answers_then_exits_0_on_sigterm(pg_dir):
    tmp_path = pg_dir
    service = ServiceProcess({"BS_EMBEDDED_PG_DIR": str(tmp_path / "pg"), "BS_AUTH_MODE": "dev",
                              "BS_FEATURE_CHAT_ENABLED": "true", "BS_FEATURE_CHAT_ROLLOUT_PCT": "0.10"})
    try:
        service.wait_ready()
        request = urllib.request.Request(f"{service.url}/api/v1/chat/flags", headers={"X-User-Id": "user-2"})
        with urllib.request.urlopen(request, timeout=2) as response:
            assert json.loads(response.read())["reason"] == "rollout_included"
        service.signal(signal.SIGTERM)
        assert service.wait(timeout=30) == 0
    finally:
        service.stop()
    # The embedded cluster was stopped on exit.
    assert not (tmp_path / "pg" / "pgdata" / "postmaster.pid").exists()


def test_recalls_import_goes_on_past_a_bad_file_and_fails_at_the_end(database_url, tmp_path):
    from tests.support.data import data_file

    bad = tmp_path / "bad.json"
    bad.write_text('{"not": "recalls"}')
    good = data_file("cpsc_api_shape_sample.json")
    result = run_cli("recalls", "import", str(bad), str(good), env={"BS_DATABASE_URL": database_url})
    assert result.returncode == 1
    assert "bad.json" in result.stderr and "4 inserted" in result.stdout
