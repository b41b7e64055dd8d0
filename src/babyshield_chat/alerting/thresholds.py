"""Load the canary's gates from ``thresholds.yml`` into typed, validated values.

This is the single definition of spec section 6: the Prometheus rules, the
Grafana dashboard, the CloudWatch alarms and the rollout guard all read it
through :func:`load_thresholds`. A malformed file stops whoever loads it with
a :class:`ThresholdsError` that quotes the bad value and where it was found,
so a typo can never silently loosen a rollback trigger.
"""

from __future__ import annotations

import enum
import ipaddress
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml

from babyshield_chat.alerting.durations import DurationError, format_duration, parse_duration

Unit = Literal["ratio", "seconds"]
Severity = Literal["critical", "warning", "info"]
Action = Literal["rollback", "investigate"]
MeasureKind = Literal["ratio", "histogram_p95"]

#: Recording rule of served requests per second (all but blocked); the rollout
#: guard compares it with ``min_request_rate`` before promoting.
TRAFFIC_RECORD = "chat:requests:rate5m"

_UNITS: tuple[str, ...] = ("ratio", "seconds")
_SEVERITIES: tuple[str, ...] = ("critical", "warning", "info")
_ACTIONS: tuple[str, ...] = ("rollback", "investigate")
_SIGNAL_KEYS: tuple[str, ...] = (
    "no_traffic",
    "blocked_ratio",
    "db_pool",
    "llm_rate_limited",
    "spend",
    "metrics_absent",
)
# Signals whose alert compares a number: without one the rule would be empty.
_SIGNALS_WITH_THRESHOLD: frozenset[str] = frozenset({"blocked_ratio", "db_pool", "llm_rate_limited", "spend"})

_MATCHER = re.compile(r'^[a-zA-Z_][a-zA-Z0-9_]*(=|!=|=~|!~)"[^"\\]*"$')
# A path under the links' base URL: no scheme, no fragment, no spaces.
_LINK_PATH = re.compile(r"^[A-Za-z0-9._~!$&'()*+,;=:@%/-]+$")
_LOCAL_HOSTS = frozenset({"localhost", "localhost.localdomain"})
_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_ANCHOR = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class ThresholdsError(ValueError):
    """thresholds.yml is malformed; the message names the field and the bad value."""


class GateStatus(enum.Enum):
    """Where a measured value sits against a gate (missing data is never green)."""

    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"
    NO_DATA = "no_data"


def human_value(unit: Unit, value: float) -> str:
    """A threshold as people say it: ratio 0.02 → '2%', seconds 2.8 → '2.8s'."""
    # round(): 0.15 * 100 is 15.000000000000002 in binary floating point.
    return f"{round(value * 100, 9):g}%" if unit == "ratio" else f"{value:g}s"


@dataclass(frozen=True)
class Tier:
    """One alerting tier of a gate: above ``threshold`` for ``duration`` → alert."""

    threshold: float
    duration: timedelta
    severity: Severity
    action: Action


@dataclass(frozen=True)
class Measure:
    """How a gate is computed from raw metrics (turned into PromQL by rules.py).

    ``min_rate`` is the events per second (the ratio's denominator, the
    histogram's count) below which the gate has no value; None means the
    service's ``min_request_rate``.
    """

    kind: MeasureKind
    metric: str
    numerator: tuple[str, ...] = ()
    denominator: tuple[str, ...] = ()
    matchers: tuple[str, ...] = ()
    by: tuple[str, ...] = ()
    min_rate: float | None = None


@dataclass(frozen=True)
class Gate:
    """One row of the checklist's Key Metrics Targets."""

    key: str
    name: str
    alert: str
    record: str
    unit: Unit
    measure: Measure
    target: float
    warning_tier: Tier
    critical_tier: Tier
    rollback_trigger: bool
    runbook_anchor: str

    @property
    def query(self) -> str:
        """Instant PromQL returning one value (the worst series when split by a label)."""
        return f"max({self.record})" if self.measure.by else self.record

    def query_in(self, env: str | None) -> str:
        """:attr:`query` on one environment's series (see :func:`env_matcher`); all of them with None."""
        return self.query if env is None else f"max({self.record}{{{env_matcher(env)}}})"

    @property
    def warning(self) -> float:
        return self.warning_tier.threshold

    @property
    def critical(self) -> float:
        return self.critical_tier.threshold

    @property
    def for_warning(self) -> timedelta:
        return self.warning_tier.duration

    @property
    def for_critical(self) -> timedelta:
        return self.critical_tier.duration

    @property
    def warning_alert(self) -> str:
        return f"{self.alert}Warning"

    @property
    def critical_alert(self) -> str:
        return f"{self.alert}Critical"

    def status(self, value: float | None) -> GateStatus:
        """Classify a measured value; ``None`` or NaN (no data) is never OK."""
        if value is None or math.isnan(value):
            return GateStatus.NO_DATA
        if value > self.critical:
            return GateStatus.CRITICAL
        if value > self.warning:
            return GateStatus.WARNING
        return GateStatus.OK


