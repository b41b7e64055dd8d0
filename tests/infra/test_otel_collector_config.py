"""The collector configuration, checked as the collector would load it.

No collector binary can run here, so these tests hold the config to the
rules the collector enforces at start-up (every referenced component defined)
and to the contract the service relies on (ports, metric names unchanged,
raw JSON lines into CloudWatch).
"""

import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.support.paths import REPO_ROOT

CONFIG_PATH = REPO_ROOT / "otel-collector" / "config.yaml"
KINDS = ("receivers", "processors", "exporters")
ENV_REFERENCE = re.compile(r"\$\{env:[A-Za-z_][A-Za-z0-9_]*\}")


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return yaml.safe_load(CONFIG_PATH.read_text())


def component_type(component_id: str) -> str:
    """`otlp/internal` -> `otlp`: the collector's type/name component ids."""
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


def test_there_is_a_pipeline_for_traces_metrics_and_logs_fed_by_otlp(config):
    by_signal = {component_type(name): pipeline for name, pipeline in pipelines(config).items()}

    assert set(by_signal) == {"traces", "metrics", "logs"}
    assert all("otlp" in pipeline["receivers"] for pipeline in by_signal.values())


@pytest.mark.parametrize("kind", KINDS)
def test_every_component_a_pipeline_references_is_defined(config, kind):
    referenced = {component for pipeline in pipelines(config).values() for component in pipeline.get(kind, [])}

    assert referenced <= set(config.get(kind) or {})


@pytest.mark.parametrize("kind", KINDS)
def test_every_defined_component_is_used_by_a_pipeline(config, kind):
    referenced = {component for pipeline in pipelines(config).values() for component in pipeline.get(kind, [])}

    assert set(config.get(kind) or {}) <= referenced


def test_every_extension_is_defined_and_enabled(config):
    assert set(config["service"]["extensions"]) == set(config["extensions"])
    assert "health_check" in {component_type(name) for name in config["extensions"]}


def test_memory_limiter_comes_first_and_batch_last_in_every_pipeline(config):
    for name, pipeline in pipelines(config).items():
        processors = [component_type(processor) for processor in pipeline["processors"]]
        assert processors[0] == "memory_limiter", name
        assert processors[-1] == "batch", name


def test_environment_references_use_the_env_provider_syntax(config):
    values_with_dollar = [value for value in strings(config) if "$" in value]

    assert values_with_dollar, "the CloudWatch exporter takes its log group from the environment"
    for value in values_with_dollar:
        assert ENV_REFERENCE.sub("", value).count("$") == 0, value


def test_otlp_is_received_on_the_standard_ports(config):
    protocols = config["receivers"]["otlp"]["protocols"]

    assert protocols["grpc"]["endpoint"].endswith(":4317")
    assert protocols["http"]["endpoint"].endswith(":4318")


def test_prometheus_exporter_keeps_the_services_metric_names_and_labels(config):
    prometheus = config["exporters"]["prometheus"]

    assert prometheus["endpoint"].endswith(":8889")
    assert "namespace" not in prometheus
    assert "const_labels" not in prometheus
    assert prometheus["translation_strategy"] == "UnderscoreEscapingWithoutSuffixes"
    assert prometheus["without_scope_info"] is True
    assert prometheus["resource_to_telemetry_conversion"]["enabled"] is False


def test_cloudwatch_logs_get_the_raw_json_lines_in_the_configured_group(config):
    cloudwatch = config["exporters"]["awscloudwatchlogs"]

    assert cloudwatch["raw_log"] is True
    assert cloudwatch["log_group_name"] == "${env:BS_CW_LOG_GROUP}"
    assert cloudwatch["log_stream_name"] == "${env:BS_CW_LOG_STREAM}"
    assert "awscloudwatchlogs" in pipelines(config)["logs"]["exporters"]
    assert "prometheus" in pipelines(config)["metrics"]["exporters"]
