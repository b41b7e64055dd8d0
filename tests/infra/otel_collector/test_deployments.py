"""docker-compose.yml and the ECS task run the collector the tests build, with everything its configs read.

Each deployment names the collector image (the release `otel-collector/build`
builds), the config files it loads, the environment those files read, one
path per signal, and how long a stopping service may drain. Compose is for a
laptop: loopback only, restarted after a crash, memory-limited.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.collector import BASE_CONFIG, COLLECTOR_DIR, env_references

REPO_ROOT = COLLECTOR_DIR.parent
IMAGE = "otel/opentelemetry-collector-contrib"
# The SSM parameters behind the ECS collector's `--config=env:...` (infra/README.md).
ECS_CONFIG_VARIABLES = {"OTELCOL_CONFIG": BASE_CONFIG, "OTELCOL_AWS_CONFIG": COLLECTOR_DIR / "aws.yaml"}
SIGNALS = ("traces", "metrics", "logs")
RESTARTING = {"always", "unless-stopped", "on-failure"}


def built_release() -> str:
    main_go = (COLLECTOR_DIR / "distribution" / "main.go").read_text(encoding="utf-8")
    return re.search(r'^const release = "([^"]+)"', main_go, re.MULTILINE).group(1)


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def pipelines(configs: list[Path]) -> set[str]:
    """The signals the merged configs have a pipeline for (`traces/x` → `traces`)."""
    return {name.split("/", 1)[0] for path in configs for name in (load(path).get("service") or {}).get("pipelines", {})}


def mebibytes(size: str | int) -> float:
    """`512m`, `1g`, `512` (ECS: MiB) → MiB."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kmg]?)b?", str(size).lower())
    assert match, size
    return float(match.group(1)) * {"k": 1 / 1024, "": 1, "m": 1, "g": 1024}[match.group(2)]


def seconds(duration: str) -> float:
    match = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", duration)
    assert match and duration, duration
    return int(match.group(1) or 0) * 60 + int(match.group(2) or 0)


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    return load(REPO_ROOT / "docker-compose.yml")["services"]


@pytest.fixture(scope="module")
def task() -> dict[str, Any]:
    return json.loads((REPO_ROOT / "infra/ecs/task-definition.json").read_text(encoding="utf-8"))


def container(task: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in task["containerDefinitions"] if c["name"] == name)


def ecs_env(definition: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in definition.get("environment", [])}


def compose_collector_configs(services: dict[str, Any]) -> list[Path]:
    """The repository files compose's collector loads, in its `--config` order."""
    collector = services["otel-collector"]
    mounted = {}
    for volume in collector["volumes"]:
        host, inside = volume.split(":")[:2]
        mounted[inside] = REPO_ROOT / host
    return [mounted[arg.removeprefix("--config=")] for arg in collector["command"]]


def ecs_collector_configs(task: dict[str, Any]) -> list[Path]:
    collector = container(task, "otel-collector")
    secrets = {s["name"] for s in collector["secrets"]}
    variables = [arg.removeprefix("--config=env:") for arg in collector["command"]]
    assert set(variables) <= secrets, "each --config=env:VAR must come from the task's secrets (SSM)"
    return [ECS_CONFIG_VARIABLES[variable] for variable in variables]


# -- the same release everywhere ---------------------------------------------------------------


def test_compose_and_ecs_run_the_release_the_tests_build(services: dict[str, Any], task: dict[str, Any]) -> None:
    expected = f"{IMAGE}:{built_release()}"

    assert services["otel-collector"]["image"] == expected
    assert container(task, "otel-collector")["image"] == expected


def test_compose_loads_the_base_config_then_the_trace_ui_overlay(services: dict[str, Any]) -> None:
    assert compose_collector_configs(services) == [BASE_CONFIG, COLLECTOR_DIR / "jaeger.yaml"]
    assert "jaeger" in services and "jaeger" in services["otel-collector"]["depends_on"]


def test_ecs_loads_the_base_config_then_the_aws_overlay(task: dict[str, Any]) -> None:
    assert ecs_collector_configs(task) == [BASE_CONFIG, COLLECTOR_DIR / "aws.yaml"]


# -- every ${env:...} the loaded files read is set ---------------------------------------------