@dataclass(frozen=True)
class Signal:
    """An alert outside the checklist rows (no traffic, blocked ratio, DB pool...)."""

    key: str
    alert: str
    threshold: float | None
    duration: timedelta
    severity: Severity
    action: Action
    runbook_anchor: str
    window: timedelta | None = None


@dataclass(frozen=True)
class Links:
    """Where a page, a panel or an alarm sends on-call: ``base_url`` plus a path each.

    Absolute by construction (the loader refuses a relative or local base):
    the links are opened from a pager, a chat room or an e-mail, never from a
    checkout of this repository.
    """

    base_url: str
    runbook_path: str
    dashboard_path: str

    @property
    def runbook_url(self) -> str:
        return join_url(self.base_url, self.runbook_path)

    @property
    def dashboard_url(self) -> str:
        return join_url(self.base_url, self.dashboard_path)


def join_url(base_url: str, path: str) -> str:
    """``base_url`` and a path under it, with exactly one slash between them."""
    return f"{base_url.rstrip('/')}/{path.lstrip('/')}"


@dataclass(frozen=True)
class Thresholds:
    """The whole of thresholds.yml."""

    job: str
    window: timedelta
    min_request_rate: float
    links: Links
    gates: tuple[Gate, ...]
    signals: Mapping[str, Signal]

    def gate(self, key: str) -> Gate:
        for gate in self.gates:
            if gate.key == key:
                return gate
        raise KeyError(f"no gate {key!r}; known: {[g.key for g in self.gates]}")

    def signal(self, key: str) -> Signal:
        try:
            return self.signals[key]
        except KeyError:
            raise KeyError(f"no signal {key!r}; known: {sorted(self.signals)}") from None

    @property
    def spend_budget_usd(self) -> float:
        return _required(self.signal("spend").threshold)

    @property
    def blocked_ratio_tolerance(self) -> float:
        return _required(self.signal("blocked_ratio").threshold)

    @property
    def traffic_query(self) -> str:
        """Instant PromQL for served requests per second (all but blocked)."""
        return TRAFFIC_RECORD

    def traffic_query_in(self, env: str | None) -> str:
        return self.traffic_query if env is None else f"sum({TRAFFIC_RECORD}{{{env_matcher(env)}}})"

    def runbook_link(self, anchor: str) -> str:
        return f"{self.links.runbook_url}#{anchor}"


def env_matcher(env: str) -> str:
    """The series of environment ``env``, or with no env label at all (a Prometheus of one environment).

    The rules keep the `env` target label, so one Prometheus may hold staging
    and production; whoever judges one of them must not read the other's.
    """
    return f'env=~"{re.escape(env)}|"'


def _required(value: float | None) -> float:
    assert value is not None  # guaranteed by _load_signal's validation
    return value


DEFAULT_PATH = Path(str(resources.files("babyshield_chat.alerting") / "thresholds.yml"))


def load_thresholds(path: Path | str | None = None) -> Thresholds:
    """Read and validate thresholds.yml (the packaged one by default)."""
    source = Path(path) if path is not None else DEFAULT_PATH
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ThresholdsError(f"{source}: not valid YAML: {exc}") from exc
    return parse_thresholds(raw)


def parse_thresholds(raw: object) -> Thresholds:
    """Validate an already-parsed thresholds document."""
    doc = _mapping(raw, "thresholds.yml")
    service = _mapping(doc.get("service"), "service")
    min_rate = _number(service.get("min_request_rate"), "service.min_request_rate")
    if min_rate <= 0:
        raise ThresholdsError(f"service.min_request_rate must be > 0 (it guards every division), got {min_rate!r}")
    gates_raw = doc.get("gates")
    if not isinstance(gates_raw, list) or not gates_raw:
        raise ThresholdsError(f"gates: expected a non-empty list, got {gates_raw!r}")
    gates = tuple(_load_gate(item, f"gates[{i}]") for i, item in enumerate(gates_raw))
    _unique([g.key for g in gates], "gate key")
    _unique([g.alert for g in gates], "gate alert")
    _unique([g.record for g in gates], "gate record")
    signals_raw = _mapping(doc.get("signals"), "signals")
    unknown = sorted(set(signals_raw) - set(_SIGNAL_KEYS))
    missing = sorted(set(_SIGNAL_KEYS) - set(signals_raw))
    if unknown or missing:
        raise ThresholdsError(f"signals: unknown keys {unknown!r}, missing keys {missing!r}")
    signals = {key: _load_signal(key, signals_raw[key]) for key in _SIGNAL_KEYS}
    window = _duration(service.get("window"), "service.window")
    blocked = signals["blocked_ratio"]
    if blocked.duration <= window:
        raise ThresholdsError(
            f"signals.blocked_ratio.for ({format_duration(blocked.duration)}) must exceed service.window "
            f"({format_duration(window)}), or every rollout change would fire it"
        )
    return Thresholds(
        job=_string(service.get("job"), "service.job"),
        window=window,
        min_request_rate=min_rate,
        links=_load_links(doc.get("links")),
        gates=gates,
        # Read-only: a loaded definition must not be edited behind the renderer's back.
        signals=MappingProxyType(signals),
    )


