"""Settings parsing: defaults, accepted spellings, and errors that name the variable."""

import pytest

from babyshield_chat.config import ConfigError, TelemetrySettings, load_settings


def test_defaults_match_the_spec():
    settings = load_settings({})
    assert settings.flags.enabled is False
    assert settings.flags.rollout_pct == 0.0
    assert settings.server.max_body_bytes == 16384
    assert (settings.budgets.total_sec, settings.budgets.router_sec) == (2.5, 0.3)
    assert (settings.budgets.tool_sec, settings.budgets.synth_sec) == (0.8, 1.5)
    assert settings.llm.model == "gpt-4o-mini" and not settings.llm.enabled
    assert (settings.resilience.breaker_fail_max, settings.resilience.breaker_reset_sec) == (5, 30.0)
    assert settings.chat.recalls_max_age_days == 7
    assert settings.chat.memory_retention_days == 30
    assert settings.chat.user_rate_per_min == 20
    assert settings.server.max_inflight == 512
    assert settings.server.shutdown_grace_sec == 25.0
    assert settings.server.shutdown_drain_delay_sec == 5.0
    assert settings.server.client_read_timeout_sec == 10.0
    assert settings.server.keepalive_timeout_sec == 75.0
    assert settings.chat.user_max_inflight == 4
    assert settings.resilience.breaker_db_reset_sec == 5.0
    assert settings.auth.max_ttl_sec == 86400


@pytest.mark.parametrize("raw", ["true", "TRUE", "1", "yes", "On"])
def test_kill_switch_accepts_every_true_spelling(raw):
    assert load_settings({"BS_FEATURE_CHAT_ENABLED": raw}).flags.enabled is True


@pytest.mark.parametrize("raw", ["false", "False", "0", "no", "OFF"])
def test_kill_switch_accepts_every_false_spelling(raw):
    assert load_settings({"BS_FEATURE_CHAT_ENABLED": raw}).flags.enabled is False


@pytest.mark.parametrize(("raw", "expected"), [("0.10", 0.10), ("10%", 0.10), ("0", 0.0), ("1", 1.0), ("100%", 1.0), (" 25 % ", 0.25)])
def test_rollout_accepts_fractions_and_percentages(raw, expected):
    assert load_settings({"BS_FEATURE_CHAT_ROLLOUT_PCT": raw}).flags.rollout_pct == pytest.approx(expected)