def test_compose_sets_every_variable_its_collector_configs_read(services: dict[str, Any]) -> None:
    read = set().union(*(env_references(path) for path in compose_collector_configs(services)))
    environment = services["otel-collector"].get("environment") or {}

    assert {name for name in read if str(environment.get(name) or "") == ""} == set()


def test_ecs_sets_every_variable_its_collector_configs_read(task: dict[str, Any]) -> None:
    collector = container(task, "otel-collector")
    read = set().union(*(env_references(path) for path in ecs_collector_configs(task)))
    provided = set(ecs_env(collector)) | {s["name"] for s in collector["secrets"]}

    assert "AWS_REGION" in read  # X-Ray's region: the check below is not vacuous
    assert read - provided == set()


# -- one path per signal -------------------------------------------------------------------------


def exported_signals(environment: dict[str, str]) -> set[str]:
    """The signals the service sends over OTLP (spec section 5: `OTEL_<SIGNAL>_EXPORTER=none` leaves one out)."""
    return {s for s in SIGNALS if environment.get(f"OTEL_{s.upper()}_EXPORTER", "otlp") != "none"}


def test_ecs_ships_each_log_line_once_through_awslogs(task: dict[str, Any]) -> None:
    chat = container(task, "babyshield-chat")

    assert chat["logConfiguration"]["logDriver"] == "awslogs"
    assert ecs_env(chat)["OTEL_LOGS_EXPORTER"] == "none"
    assert "logs" not in pipelines(ecs_collector_configs(task))


def test_the_service_exports_only_signals_the_collector_has_a_pipeline_for(
        services: dict[str, Any], task: dict[str, Any]) -> None:
    compose_env = {k: str(v) for k, v in services["babyshield-chat"]["environment"].items()}

    assert exported_signals(compose_env) == pipelines(compose_collector_configs(services)) == {"traces", "metrics"}
    assert exported_signals(ecs_env(container(task, "babyshield-chat"))) == pipelines(ecs_collector_configs(task))


# -- stopping ----------------------------------------------------------------------------------


def test_ecs_waits_for_the_drain_and_five_seconds_more_before_killing(task: dict[str, Any]) -> None:
    chat = container(task, "babyshield-chat")
    grace = float(ecs_env(chat)["BS_SHUTDOWN_GRACE_SEC"])

    assert chat["stopTimeout"] > grace + 5


def test_compose_waits_for_the_drain_before_killing(services: dict[str, Any]) -> None:
    chat = services["babyshield-chat"]
    grace = float(chat["environment"]["BS_SHUTDOWN_GRACE_SEC"])

    assert seconds(chat["stop_grace_period"]) > grace


# -- compose on a laptop ---------------------------------------------------------------------


def test_compose_publishes_every_port_on_loopback_only(services: dict[str, Any]) -> None:
    # Dev auth (any X-User-Id), the fixed admin token and fault injection must not reach the network.
    exposed = {name: port for name, service in services.items() for port in service.get("ports", [])
               if not str(port).startswith("127.0.0.1:")}

    assert exposed == {}
    assert services["babyshield-chat"]["environment"]["BS_AUTH_MODE"] == "dev"  # why it matters


def test_compose_restarts_every_service_after_a_crash(services: dict[str, Any]) -> None:
    assert {name for name, service in services.items() if service.get("restart") not in RESTARTING} == set()


def test_compose_limits_every_services_memory(services: dict[str, Any]) -> None:
    assert {name for name, service in services.items() if "mem_limit" not in service} == set()


def memory_limiter_fits(limiter: dict[str, Any], container_mib: float) -> None:
    """Absolute limits below the container's, or percentages of it (the limiter reads the cgroup limit)."""
    if "limit_mib" in limiter:
        assert limiter["limit_mib"] < container_mib
    else:
        assert 0 < limiter["spike_limit_percentage"] < limiter["limit_percentage"] < 100


def test_the_collectors_memory_limiter_refuses_data_below_its_container_limit(
        services: dict[str, Any], task: dict[str, Any]) -> None:
    limiter = load(BASE_CONFIG)["processors"]["memory_limiter"]

    memory_limiter_fits(limiter, mebibytes(services["otel-collector"]["mem_limit"]))
    memory_limiter_fits(limiter, mebibytes(container(task, "otel-collector")["memory"]))
    assert mebibytes(container(task, "otel-collector")["memory"]) < mebibytes(task["memory"])
