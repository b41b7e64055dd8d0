"""otel-collector/config.yaml and its overlays: the real collector validates them, and they keep the contract.

`otelcol validate` is the collector's own start-up check (every key exists in
this release, every component is built, every pipeline is complete). The AWS
overlay's exporter is not in the project's build (README), so for ECS's
merged configuration the collector's structural rules are checked here
instead; the contract the service relies on (ports, metric names unchanged,
no log pipeline beside awslogs) is checked for every deployment.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.collector import BASE_CONFIG, COLLECTOR_DIR, config_args, run

KINDS = ("receivers", "processors", "exporters")
ENV_REFERENCE = re.compile(r"\$\{env:[A-Za-z_][A-Za-z0-9_]*\}")
# What each deployment merges over the base (docker-compose.yml, infra/ecs/).
DEPLOYMENTS = {"compose": COLLECTOR_DIR / "jaeger.yaml", "ecs": COLLECTOR_DIR / "aws.yaml"}


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def merge(base: Any, overlay: Any) -> Any:
    """The collector's merge of `--config` files: maps merge key by key, anything else is replaced."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        return {**base, **{key: merge(base.get(key), value) for key, value in overlay.items()}}
    return overlay


@pytest.fixture(scope="module", params=sorted(DEPLOYMENTS))
def deployed(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The configuration one deployment runs: the base with its overlay merged over it."""
    return merge(load(BASE_CONFIG), load(DEPLOYMENTS[request.param]))


def component_type(component_id: str) -> str:
    """`otlp_grpc/jaeger` -> `otlp_grpc`: the collector's type/name component ids."""
    return component_id.split("/", 1)[0]


def pipelines(config: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    return config["service"]["pipelines"]


def strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from strings(key)
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)


# -- the real collector ----------------------------------------------------------------------


def test_the_collector_validates_the_base_config(otelcol: str) -> None:
    result = run(otelcol, "validate", *config_args([BASE_CONFIG]))

    assert result.returncode == 0, result.stderr


def test_the_collector_validates_what_compose_runs(otelcol: str) -> None:
    result = run(otelcol, "validate", *config_args([BASE_CONFIG, DEPLOYMENTS["compose"]]))

    assert result.returncode == 0, result.stderr


def test_validate_rejects_a_key_this_release_does_not_have_and_names_it(otelcol: str, tmp_path: Path) -> None:
    overlay = tmp_path / "typo.yaml"
    overlay.write_text("exporters:\n  prometheus:\n    without_scope_infos: true\n")

    result = run(otelcol, "validate", *config_args([BASE_CONFIG, overlay]))

    assert result.returncode != 0
    assert "has invalid keys: without_scope_infos" in result.stderr


def test_validate_rejects_an_overlay_whose_exporter_is_not_built(otelcol: str) -> None:
    # Why aws.yaml is checked structurally below: this build cannot load it.
    result = run(otelcol, "validate", *config_args([BASE_CONFIG, DEPLOYMENTS["ecs"]]))

    assert result.returncode != 0
    assert 'unknown type: "awsxray"' in result.stderr


# -- every deployment's merged configuration ------------------------------------------------


def test_each_deployment_receives_otlp_and_exports_metrics_and_traces_but_no_logs(deployed: dict[str, Any]) -> None:
    by_signal = {component_type(name): pipeline for name, pipeline in pipelines(deployed).items()}

    # Logs: the service's stdout is the one path (awslogs / docker logs); a collector path would count twice.
    assert set(by_signal) == {"traces", "metrics"}
    assert all(pipeline["receivers"] == ["otlp"] for pipeline in by_signal.values())
    assert by_signal["metrics"]["exporters"] == ["prometheus"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_component_a_pipeline_references_is_defined(deployed: dict[str, Any], kind: str) -> None:
    referenced = {component for pipeline in pipelines(deployed).values() for component in pipeline.get(kind, [])}

    assert referenced <= set(deployed.get(kind) or {})


@pytest.mark.parametrize("kind", KINDS)
def test_every_defined_component_is_used_by_a_pipeline(deployed: dict[str, Any], kind: str) -> None:
    referenced = {component for pipeline in pipelines(deployed).values() for component in pipeline.get(kind, [])}

    assert set(deployed.get(kind) or {}) <= referenced


def test_every_extension_is_defined_and_enabled(deployed: dict[str, Any]) -> None:
    assert set(deployed["service"]["extensions"]) == set(deployed["extensions"])
    assert "health_check" in {component_type(name) for name in deployed["extensions"]}


def test_memory_limiter_comes_first_and_batch_last_in_every_pipeline(deployed: dict[str, Any]) -> None:
    for name, pipeline in pipelines(deployed).items():
        processors = [component_type(processor) for processor in pipeline["processors"]]
        assert processors[0] == "memory_limiter", name
        assert processors[-1] == "batch", name


def test_environment_references_use_the_env_provider_syntax(deployed: dict[str, Any]) -> None:
    for value in strings(deployed):
        assert ENV_REFERENCE.sub("", value).count("$") == 0, value


def test_otlp_is_received_on_the_standard_ports(deployed: dict[str, Any]) -> None:
    protocols = deployed["receivers"]["otlp"]["protocols"]

    assert protocols["grpc"]["endpoint"].endswith(":4317")
    assert protocols["http"]["endpoint"].endswith(":4318")


def test_prometheus_exporter_keeps_the_services_metric_names_and_labels(deployed: dict[str, Any]) -> None:
    prometheus = deployed["exporters"]["prometheus"]

    assert prometheus["endpoint"].endswith(":8889")
    assert "namespace" not in prometheus
    assert "const_labels" not in prometheus
    assert prometheus["translation_strategy"] == "UnderscoreEscapingWithoutSuffixes"
    assert prometheus["without_scope_info"] is True
    assert "resource_to_telemetry_conversion" not in prometheus


def test_ecs_sends_traces_to_xray_in_the_tasks_region() -> None:
    ecs = merge(load(BASE_CONFIG), load(DEPLOYMENTS["ecs"]))

    assert pipelines(ecs)["traces"]["exporters"] == ["awsxray"]
    assert ecs["exporters"]["awsxray"]["region"] == "${env:AWS_REGION}"
    assert {"http.route", "feature_flag.result.variant"} <= set(ecs["exporters"]["awsxray"]["indexed_attributes"])


def test_compose_sends_traces_to_the_local_trace_ui_over_otlp() -> None:
    compose = merge(load(BASE_CONFIG), load(DEPLOYMENTS["compose"]))
    [exporter] = pipelines(compose)["traces"]["exporters"]

    assert component_type(exporter) == "otlp_grpc"
    assert compose["exporters"][exporter]["endpoint"] == "jaeger:4317"
