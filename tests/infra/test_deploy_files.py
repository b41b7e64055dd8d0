"""docker-compose.yml, the Dockerfile and the ECS task definition fit together.

Every name these files share — service hosts, ports, mounted paths, env vars —
is checked against the file on the other side, so a renamed service or a moved
folder breaks here rather than in someone's `docker compose up`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

# Environment variables named by the spec (sections 2, 3, 4, 5, 8).
SPEC_ENV = {
    "BS_ENV",
    "BS_AUTH_MODE",
    "BS_AUTH_JWT_SECRET",
    "BS_AUTH_JWT_PUBLIC_KEY",
    "BS_AUTH_JWT_AUDIENCE",
    "BS_AUTH_JWT_ISSUER",
    "BS_ADMIN_TOKEN",
    "BS_LOG_HASH_KEY",
    "BS_DATABASE_URL",
    "BS_FEATURE_CHAT_ENABLED",
    "BS_FEATURE_CHAT_ROLLOUT_PCT",
    "BS_FEATURE_CHAT_ALLOWLIST",
    "BS_FEATURE_CHAT_DENYLIST",
    "BS_METRICS_PROMETHEUS",
    "BS_FAULT_INJECTION",
    "BS_LLM_BASE_URL",
    "BS_LLM_API_KEY",
    "BS_LLM_MODEL",
    "BS_LLM_DAILY_BUDGET_USD",
    "BS_CHAT_TOTAL_BUDGET_SEC",
    "BS_CHAT_ROUTER_BUDGET_SEC",
    "BS_CHAT_TOOL_BUDGET_SEC",
    "BS_CHAT_SYNTH_BUDGET_SEC",
    "BS_BREAKER_FAIL_MAX",
    "BS_BREAKER_RESET_SEC",
    "BS_CHAT_USER_RATE_PER_MIN",
    "BS_MAX_INFLIGHT",
    "BS_MAX_BODY_BYTES",
    "BS_SHUTDOWN_GRACE_SEC",
    "BS_SHUTDOWN_DRAIN_DELAY_SEC",
    "BS_CLIENT_READ_TIMEOUT_SEC",
    "BS_KEEPALIVE_TIMEOUT_SEC",
    "BS_CHAT_USER_MAX_INFLIGHT",
    "BS_BREAKER_DB_RESET_SEC",
    "BS_AUTH_JWT_MAX_TTL_SEC",
    "BS_CONVERSATION_ID_KEY",
    "BS_CHAT_MEMORY_RETENTION_DAYS",
    "BS_RECALLS_MAX_AGE_DAYS",
    "BS_RECALLS_SOURCE_URL",
}


@pytest.fixture(scope="module")
def compose(repo_root: Path) -> dict[str, Any]:
    return yaml.safe_load((repo_root / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    """Host path (repo-relative) → container path of each bind mount."""
    mounts = {}
    for volume in service.get("volumes", []):
        host, container = volume.split(":")[:2]
        if host.startswith("./"):
            mounts[host[2:]] = container
    return mounts


def _published(service: dict[str, Any]) -> set[int]:
    return {int(str(p).split(":")[-1].split("/")[0]) for p in service.get("ports", [])}


def test_compose_runs_the_whole_stack(services: dict[str, Any]) -> None:
    assert set(services) == {
        "babyshield-chat",
        "fake-llm",
        "postgres",
        "otel-collector",
        "prometheus",
        "alertmanager",
        "grafana",
        "jaeger",
    }
    assert services["postgres"]["image"] == "postgres:15"
    assert services["otel-collector"]["image"].startswith("otel/opentelemetry-collector-contrib:")


def test_every_mounted_repository_path_exists(services: dict[str, Any], repo_root: Path) -> None:
    missing = sorted(
        host
        for service in services.values()
        for host in _mounts(service)
        if not (repo_root / host).exists()
    )
    assert missing == []


def test_collector_mounts_its_config_at_the_path_its_command_reads(services: dict[str, Any]) -> None:
    collector = services["otel-collector"]
    container = _mounts(collector)["otel-collector/config.yaml"]
    assert f"--config={container}" in collector["command"]


def test_prometheus_scrape_and_alerting_targets_are_compose_services_on_their_ports(
    services: dict[str, Any], repo_root: Path
) -> None:
    config = yaml.safe_load((repo_root / "infra/prometheus/prometheus.yml").read_text(encoding="utf-8"))
    targets = [t for job in config["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]]
    targets += [t for am in config["alerting"]["alertmanagers"] for sc in am["static_configs"] for t in sc["targets"]]
    for target in targets:
        host, port = target.rsplit(":", 1)
        if host == "localhost":
            continue
        assert host in services, target
        assert int(port) in _published(services[host]), target


def test_prometheus_and_alertmanager_read_the_mounted_infra_configs(services: dict[str, Any]) -> None:
    for name, folder, flag in (
        ("prometheus", "infra/prometheus", "--config.file=/etc/prometheus/prometheus.yml"),
        ("alertmanager", "infra/alertmanager", "--config.file=/etc/alertmanager/alertmanager.yml"),
    ):
        service = services[name]
        mount = _mounts(service)[folder]
        assert flag in service["command"] and flag.split("=")[1].startswith(mount + "/"), name


def test_grafana_reads_the_provisioning_and_the_generated_dashboards(services: dict[str, Any], repo_root: Path) -> None:
    mounts = _mounts(services["grafana"])
    assert mounts["infra/grafana/provisioning"] == "/etc/grafana/provisioning"
    provider = yaml.safe_load(
        (repo_root / "infra/grafana/provisioning/dashboards/babyshield-chat.yml").read_text(encoding="utf-8")
    )
    (entry,) = provider["providers"]
    assert mounts["infra/grafana/dashboards"] == entry["options"]["path"]


def test_grafana_datasource_points_at_the_prometheus_service(services: dict[str, Any], repo_root: Path) -> None:
    provisioned = yaml.safe_load(
        (repo_root / "infra/grafana/provisioning/datasources/prometheus.yml").read_text(encoding="utf-8")
    )
    url = urlparse(provisioned["datasources"][0]["url"])
    assert url.hostname == "prometheus" and url.port in _published(services["prometheus"])


def test_chat_service_reaches_postgres_the_collector_and_the_fake_llm(services: dict[str, Any]) -> None:
    env = services["babyshield-chat"]["environment"]
    database = urlparse(env["BS_DATABASE_URL"])
    assert (database.hostname, database.port, database.path) == (
        "postgres",
        5432,
        "/" + services["postgres"]["environment"]["POSTGRES_DB"],
    )
    llm = urlparse(env["BS_LLM_BASE_URL"])
    assert llm.hostname == "fake-llm" and llm.port in _published(services["fake-llm"])
    otlp = urlparse(env["OTEL_EXPORTER_OTLP_ENDPOINT"])
    assert otlp.hostname == "otel-collector" and otlp.port in _published(services["otel-collector"])
    assert env["BS_METRICS_PROMETHEUS"] == "true"  # prometheus.yml scrapes babyshield-chat:8080/metrics


def test_fake_llm_runs_the_project_cli_on_8081(services: dict[str, Any]) -> None:
    assert services["fake-llm"]["command"] == ["babyshield-chat", "fake-llm", "--host", "0.0.0.0", "--port", "8081"]
    assert services["fake-llm"]["image"] == services["babyshield-chat"]["image"]


def test_compose_sets_only_environment_variables_the_spec_defines(services: dict[str, Any]) -> None:
    names = {n for n in services["babyshield-chat"]["environment"] if n.startswith("BS_")}
    assert names - SPEC_ENV == set()


def test_dockerfile_builds_a_non_root_python_3_11_image_serving_with_a_healthcheck(repo_root: Path) -> None:
    text = (repo_root / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim$", text, re.MULTILINE)
    (user,) = re.findall(r"^USER (\S+)$", text, re.MULTILINE)
    assert user not in ("root", "0")
    assert re.search(r'^CMD \["babyshield-chat", "serve", "--host", "0.0.0.0", "--port", "8080"\]$', text, re.MULTILINE)
    assert re.search(r"HEALTHCHECK .*\n.*127\.0\.0\.1:8080/healthz", text)
    assert text.index("USER") > text.index("pip install")  # installs as root, runs as the user


@pytest.fixture(scope="module")
def task(repo_root: Path) -> dict[str, Any]:
    return json.loads((repo_root / "infra/ecs/task-definition.json").read_text(encoding="utf-8"))


def _container(task: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in task["containerDefinitions"] if c["name"] == name)


def test_ecs_task_ships_every_container_log_to_cloudwatch(task: dict[str, Any]) -> None:
    for container in task["containerDefinitions"]:
        assert container["logConfiguration"]["logDriver"] == "awslogs", container["name"]
        assert container["logConfiguration"]["options"]["awslogs-group"] == "${LOG_GROUP_NAME}"


def test_ecs_task_carries_the_rollout_flags_and_sends_telemetry_to_the_sidecar(task: dict[str, Any]) -> None:
    chat = _container(task, "babyshield-chat")
    env = {e["name"]: e["value"] for e in chat["environment"]}
    for flag in (
        "BS_FEATURE_CHAT_ENABLED",
        "BS_FEATURE_CHAT_ROLLOUT_PCT",
        "BS_FEATURE_CHAT_ALLOWLIST",
        "BS_FEATURE_CHAT_DENYLIST",
        "BS_METRICS_PROMETHEUS",
    ):
        assert flag in env
    assert env["BS_FAULT_INJECTION"] == "false"
    assert urlparse(env["OTEL_EXPORTER_OTLP_ENDPOINT"]).hostname == "localhost"
    assert _container(task, "otel-collector")["image"].startswith("otel/opentelemetry-collector-contrib:")
    assert {"containerName": "otel-collector", "condition": "START"} in chat["dependsOn"]


def test_ecs_task_names_only_spec_variables_and_keeps_secrets_out_of_plain_env(task: dict[str, Any]) -> None:
    chat = _container(task, "babyshield-chat")
    plain = {e["name"] for e in chat["environment"]}
    secret = {s["name"] for s in chat["secrets"]}
    assert {n for n in plain | secret if n.startswith("BS_")} - SPEC_ENV == set()
    assert {"BS_DATABASE_URL", "BS_LLM_API_KEY", "BS_ADMIN_TOKEN", "BS_LOG_HASH_KEY"} <= secret
    assert not plain & secret


# What `server.EXIT_MARGIN_SEC` allows after the drain, rounded up.
EXIT_MARGIN_SEC = 5


def test_ecs_gives_the_drain_its_delay_grace_and_margin_before_killing(task: dict[str, Any]) -> None:
    chat = _container(task, "babyshield-chat")
    env = {e["name"]: float(e["value"]) for e in chat["environment"] if e["name"].startswith("BS_SHUTDOWN")}
    needed = env["BS_SHUTDOWN_GRACE_SEC"] + env["BS_SHUTDOWN_DRAIN_DELAY_SEC"] + EXIT_MARGIN_SEC
    assert chat["stopTimeout"] >= needed
    assert chat["ulimits"] == [{"name": "nofile", "softLimit": 65536, "hardLimit": 65536}]


def test_compose_gives_the_drain_its_delay_grace_and_margin_before_killing(services: dict[str, Any]) -> None:
    chat = services["babyshield-chat"]
    env = {k: float(v) for k, v in chat["environment"].items() if k.startswith("BS_SHUTDOWN")}
    needed = env["BS_SHUTDOWN_GRACE_SEC"] + env["BS_SHUTDOWN_DRAIN_DELAY_SEC"] + EXIT_MARGIN_SEC
    assert float(chat["stop_grace_period"].rstrip("s")) >= needed