def _load_links(raw: object) -> Links:
    item = _mapping(raw, "links")
    return Links(
        base_url=absolute_base_url(item.get("base_url"), "links.base_url"),
        runbook_path=_link_path(item.get("runbook"), "links.runbook"),
        dashboard_path=_link_path(item.get("dashboard"), "links.dashboard"),
    )


def absolute_base_url(value: object, where: str) -> str:
    """``value`` if it is an absolute http(s) URL on a host on-call can reach, else ThresholdsError.

    Refused: relative URLs (a repository path 404s in Grafana and is not a
    link in a page), and localhost or loopback addresses (they open the
    reader's own machine, not the deployment's dashboard).
    """
    if not isinstance(value, str) or not value.strip():
        raise ThresholdsError(f"{where}: expected an absolute URL such as https://ops.example.com, got {value!r}")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ThresholdsError(
            f"{where}: links are opened from pages and e-mails, so they must be absolute "
            f"(https://host/...), got {value!r}"
        )
    if parts.query or parts.fragment:
        raise ThresholdsError(f"{where}: a base URL has no query or fragment, got {value!r}")
    if _is_local(parts.hostname):
        raise ThresholdsError(
            f"{where}: {parts.hostname!r} is the reader's own machine, not the deployment; got {value!r}"
        )
    return value.rstrip("/")


def _is_local(host: str) -> bool:
    if host.lower() in _LOCAL_HOSTS or host.lower().endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _link_path(value: object, where: str) -> str:
    if not isinstance(value, str) or not _LINK_PATH.match(value) or "://" in value:
        raise ThresholdsError(f"{where}: expected a path under links.base_url (e.g. d/uid/name), got {value!r}")
    return value.strip("/")


def _load_gate(raw: object, where: str) -> Gate:
    item = _mapping(raw, where)
    key = _string(item.get("key"), f"{where}.key")
    where = f"gates[{key}]"
    unit = _choice(item.get("unit"), _UNITS, f"{where}.unit")
    warning = _load_tier(item.get("warning"), f"{where}.warning")
    critical = _load_tier(item.get("critical"), f"{where}.critical")
    target = _number(item.get("target"), f"{where}.target")
    if not target < warning.threshold < critical.threshold:
        raise ThresholdsError(
            f"{where}: need target < warning < critical, got target={target!r} "
            f"warning={warning.threshold!r} critical={critical.threshold!r}"
        )
    if unit == "ratio" and critical.threshold >= 1:
        raise ThresholdsError(f"{where}.critical.threshold: a ratio is below 1, got {critical.threshold!r}")
    if critical.severity != "critical" or warning.severity == "critical":
        raise ThresholdsError(
            f"{where}: the critical tier pages (severity critical) and the warning tier does not, "
            f"got warning={warning.severity!r} critical={critical.severity!r}"
        )
    rollback = item.get("rollback_trigger")
    if not isinstance(rollback, bool):
        raise ThresholdsError(f"{where}.rollback_trigger: expected true or false, got {rollback!r}")
    if rollback != (critical.action == "rollback") or warning.action == "rollback":
        raise ThresholdsError(
            f"{where}: only the critical tier of a rollback trigger has action 'rollback', got "
            f"rollback_trigger={rollback!r} warning.action={warning.action!r} critical.action={critical.action!r}"
        )
    return Gate(
        key=key,
        name=_string(item.get("name"), f"{where}.name"),
        alert=_name(item.get("alert"), f"{where}.alert"),
        record=_name(item.get("record"), f"{where}.record"),
        unit=unit,  # type: ignore[arg-type]
        measure=_load_measure(item.get("measure"), f"{where}.measure"),
        target=target,
        warning_tier=warning,
        critical_tier=critical,
        rollback_trigger=rollback,
        runbook_anchor=_anchor(item.get("runbook"), f"{where}.runbook"),
    )


