"""Settings: every `BS_*` and `OTEL_*` variable the service reads, parsed once, at start-up.

This module is the only code that reads `os.environ`: `load_settings()` for
the settings, `child_environment()` for a child process that must get its
settings the same way (a `serve --workers` worker, a drill's service).
Everything else receives a frozen `Settings` object. A malformed value raises
`ConfigError`, whose message names the variable and quotes the value (a
secret is not quoted); the CLI turns it into one line on stderr and exit
status 2. The defaults live in `vocabulary`.

The other standard `OTEL_*` variables are not read here: the exporters and
the SDK read them themselves (see `telemetry.setup`).
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final, Literal, TypeVar, get_args
from urllib.parse import urlsplit

from babyshield_chat.prices import DEFAULT_PRICE_TABLE, PriceTable, parse_price_table
from babyshield_chat import __version__
from babyshield_chat.vocabulary import (
    DEFAULT_BREAKER_DB_RESET_SEC,
    DEFAULT_BREAKER_FAIL_MAX,
    DEFAULT_BREAKER_RESET_SEC,
    DEFAULT_CLIENT_READ_TIMEOUT_SEC,
    DEFAULT_DB_POOL_MAX,
    DEFAULT_DB_POOL_MIN,
    DEFAULT_ENV,
    DEFAULT_JWT_MAX_TTL_SEC,
    DEFAULT_KEEPALIVE_TIMEOUT_SEC,
    DEFAULT_LLM_MODEL,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_INFLIGHT,
    DEFAULT_MEMORY_RETENTION_DAYS,
    DEFAULT_RECALLS_MAX_AGE_DAYS,
    DEFAULT_RECALLS_SOURCE_URL,
    DEFAULT_ROUTER_BUDGET_SEC,
    DEFAULT_SHUTDOWN_DRAIN_DELAY_SEC,
    DEFAULT_SHUTDOWN_GRACE_SEC,
    DEFAULT_SYNTH_BUDGET_SEC,
    DEFAULT_TOOL_BUDGET_SEC,
    DEFAULT_TOTAL_BUDGET_SEC,
    DEFAULT_USER_MAX_INFLIGHT,
    DEFAULT_USER_RATE_PER_MIN,
)


_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})

T = TypeVar("T")


class ConfigError(ValueError):
    """A configuration value that cannot be used; the message names the variable."""

    def __init__(self, variable: str, value: str, problem: str, *, secret: bool = False) -> None:
        self.variable = variable
        self.value = value
        self.problem = problem
        shown = "<secret>" if secret else repr(value)
        super().__init__(f"{variable}={shown} is invalid: {problem}")


# --- value parsers: each takes the raw string, raises ValueError(problem) ---


def parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("expected one of true/false/1/0/yes/no/on/off")


def parse_fraction(raw: str) -> float:
    """A rollout fraction in [0, 1]; `10%` means 0.10."""
    text = raw.strip()
    scale = 1.0
    if text.endswith("%"):
        text, scale = text[:-1].strip(), 100.0
    try:
        value = float(text) / scale
    except ValueError:
        raise ValueError("expected a fraction such as 0.10 or a percentage such as 10%") from None
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise ValueError("must be between 0 and 1 (or 0% and 100%)")
    return value


def parse_positive_float(raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise ValueError("expected a number") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError("must be a number greater than 0")
    return value


def parse_non_negative_float(raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise ValueError("expected a number") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError("must be a number of 0 or more")
    return value


def parse_positive_int(raw: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise ValueError("expected a whole number") from None
    if value <= 0:
        raise ValueError("must be a whole number greater than 0")
    return value


def parse_id_list(raw: str) -> frozenset[str]:
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


def parse_choice(*choices: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}")
        return value

    return parse


def _text(raw: str) -> str:
    return raw.strip()


def _read(env: Mapping[str, str], name: str, parse: Callable[[str], T], default: T, *, secret: bool = False) -> T:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return parse(raw)
    except ValueError as exc:
        raise ConfigError(name, raw, str(exc), secret=secret) from None


# --- the settings, grouped by the part of the service that uses them ---


@dataclasses.dataclass(frozen=True)
class FlagSettings:
    """The chat flag as configured by env (spec section 3)."""

    enabled: bool = False
    rollout_pct: float = 0.0
    allowlist: frozenset[str] = frozenset()
    denylist: frozenset[str] = frozenset()


@dataclasses.dataclass(frozen=True)
class AuthSettings:
    mode: Literal["jwt", "dev"] = "jwt"
    jwt_secret: str | None = None
    jwt_public_key: str | None = None
    audience: str | None = None
    issuer: str | None = None
    max_ttl_sec: int = DEFAULT_JWT_MAX_TTL_SEC


@dataclasses.dataclass(frozen=True)
class BudgetSettings:
    total_sec: float = DEFAULT_TOTAL_BUDGET_SEC
    router_sec: float = DEFAULT_ROUTER_BUDGET_SEC
    tool_sec: float = DEFAULT_TOOL_BUDGET_SEC
    synth_sec: float = DEFAULT_SYNTH_BUDGET_SEC


@dataclasses.dataclass(frozen=True)
class LlmSettings:
    base_url: str | None = None
    api_key: str | None = None
    model: str = DEFAULT_LLM_MODEL
    daily_budget_usd: float | None = None
    prices: PriceTable = DEFAULT_PRICE_TABLE

    @property
    def enabled(self) -> bool:
        """With no API key the offline synthesizer writes every answer."""
        return bool(self.api_key)


@dataclasses.dataclass(frozen=True)
class ResilienceSettings:
    breaker_fail_max: int = DEFAULT_BREAKER_FAIL_MAX
    breaker_reset_sec: float = DEFAULT_BREAKER_RESET_SEC
    # The tools' breakers: PostgreSQL is local, and a short blip must not cost 30 s of recall checks.
    breaker_db_reset_sec: float = DEFAULT_BREAKER_DB_RESET_SEC


@dataclasses.dataclass(frozen=True)
class DatabaseSettings:
    """`url` None means: start an embedded PostgreSQL (serve only) in `embedded_dir`.

    `load_settings` fills `embedded_dir` with the default location when
    `BS_EMBEDDED_PG_DIR` is unset.
    """

    url: str | None = None
    embedded_dir: str | None = None
    embedded_bindir: str | None = None
    pool_min: int = DEFAULT_DB_POOL_MIN
    pool_max: int = DEFAULT_DB_POOL_MAX


@dataclasses.dataclass(frozen=True)
class ChatSettings:
    memory_retention_days: int = DEFAULT_MEMORY_RETENTION_DAYS
    user_rate_per_min: int = DEFAULT_USER_RATE_PER_MIN
    user_max_inflight: int = DEFAULT_USER_MAX_INFLIGHT
    # Binds a conversation id to the user it was issued to (chat/conversation_ids.py); None: a built-in key.
    conversation_id_key: str | None = dataclasses.field(default=None, repr=False)
    recalls_max_age_days: int = DEFAULT_RECALLS_MAX_AGE_DAYS
    recalls_source_url: str = DEFAULT_RECALLS_SOURCE_URL


@dataclasses.dataclass(frozen=True)
class ServerSettings:
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_inflight: int = DEFAULT_MAX_INFLIGHT
    shutdown_grace_sec: float = DEFAULT_SHUTDOWN_GRACE_SEC
    shutdown_drain_delay_sec: float = DEFAULT_SHUTDOWN_DRAIN_DELAY_SEC
    client_read_timeout_sec: float = DEFAULT_CLIENT_READ_TIMEOUT_SEC
    keepalive_timeout_sec: float = DEFAULT_KEEPALIVE_TIMEOUT_SEC
    admin_token: str | None = None
    fault_injection: bool = False


@dataclasses.dataclass(frozen=True)
class RolloutSettings:
    """Where the rollout guard reads its gates (`GET /api/v1/admin/rollout`, the CLI's defaults)."""

    prometheus_url: str | None = None
    policy_file: str | None = None


OtlpProtocol = Literal["http/protobuf", "grpc"]
Signal = Literal["traces", "metrics", "logs"]
ALL_SIGNALS: Final[frozenset[Signal]] = frozenset(get_args(Signal))
DEFAULT_SERVICE_NAME: Final = "babyshield-chat"
# The SDK's default is 60 s. Alerts judge 5-minute windows; a point every
# 15 s gives them 20 samples instead of 5, and the collector's Prometheus
# exporter updates as often as Prometheus scrapes it.
DEFAULT_METRIC_EXPORT_INTERVAL_MS: Final = 15_000
#: Shorter keys are refused: the key is all that keeps user hashes from being
#: reversed by hashing candidate ids.
MIN_LOG_HASH_KEY_CHARS: Final = 16
_SIGNAL_EXPORTER_VARS: Final[Mapping[Signal, str]] = {
    "traces": "OTEL_TRACES_EXPORTER",
    "metrics": "OTEL_METRICS_EXPORTER",
    "logs": "OTEL_LOGS_EXPORTER",
}


@dataclasses.dataclass(frozen=True)
class TelemetrySettings:
    """What to export and how to label it (spec section 5)."""

    service_name: str = DEFAULT_SERVICE_NAME
    service_version: str = __version__
    environment: str = DEFAULT_ENV
    otlp_endpoint: str | None = None
    otlp_protocol: OtlpProtocol = "http/protobuf"
    otlp_signals: frozenset[Signal] = ALL_SIGNALS
    metric_export_interval_ms: int = DEFAULT_METRIC_EXPORT_INTERVAL_MS
    prometheus_enabled: bool = False
    # repr=False: settings get logged at start-up, the key must not be.
    log_hash_key: str | None = dataclasses.field(default=None, repr=False)
    # The `model` label's values: the configured model (`BS_LLM_MODEL`).
    llm_models: tuple[str, ...] = (DEFAULT_LLM_MODEL,)

    def exports(self, signal: Signal) -> bool:
        """Whether `signal` goes out over OTLP."""
        return self.otlp_endpoint is not None and signal in self.otlp_signals


@dataclasses.dataclass(frozen=True)
class Settings:
    env: str = DEFAULT_ENV
    server: ServerSettings = ServerSettings()
    auth: AuthSettings = AuthSettings()
    flags: FlagSettings = FlagSettings()
    budgets: BudgetSettings = BudgetSettings()
    llm: LlmSettings = LlmSettings()
    resilience: ResilienceSettings = ResilienceSettings()
    database: DatabaseSettings = DatabaseSettings()
    chat: ChatSettings = ChatSettings()
    telemetry: TelemetrySettings = TelemetrySettings()
    rollout: RolloutSettings = RolloutSettings()

    @property
    def production(self) -> bool:
        return self.env == "production"


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Parse every `BS_*` variable; raise `ConfigError` on the first bad one."""
    env = os.environ if env is None else env
    settings = Settings(
        env=_read(env, "BS_ENV", lambda raw: raw.strip().lower(), DEFAULT_ENV),
        server=ServerSettings(
            max_body_bytes=_read(env, "BS_MAX_BODY_BYTES", parse_positive_int, DEFAULT_MAX_BODY_BYTES),
            max_inflight=_read(env, "BS_MAX_INFLIGHT", parse_positive_int, DEFAULT_MAX_INFLIGHT),
            shutdown_grace_sec=_read(
                env, "BS_SHUTDOWN_GRACE_SEC", parse_non_negative_float, DEFAULT_SHUTDOWN_GRACE_SEC
            ),
            shutdown_drain_delay_sec=_read(
                env, "BS_SHUTDOWN_DRAIN_DELAY_SEC", parse_non_negative_float, DEFAULT_SHUTDOWN_DRAIN_DELAY_SEC
            ),
            client_read_timeout_sec=_read(
                env, "BS_CLIENT_READ_TIMEOUT_SEC", parse_positive_float, DEFAULT_CLIENT_READ_TIMEOUT_SEC
            ),
            keepalive_timeout_sec=_read(
                env, "BS_KEEPALIVE_TIMEOUT_SEC", parse_positive_float, DEFAULT_KEEPALIVE_TIMEOUT_SEC
            ),
            admin_token=_read(env, "BS_ADMIN_TOKEN", _text, None),
            fault_injection=_read(env, "BS_FAULT_INJECTION", parse_bool, False),
        ),
        auth=AuthSettings(
            mode=_read(env, "BS_AUTH_MODE", parse_choice("jwt", "dev"), "jwt"),
            jwt_secret=_read(env, "BS_AUTH_JWT_SECRET", _text, None),
            jwt_public_key=_read(env, "BS_AUTH_JWT_PUBLIC_KEY", _pem, None),
            audience=_read(env, "BS_AUTH_JWT_AUDIENCE", _text, None),
            issuer=_read(env, "BS_AUTH_JWT_ISSUER", _text, None),
            max_ttl_sec=_read(env, "BS_AUTH_JWT_MAX_TTL_SEC", parse_positive_int, DEFAULT_JWT_MAX_TTL_SEC),
        ),
        flags=FlagSettings(
            enabled=_read(env, "BS_FEATURE_CHAT_ENABLED", parse_bool, False),
            rollout_pct=_read(env, "BS_FEATURE_CHAT_ROLLOUT_PCT", parse_fraction, 0.0),
            allowlist=_read(env, "BS_FEATURE_CHAT_ALLOWLIST", parse_id_list, frozenset()),
            denylist=_read(env, "BS_FEATURE_CHAT_DENYLIST", parse_id_list, frozenset()),
        ),
        budgets=BudgetSettings(
            total_sec=_read(env, "BS_CHAT_TOTAL_BUDGET_SEC", parse_positive_float, DEFAULT_TOTAL_BUDGET_SEC),
            router_sec=_read(env, "BS_CHAT_ROUTER_BUDGET_SEC", parse_positive_float, DEFAULT_ROUTER_BUDGET_SEC),
            tool_sec=_read(env, "BS_CHAT_TOOL_BUDGET_SEC", parse_positive_float, DEFAULT_TOOL_BUDGET_SEC),
            synth_sec=_read(env, "BS_CHAT_SYNTH_BUDGET_SEC", parse_positive_float, DEFAULT_SYNTH_BUDGET_SEC),
        ),
        llm=LlmSettings(
            base_url=_read(env, "BS_LLM_BASE_URL", _url, None),
            api_key=_read(env, "BS_LLM_API_KEY", _text, None),
            model=_read(env, "BS_LLM_MODEL", _text, DEFAULT_LLM_MODEL),
            daily_budget_usd=_read(env, "BS_LLM_DAILY_BUDGET_USD", parse_non_negative_float, None),
            prices=_read(env, "BS_LLM_PRICES_JSON", parse_price_table, DEFAULT_PRICE_TABLE),
        ),
        resilience=ResilienceSettings(
            breaker_fail_max=_read(env, "BS_BREAKER_FAIL_MAX", parse_positive_int, DEFAULT_BREAKER_FAIL_MAX),
            breaker_reset_sec=_read(env, "BS_BREAKER_RESET_SEC", parse_positive_float, DEFAULT_BREAKER_RESET_SEC),
            breaker_db_reset_sec=_read(
                env, "BS_BREAKER_DB_RESET_SEC", parse_positive_float, DEFAULT_BREAKER_DB_RESET_SEC
            ),
        ),
        database=DatabaseSettings(
            url=_read(env, "BS_DATABASE_URL", _database_url, None),
            embedded_dir=_read(env, "BS_EMBEDDED_PG_DIR", _text, None) or _default_embedded_dir(env),
            embedded_bindir=_read(env, "BS_EMBEDDED_PG_BINDIR", _text, None),
            pool_min=_read(env, "BS_DB_POOL_MIN", _non_negative_int, DEFAULT_DB_POOL_MIN),
            pool_max=_read(env, "BS_DB_POOL_MAX", parse_positive_int, DEFAULT_DB_POOL_MAX),
        ),
        chat=ChatSettings(
            memory_retention_days=_read(
                env, "BS_CHAT_MEMORY_RETENTION_DAYS", parse_positive_int, DEFAULT_MEMORY_RETENTION_DAYS
            ),
            user_rate_per_min=_read(env, "BS_CHAT_USER_RATE_PER_MIN", parse_positive_int, DEFAULT_USER_RATE_PER_MIN),
            user_max_inflight=_read(env, "BS_CHAT_USER_MAX_INFLIGHT", parse_positive_int, DEFAULT_USER_MAX_INFLIGHT),
            conversation_id_key=_read(env, "BS_CONVERSATION_ID_KEY", _hash_key, None, secret=True),
            recalls_max_age_days=_read(
                env, "BS_RECALLS_MAX_AGE_DAYS", parse_positive_int, DEFAULT_RECALLS_MAX_AGE_DAYS
            ),
            recalls_source_url=_read(env, "BS_RECALLS_SOURCE_URL", _url, DEFAULT_RECALLS_SOURCE_URL),
        ),
        rollout=RolloutSettings(
            prometheus_url=_read(env, "BS_ROLLOUT_PROMETHEUS_URL", _url, None),
            policy_file=_read(env, "BS_ROLLOUT_POLICY", _text, None),
        ),
    )
    settings = dataclasses.replace(settings, telemetry=_telemetry(env, settings))
    _check_consistency(settings, env)
    return settings


def _telemetry(env: Mapping[str, str], settings: Settings) -> TelemetrySettings:
    exporter = parse_choice("otlp", "none")
    return TelemetrySettings(
        environment=settings.env,
        otlp_endpoint=_read(env, "OTEL_EXPORTER_OTLP_ENDPOINT", _otlp_endpoint, None),
        otlp_protocol=_read(env, "OTEL_EXPORTER_OTLP_PROTOCOL", parse_choice(*get_args(OtlpProtocol)), "http/protobuf"),
        otlp_signals=frozenset(
            signal for signal, name in _SIGNAL_EXPORTER_VARS.items() if _read(env, name, exporter, "otlp") == "otlp"
        ),
        metric_export_interval_ms=_read(
            env, "OTEL_METRIC_EXPORT_INTERVAL", parse_positive_int, DEFAULT_METRIC_EXPORT_INTERVAL_MS
        ),
        prometheus_enabled=_read(env, "BS_METRICS_PROMETHEUS", parse_bool, False),
        log_hash_key=_read(env, "BS_LOG_HASH_KEY", _hash_key, None, secret=True),
        llm_models=(settings.llm.model,),
    )


def child_environment(overrides: Mapping[str, str] | None = None, *,
                      without_prefixes: tuple[str, ...] = ()) -> dict[str, str]:
    """This process's environment for a child process: less the variables starting with
    `without_prefixes`, plus `overrides`."""
    env = {name: value for name, value in os.environ.items()
           if not (without_prefixes and name.startswith(without_prefixes))}
    env.update(overrides or {})
    return env


def _default_embedded_dir(env: Mapping[str, str]) -> str:
    if os.geteuid() == 0:
        # /root is not traversable by the postgres user.
        return "/var/lib/babyshield-chat/postgres"
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base) / "babyshield-chat" / "postgres")


def _otlp_endpoint(raw: str) -> str:
    text = raw.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("expected an http:// or https:// URL")
    return text


def _hash_key(raw: str) -> str:
    text = raw.strip()
    if len(text) < MIN_LOG_HASH_KEY_CHARS:
        raise ValueError(f"too short ({len(text)} characters): use at least {MIN_LOG_HASH_KEY_CHARS}")
    return text


def _pem(raw: str) -> str:
    # ECS task definitions cannot hold newlines comfortably; accept `\n` escapes.
    text = raw.strip().replace("\\n", "\n")
    if "-----BEGIN PUBLIC KEY-----" not in text:
        raise ValueError("expected a PEM public key starting with -----BEGIN PUBLIC KEY-----")
    return text


def _url(raw: str) -> str:
    text = raw.strip()
    if not text.startswith(("http://", "https://")):
        raise ValueError("expected an http:// or https:// URL")
    return text


def _database_url(raw: str) -> str:
    text = raw.strip()
    if not text.startswith(("postgres://", "postgresql://")):
        raise ValueError("expected a postgresql:// URL")
    return text


def _non_negative_int(raw: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise ValueError("expected a whole number") from None
    if value < 0:
        raise ValueError("must be a whole number of 0 or more")
    return value


def _check_consistency(settings: Settings, env: Mapping[str, str]) -> None:
    """Rules that span several variables."""
    if settings.production and settings.auth.mode == "dev":
        raise ConfigError(
            "BS_AUTH_MODE", env.get("BS_AUTH_MODE", ""), "dev mode trusts X-User-Id and is refused when BS_ENV=production"
        )
    if settings.auth.jwt_secret and settings.auth.jwt_public_key:
        raise ConfigError(
            "BS_AUTH_JWT_PUBLIC_KEY", "<pem>", "set either BS_AUTH_JWT_SECRET or BS_AUTH_JWT_PUBLIC_KEY, not both"
        )
    if settings.production and not (settings.auth.jwt_secret or settings.auth.jwt_public_key):
        raise ConfigError("BS_AUTH_JWT_SECRET", "", "production needs BS_AUTH_JWT_SECRET or BS_AUTH_JWT_PUBLIC_KEY")
    if settings.database.pool_min > settings.database.pool_max:
        raise ConfigError(
            "BS_DB_POOL_MIN", env.get("BS_DB_POOL_MIN", ""), f"must not exceed BS_DB_POOL_MAX ({settings.database.pool_max})"
        )