@pytest.mark.parametrize(
    ("variable", "raw"),
    [
        ("BS_FEATURE_CHAT_ROLLOUT_PCT", "abc"),
        ("BS_FEATURE_CHAT_ROLLOUT_PCT", "1.5"),
        ("BS_FEATURE_CHAT_ROLLOUT_PCT", "-0.1"),
        ("BS_FEATURE_CHAT_ROLLOUT_PCT", "nan"),
        ("BS_FEATURE_CHAT_ROLLOUT_PCT", "150%"),
        ("BS_FEATURE_CHAT_ENABLED", "maybe"),
        ("BS_CHAT_TOTAL_BUDGET_SEC", "fast"),
        ("BS_CHAT_TOOL_BUDGET_SEC", "0"),
        ("BS_MAX_BODY_BYTES", "16k"),
        ("BS_AUTH_MODE", "trust-me"),
        ("BS_DATABASE_URL", "mysql://x"),
        ("BS_LLM_BASE_URL", "localhost:8081"),
        ("BS_BREAKER_FAIL_MAX", "0"),
        ("BS_BREAKER_DB_RESET_SEC", "soon"),
        ("BS_CLIENT_READ_TIMEOUT_SEC", "0"),
        ("BS_KEEPALIVE_TIMEOUT_SEC", "-1"),
        ("BS_CHAT_USER_MAX_INFLIGHT", "four"),
        ("BS_AUTH_JWT_MAX_TTL_SEC", "1.5"),
        ("BS_SHUTDOWN_DRAIN_DELAY_SEC", "-5"),
        ("BS_METRICS_PROMETHEUS", "maybe"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
        ("OTEL_METRIC_EXPORT_INTERVAL", "soon"),
        ("OTEL_METRIC_EXPORT_INTERVAL", "-5"),
        ("OTEL_TRACES_EXPORTER", "console"),
    ],
)
def test_malformed_value_names_variable_and_value(variable, raw):
    with pytest.raises(ConfigError) as info:
        load_settings({variable: raw})
    assert info.value.variable == variable
    assert variable in str(info.value) and repr(raw) in str(info.value)


def test_lists_are_split_on_commas_and_trimmed():
    settings = load_settings({"BS_FEATURE_CHAT_ALLOWLIST": " a, b ,,c ", "BS_FEATURE_CHAT_DENYLIST": "x"})
    assert settings.flags.allowlist == {"a", "b", "c"}
    assert settings.flags.denylist == {"x"}


def test_dev_auth_is_refused_in_production():
    with pytest.raises(ConfigError) as info:
        load_settings({"BS_ENV": "production", "BS_AUTH_MODE": "dev", "BS_AUTH_JWT_SECRET": "s"})
    assert info.value.variable == "BS_AUTH_MODE"


def test_production_needs_a_jwt_key():
    with pytest.raises(ConfigError) as info:
        load_settings({"BS_ENV": "production"})
    assert info.value.variable == "BS_AUTH_JWT_SECRET"


def test_public_key_accepts_escaped_newlines():
    pem = "-----BEGIN PUBLIC KEY-----\\nABC\\n-----END PUBLIC KEY-----"
    assert "\nABC\n" in load_settings({"BS_AUTH_JWT_PUBLIC_KEY": pem}).auth.jwt_public_key


# --- telemetry (spec section 5) ---

HASH_KEY = "a-long-enough-hash-key"


def test_telemetry_of_an_empty_environment_exports_nothing_and_labels_the_service():
    settings = load_settings({}).telemetry

    assert settings.service_name == "babyshield-chat"
    assert settings.environment == "development"
    assert settings.otlp_endpoint is None
    assert not any(settings.exports(signal) for signal in ("traces", "metrics", "logs"))
    assert settings.prometheus_enabled is False
    assert settings.llm_models == ("gpt-4o-mini",)


def test_the_telemetry_variables_are_read():
    settings = load_settings(
        {
            "BS_ENV": "staging",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            "OTEL_LOGS_EXPORTER": "none",
            "OTEL_METRIC_EXPORT_INTERVAL": "5000",
            "BS_METRICS_PROMETHEUS": "TRUE",
            "BS_LOG_HASH_KEY": HASH_KEY,
            "BS_LLM_MODEL": "gpt-4o",
        }
    ).telemetry

    assert settings.environment == "staging"
    assert (settings.otlp_endpoint, settings.otlp_protocol) == ("http://collector:4317", "grpc")
    assert (settings.exports("traces"), settings.exports("metrics"), settings.exports("logs")) == (True, True, False)
    assert settings.metric_export_interval_ms == 5000
    assert settings.prometheus_enabled is True
    assert settings.log_hash_key == HASH_KEY
    assert settings.llm_models == ("gpt-4o",)


@pytest.mark.parametrize("value", ["on", "Yes", "1", "true"])
def test_prometheus_switch_accepts_the_usual_true_spellings(value):
    assert load_settings({"BS_METRICS_PROMETHEUS": value}).telemetry.prometheus_enabled is True


def test_a_short_hash_key_is_refused_without_echoing_the_secret():
    with pytest.raises(ConfigError) as error:
        load_settings({"BS_LOG_HASH_KEY": "s3cr3t"})

    assert "BS_LOG_HASH_KEY" in str(error.value)
    assert "s3cr3t" not in str(error.value)


def test_the_hash_key_never_shows_in_the_settings_repr():
    assert HASH_KEY not in repr(TelemetrySettings(log_hash_key=HASH_KEY))