def _load_tier(raw: object, where: str) -> Tier:
    item = _mapping(raw, where)
    return Tier(
        threshold=_number(item.get("threshold"), f"{where}.threshold"),
        duration=_duration(item.get("for"), f"{where}.for"),
        severity=_choice(item.get("severity"), _SEVERITIES, f"{where}.severity"),  # type: ignore[arg-type]
        action=_choice(item.get("action"), _ACTIONS, f"{where}.action"),  # type: ignore[arg-type]
    )


def _load_measure(raw: object, where: str) -> Measure:
    item = _mapping(raw, where)
    kind = _choice(item.get("kind"), ("ratio", "histogram_p95"), f"{where}.kind")
    fields = {
        name: _matchers(item.get(name, []), f"{where}.{name}") for name in ("numerator", "denominator", "matchers")
    }
    by = item.get("by", [])
    if not isinstance(by, list) or not all(isinstance(b, str) and _NAME.match(b) for b in by):
        raise ThresholdsError(f"{where}.by: expected a list of label names, got {by!r}")
    if kind == "ratio" and by:
        raise ThresholdsError(f"{where}.by: a ratio gate is one series, split it by no label; got {by!r}")
    # The denominator may be every series of the metric (no matchers); the numerator never is.
    if kind == "ratio" and not fields["numerator"]:
        raise ThresholdsError(f"{where}: a ratio needs numerator matchers, got {item!r}")
    min_rate = item.get("min_rate")
    if min_rate is not None:
        min_rate = _number(min_rate, f"{where}.min_rate")
        if min_rate <= 0:
            raise ThresholdsError(f"{where}.min_rate must be > 0 (it guards the division), got {min_rate!r}")
    return Measure(kind=kind, metric=_name(item.get("metric"), f"{where}.metric"), by=tuple(by),  # type: ignore[arg-type]
                   min_rate=min_rate, **fields)


def _load_signal(key: str, raw: object) -> Signal:
    where = f"signals.{key}"
    item = _mapping(raw, where)
    threshold = item.get("threshold")
    if key in _SIGNALS_WITH_THRESHOLD:
        threshold = _number(threshold, f"{where}.threshold")
        if threshold <= 0:
            raise ThresholdsError(f"{where}.threshold must be > 0, got {threshold!r}")
    elif threshold is not None:
        raise ThresholdsError(f"{where}.threshold: this alert has no threshold, got {threshold!r}")
    window = item.get("window")
    return Signal(
        key=key,
        alert=_name(item.get("alert"), f"{where}.alert"),
        threshold=threshold,
        duration=_duration(item.get("for"), f"{where}.for"),
        severity=_choice(item.get("severity"), _SEVERITIES, f"{where}.severity"),  # type: ignore[arg-type]
        action=_choice(item.get("action"), _ACTIONS, f"{where}.action"),  # type: ignore[arg-type]
        runbook_anchor=_anchor(item.get("runbook"), f"{where}.runbook"),
        window=_duration(window, f"{where}.window") if window is not None else None,
    )


def _duration(value: object, where: str) -> timedelta:
    try:
        return parse_duration(value, where)
    except DurationError as exc:
        raise ThresholdsError(str(exc)) from exc


def _mapping(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ThresholdsError(f"{where}: expected a mapping, got {value!r}")
    return value


def _number(value: object, where: str) -> float:
    # bool is an int in Python; `threshold: yes` must not read as 1.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ThresholdsError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _string(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ThresholdsError(f"{where}: expected a non-empty string, got {value!r}")
    return value


def _name(value: object, where: str) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise ThresholdsError(f"{where}: expected a Prometheus name, got {value!r}")
    return value


def _anchor(value: object, where: str) -> str:
    if not isinstance(value, str) or not _ANCHOR.match(value):
        raise ThresholdsError(f"{where}: expected a lowercase-hyphenated runbook anchor, got {value!r}")
    return value


def _choice(value: object, allowed: tuple[str, ...], where: str) -> str:
    if value not in allowed:
        raise ThresholdsError(f"{where}: expected one of {list(allowed)}, got {value!r}")
    return str(value)


def _matchers(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(m, str) and _MATCHER.match(m) for m in value):
        raise ThresholdsError(f"{where}: expected label matchers like 'outcome=\"error\"', got {value!r}")
    return tuple(value)


def _unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ThresholdsError(f"duplicate {what} {value!r}")
        seen.add(value)
