"""The Prometheus side as promtool sees it: rules, their unit tests, and prometheus.yml.

These run the real ``promtool`` (a missing binary fails, it does not skip):
the unit tests in infra/prometheus/tests prove each alert fires after its
duration and stays quiet below its threshold and at zero or low traffic.
"""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from babyshield_chat.devtools.alerting.rules import render_rules
from babyshield_chat.alerting.thresholds import load_thresholds


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], check=False, capture_output=True, text=True, timeout=60)


def _alert_names(rules_path: Path) -> set[str]:
    groups = yaml.safe_load(rules_path.read_text(encoding="utf-8"))["groups"]
    return {rule["alert"] for group in groups for rule in group["rules"] if "alert" in rule}


def _unit_test_files(repo_root: Path) -> list[Path]:
    files = sorted((repo_root / "infra/prometheus/tests").glob("*.yml"))
    assert files, "no promtool unit tests found under infra/prometheus/tests"
    return files


def test_promtool_unit_tests_of_every_alert_pass(promtool: str, repo_root: Path) -> None:
    result = _run(promtool, "test", "rules", *_unit_test_files(repo_root))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_the_committed_rules(promtool: str, repo_root: Path) -> None:
    result = _run(promtool, "check", "rules", repo_root / "infra/prometheus/chat.rules.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_the_time_compressed_rules(promtool: str, tmp_path: Path) -> None:
    path = tmp_path / "chat.rules.yml"
    path.write_text(render_rules(load_thresholds(), time_scale=1 / 60, window_floor=timedelta(seconds=30)))
    result = _run(promtool, "check", "rules", path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_prometheus_yml_and_the_rules_it_loads(promtool: str, repo_root: Path) -> None:
    result = _run(promtool, "check", "config", repo_root / "infra/prometheus/prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 rule files found" in result.stdout


def test_every_alert_has_a_promtool_test_where_it_fires_and_one_where_it_stays_quiet(repo_root: Path) -> None:
    firing: set[str] = set()
    quiet: set[str] = set()
    for path in _unit_test_files(repo_root):
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]:
            for check in case.get("alert_rule_test", []):
                (firing if check.get("exp_alerts") else quiet).add(check["alertname"])
    alerts = _alert_names(repo_root / "infra/prometheus/chat.rules.yml")
    assert alerts - firing == set(), "alerts never shown to fire"
    assert alerts - quiet == set(), "alerts never shown to stay quiet"
    assert (firing | quiet) - alerts == set(), "tests name alerts the rules do not define"


def test_unit_tests_load_the_committed_rules_file(repo_root: Path) -> None:
    # A test file pointing at another rules file would pass without testing ours.
    for path in _unit_test_files(repo_root):
        rule_files = yaml.safe_load(path.read_text(encoding="utf-8"))["rule_files"]
        assert [(path.parent / f).resolve() for f in rule_files] == [
            (repo_root / "infra/prometheus/chat.rules.yml").resolve()
        ], path.name


@pytest.mark.parametrize("job", ["babyshield-chat", "otel-collector"])
def test_prometheus_scrapes_the_service_and_the_collector_exporter(repo_root: Path, job: str) -> None:
    config = yaml.safe_load((repo_root / "infra/prometheus/prometheus.yml").read_text(encoding="utf-8"))
    targets = {
        c["job_name"]: [t for sc in c["static_configs"] for t in sc["targets"]] for c in config["scrape_configs"]
    }
    expected = {"babyshield-chat": ["babyshield-chat:8080"], "otel-collector": ["otel-collector:8889"]}
    assert targets[job] == expected[job]


def test_chat_targets_carry_the_env_the_service_runs_as(repo_root: Path) -> None:
    # The rules keep `env`; a target without it would be one unnamed environment.
    config = yaml.safe_load((repo_root / "infra/prometheus/prometheus.yml").read_text(encoding="utf-8"))
    compose = yaml.safe_load((repo_root / "docker-compose.yml").read_text(encoding="utf-8"))
    service_env = compose["services"]["babyshield-chat"]["environment"]["BS_ENV"]
    for scrape in config["scrape_configs"]:
        if scrape["job_name"] in ("babyshield-chat", "otel-collector"):
            assert [sc["labels"]["env"] for sc in scrape["static_configs"]] == [service_env], scrape["job_name"]


def test_rules_count_the_job_prometheus_scrapes_the_service_under(repo_root: Path) -> None:
    config = yaml.safe_load((repo_root / "infra/prometheus/prometheus.yml").read_text(encoding="utf-8"))
    assert load_thresholds().job in {c["job_name"] for c in config["scrape_configs"]}


def test_prometheus_sends_alerts_to_alertmanager(repo_root: Path) -> None:
    config = yaml.safe_load((repo_root / "infra/prometheus/prometheus.yml").read_text(encoding="utf-8"))
    (alertmanagers,) = config["alerting"]["alertmanagers"]
    assert alertmanagers["static_configs"][0]["targets"] == ["alertmanager:9093"]


def test_time_compressed_error_trigger_fires_within_seconds_not_minutes(promtool: str, tmp_path: Path) -> None:
    # What the end-to-end test relies on: 2.5% errors page after the 30 s
    # window fills plus the 5 s hold, instead of 5 minutes.
    (tmp_path / "chat.rules.yml").write_text(
        render_rules(load_thresholds(), time_scale=1 / 60, window_floor=timedelta(seconds=30))
    )
    firing = (
        'ALERTS{action="rollback",alertname="ChatErrorRateCritical",alertstate="firing",'
        'gate="error_rate",rollback_trigger="true",severity="critical"}'
    )
    query = 'ALERTS{alertname="ChatErrorRateCritical",alertstate="firing"}'
    job = 'job="babyshield-chat",endpoint="conversation",circuit="closed"'
    unit_test = {
        "rule_files": ["chat.rules.yml"],
        "evaluation_interval": "1s",
        "tests": [
            {
                "interval": "1s",
                "input_series": [
                    {"series": f'chat_requests_total{{{job},outcome="ok"}}', "values": "0+117x60"},
                    {"series": f'chat_requests_total{{{job},outcome="error"}}', "values": "0+3x60"},
                ],
                "promql_expr_test": [
                    {"expr": query, "eval_time": "5s", "exp_samples": []},
                    {"expr": query, "eval_time": "40s", "exp_samples": [{"labels": firing, "value": 1}]},
                ],
            }
        ],
    }
    (tmp_path / "fast_test.yml").write_text(yaml.safe_dump(unit_test))
    result = _run(promtool, "test", "rules", tmp_path / "fast_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
