"""The telemetry settings, read from the environment (spec sections 5 and 3).

| variable | meaning | default |
|---|---|---|
| `BS_ENV` | `deployment.environment` and the logs' `env` | `development` |
| `OTEL_EXPORTER_OTLP_ENDPOINT` | OTLP base URL; unset: no OTLP export | unset |
| `OTEL_EXPORTER_OTLP_PROTOCOL` | `http/protobuf` or `grpc` | `http/protobuf` |
| `OTEL_TRACES_EXPORTER`, `OTEL_METRICS_EXPORTER`, `OTEL_LOGS_EXPORTER` | `otlp` or `none` per signal | `otlp` |
| `OTEL_METRIC_EXPORT_INTERVAL` | OTLP metric export period, ms | `15000` |
| `BS_METRICS_PROMETHEUS` | serve `/metrics` | `false` |
| `BS_LOG_HASH_KEY` | key of the logs' `user_hash` (at least 16 characters) | random per process |
| `BS_LLM_MODEL` | the model name accepted as a metric label | `gpt-4o-mini` |

A malformed value stops start-up with a ValueError naming the variable and
the value (except the hash key, which is a secret and is never echoed).

The other standard `OTEL_*` variables are not read here: the exporters and the
SDK read them themselves (see `setup`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal, get_args
from urllib.parse import urlsplit

from babyshield_chat import __version__

#: The model the service uses when `BS_LLM_MODEL` is unset (spec step 5).
DEFAULT_LLM_MODEL: Final = "gpt-4o-mini"
DEFAULT_SERVICE_NAME: Final = "babyshield-chat"
DEFAULT_ENVIRONMENT: Final = "development"
DEFAULT_OTLP_PROTOCOL: Final = "http/protobuf"
# The SDK's default is 60 s. Alerts judge 5-minute windows; a point every
# 15 s gives them 20 samples instead of 5, and the collector's Prometheus
# exporter updates as often as Prometheus scrapes it.
DEFAULT_METRIC_EXPORT_INTERVAL_MS: Final = 15_000
#: Shorter keys are refused: the key is all that keeps user hashes from being
#: reversed by hashing candidate ids.
MIN_LOG_HASH_KEY_CHARS: Final = 16

OtlpProtocol = Literal["http/protobuf", "grpc"]
Signal = Literal["traces", "metrics", "logs"]
ALL_SIGNALS: Final[frozenset[Signal]] = frozenset(get_args(Signal))

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})
_SIGNAL_EXPORTER_VARS: Final[Mapping[Signal, str]] = {
    "traces": "OTEL_TRACES_EXPORTER",
    "metrics": "OTEL_METRICS_EXPORTER",
    "logs": "OTEL_LOGS_EXPORTER",
}


@dataclass(frozen=True)
class TelemetrySettings:
    """What to export and how to label it; `from_env` reads the spec's variables."""

    service_name: str = DEFAULT_SERVICE_NAME
    service_version: str = __version__
    environment: str = DEFAULT_ENVIRONMENT
    otlp_endpoint: str | None = None
    otlp_protocol: OtlpProtocol = DEFAULT_OTLP_PROTOCOL
    otlp_signals: frozenset[Signal] = ALL_SIGNALS
    metric_export_interval_ms: int = DEFAULT_METRIC_EXPORT_INTERVAL_MS
    prometheus_enabled: bool = False
    # repr=False: settings get logged at start-up, the key must not be.
    log_hash_key: str | None = field(default=None, repr=False)
    llm_models: tuple[str, ...] = (DEFAULT_LLM_MODEL,)

    def __post_init__(self) -> None:
        if self.otlp_protocol not in get_args(OtlpProtocol):
            raise ValueError(f"otlp_protocol must be 'http/protobuf' or 'grpc', got {self.otlp_protocol!r}")
        if self.metric_export_interval_ms <= 0:
            raise ValueError(f"metric_export_interval_ms must be positive, got {self.metric_export_interval_ms}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TelemetrySettings:
        """Reads the settings; a malformed value raises ValueError naming the variable."""
        env = os.environ if environ is None else environ
        return cls(
            environment=_text(env, "BS_ENV") or DEFAULT_ENVIRONMENT,
            otlp_endpoint=_endpoint(env, "OTEL_EXPORTER_OTLP_ENDPOINT"),
            otlp_protocol=_protocol(env, "OTEL_EXPORTER_OTLP_PROTOCOL"),
            otlp_signals=frozenset(
                signal for signal, name in _SIGNAL_EXPORTER_VARS.items() if _signal_enabled(env, name)
            ),
            metric_export_interval_ms=_positive_int(
                env, "OTEL_METRIC_EXPORT_INTERVAL", DEFAULT_METRIC_EXPORT_INTERVAL_MS
            ),
            prometheus_enabled=_boolean(env, "BS_METRICS_PROMETHEUS", default=False),
            log_hash_key=_hash_key(env, "BS_LOG_HASH_KEY"),
            llm_models=(_text(env, "BS_LLM_MODEL") or DEFAULT_LLM_MODEL,),
        )

    def exports(self, signal: Signal) -> bool:
        """Whether `signal` goes out over OTLP."""
        return self.otlp_endpoint is not None and signal in self.otlp_signals


# -- environment parsing --------------------------------------------------


def _text(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _endpoint(env: Mapping[str, str], name: str) -> str | None:
    value = _text(env, name)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{name}={value!r} is not an http:// or https:// URL")
    return value


def _protocol(env: Mapping[str, str], name: str) -> OtlpProtocol:
    value = _text(env, name) or DEFAULT_OTLP_PROTOCOL
    if value == "http/protobuf":
        return "http/protobuf"
    if value == "grpc":
        return "grpc"
    raise ValueError(f"{name}={value!r} is not supported: use 'http/protobuf' or 'grpc'")


def _signal_enabled(env: Mapping[str, str], name: str) -> bool:
    value = (_text(env, name) or "otlp").lower()
    if value not in ("otlp", "none"):
        raise ValueError(f"{name}={value!r} is not supported: use 'otlp' or 'none'")
    return value == "otlp"


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    value = _text(env, name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number <= 0:
        raise ValueError(f"{name}={value!r} is not a positive integer")
    return number


def _boolean(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    value = _text(env, name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ValueError(f"{name}={value!r} is not a boolean: use true/false, 1/0, yes/no or on/off")


def _hash_key(env: Mapping[str, str], name: str) -> str | None:
    value = _text(env, name)
    if value is not None and len(value) < MIN_LOG_HASH_KEY_CHARS:
        # The one error that does not echo the value: it is a secret.
        raise ValueError(f"{name} is too short ({len(value)} characters): use at least {MIN_LOG_HASH_KEY_CHARS}")
    return value
