"""Settings from the environment: what start-up accepts, and how it refuses a bad value."""

import pytest

from babyshield_chat.telemetry.settings import TelemetrySettings

HASH_KEY = "a-long-enough-hash-key"


def test_an_empty_environment_exports_nothing_and_labels_the_service():
    settings = TelemetrySettings.from_env({})

    assert settings.service_name == "babyshield-chat"
    assert settings.environment == "development"
    assert settings.otlp_endpoint is None
    assert not any(settings.exports(signal) for signal in ("traces", "metrics", "logs"))
    assert settings.prometheus_enabled is False
    assert settings.llm_models == ("gpt-4o-mini",)


def test_the_spec_variables_are_read():
    settings = TelemetrySettings.from_env(
        {
            "BS_ENV": "production",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            "OTEL_LOGS_EXPORTER": "none",
            "OTEL_METRIC_EXPORT_INTERVAL": "5000",
            "BS_METRICS_PROMETHEUS": "TRUE",
            "BS_LOG_HASH_KEY": HASH_KEY,
            "BS_LLM_MODEL": "gpt-4o",
        }
    )

    assert settings.environment == "production"
    assert (settings.otlp_endpoint, settings.otlp_protocol) == ("http://collector:4317", "grpc")
    assert (settings.exports("traces"), settings.exports("metrics"), settings.exports("logs")) == (True, True, False)
    assert settings.metric_export_interval_ms == 5000
    assert settings.prometheus_enabled is True
    assert settings.log_hash_key == HASH_KEY
    assert settings.llm_models == ("gpt-4o",)


@pytest.mark.parametrize("value", ["on", "Yes", "1", "true"])
def test_prometheus_switch_accepts_the_usual_true_spellings(value):
    assert TelemetrySettings.from_env({"BS_METRICS_PROMETHEUS": value}).prometheus_enabled is True


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BS_METRICS_PROMETHEUS", "maybe"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
        ("OTEL_METRIC_EXPORT_INTERVAL", "soon"),
        ("OTEL_METRIC_EXPORT_INTERVAL", "-5"),
        ("OTEL_TRACES_EXPORTER", "console"),
    ],
)
def test_a_malformed_value_names_the_variable_and_the_value(variable, value):
    with pytest.raises(ValueError) as error:
        TelemetrySettings.from_env({variable: value})

    assert variable in str(error.value)
    assert value in str(error.value)


def test_a_short_hash_key_is_refused_without_echoing_the_secret():
    with pytest.raises(ValueError) as error:
        TelemetrySettings.from_env({"BS_LOG_HASH_KEY": "s3cr3t"})

    assert "BS_LOG_HASH_KEY" in str(error.value)
    assert "s3cr3t" not in str(error.value)


def test_the_hash_key_never_shows_in_the_settings_repr():
    assert HASH_KEY not in repr(TelemetrySettings(log_hash_key=HASH_KEY))
