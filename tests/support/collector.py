"""The project's OpenTelemetry Collector (built by otel-collector/build) as a real process, for tests.

`collector_binary()` runs the build script, which answers from its cache
after the first build, and turns "no Go" or a failed build into a test
failure that says what is missing (never a skip). `Collector` runs that
binary on `otel-collector/config.yaml` plus overlays, exactly as a deployment
does (`--config=config.yaml --config=overlay.yaml`), with one test overlay
merged last that only moves every listener to a free loopback port, turns the
collector's own metrics endpoint off (a fixed port, 8888) and, with
`export_dir`, writes what leaves the collector to files (`file` exporter,
OTLP JSON lines): `traces.jsonl` and `logs.jsonl`. With `batch_timeout` the
batch processor waits less than the deployed 5 s, the way the rules are
time-compressed for the alert drills.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from babyshield_chat.db.embedded import free_port
from babyshield_chat.devtools.processes import terminate, wait_answering
from tests.support.paths import REPO_ROOT

COLLECTOR_DIR = REPO_ROOT / "otel-collector"
BASE_CONFIG = COLLECTOR_DIR / "config.yaml"
BUILD_SCRIPT = COLLECTOR_DIR / "build"
READY_TIMEOUT_SEC = 30
# A cold build (modules from the proxy, no Go build cache) takes a few minutes on 2 cores.
BUILD_TIMEOUT_SEC = 900


class CollectorBuildError(RuntimeError):
    """otel-collector/build failed; the message is the script's own (e.g. which Go is needed)."""


def build(env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run otel-collector/build; its stdout is the binary's path."""
    return subprocess.run(["bash", str(BUILD_SCRIPT)], capture_output=True, text=True, env=env,
                          timeout=BUILD_TIMEOUT_SEC, check=False)


def collector_binary() -> str:
    """The cached (or freshly built) collector binary."""
    result = build()
    if result.returncode != 0:
        raise CollectorBuildError(result.stderr.strip() or f"otel-collector/build exited {result.returncode}")
    return result.stdout.strip().splitlines()[-1]


def run(binary: str, *args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """One collector command (`validate`, `components`, ...), its output captured."""
    return subprocess.run([binary, *args], capture_output=True, text=True, env=env, timeout=60, check=False)


def config_args(configs: Sequence[Path]) -> list[str]:
    return [f"--config={path}" for path in configs]


def env_references(path: Path) -> set[str]:
    """The variables a config file reads (`${env:NAME}`)."""
    return set(re.findall(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}", path.read_text(encoding="utf-8")))


class Collector:
    def __init__(self, binary: str, overlays: Sequence[Path] = (), *, export_dir: Path | None = None,
                 batch_timeout: str | None = None, env: Mapping[str, str] | None = None) -> None:
        self.binary = binary
        self.dir = Path(tempfile.mkdtemp(prefix="bs-otelcol-"))
        self.grpc_port, self.http_port, self.prometheus_port, self.health_port = (free_port() for _ in range(4))
        self.export_dir = export_dir
        overlay = self._test_overlay(batch_timeout)
        (self.dir / "test-overlay.yaml").write_text(yaml.safe_dump(overlay, sort_keys=False))
        self.configs = [BASE_CONFIG, *overlays, self.dir / "test-overlay.yaml"]
        self.env = dict(env or {})
        self.process: subprocess.Popen[bytes] | None = None

    def _test_overlay(self, batch_timeout: str | None) -> dict[str, Any]:
        overlay: dict[str, Any] = {
            "extensions": {"health_check": {"endpoint": f"127.0.0.1:{self.health_port}"}},
            "receivers": {"otlp": {"protocols": {
                "grpc": {"endpoint": f"127.0.0.1:{self.grpc_port}"},
                "http": {"endpoint": f"127.0.0.1:{self.http_port}"},
            }}},
            "exporters": {"prometheus": {"endpoint": f"127.0.0.1:{self.prometheus_port}"}},
            "service": {"telemetry": {"metrics": {"level": "none"}}},
        }
        if batch_timeout is not None:
            overlay["processors"] = {"batch": {"timeout": batch_timeout}}
        if self.export_dir is not None:
            pipelines = overlay["service"]["pipelines"] = {}
            for signal in ("traces", "logs"):
                exporter = f"file/{signal}"
                # flush_interval: what arrived reaches the file within 100 ms.
                overlay["exporters"][exporter] = {"path": str(self.export_dir / f"{signal}.jsonl"),
                                                  "flush_interval": "100ms"}
                pipelines[signal] = {"receivers": ["otlp"], "processors": ["memory_limiter", "batch"],
                                     "exporters": [exporter]}
        return overlay

    @property
    def otlp_http_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def prometheus_target(self) -> str:
        """`host:port` of the Prometheus exporter, as Prometheus scrapes it."""
        return f"127.0.0.1:{self.prometheus_port}"

    def start(self) -> None:
        with open(self.dir / "collector.log", "wb") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen([self.binary, *config_args(self.configs)], env=self.env or None,
                                            stdout=log, stderr=subprocess.STDOUT)
        wait_answering(self.process, f"http://127.0.0.1:{self.health_port}/", name="otel collector",
                       log=self.log, timeout=READY_TIMEOUT_SEC)

    def log(self) -> str:
        path = self.dir / "collector.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: the collector is gone at once, nothing flushed (a crash or an OOM kill)."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None:
            terminate(self.process)
        shutil.rmtree(self.dir, ignore_errors=True)


def exported(path: Path) -> Iterator[dict[str, Any]]:
    """The OTLP JSON documents the file exporter has written to `path` so far (complete lines only)."""
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        if line.endswith("\n") and line.strip():
            yield json.loads(line)


def spans(path: Path) -> list[dict[str, Any]]:
    """Every span in a traces file."""
    return [span for doc in exported(path) for resource in doc.get("resourceSpans", [])
            for scope in resource.get("scopeSpans", []) for span in scope.get("spans", [])]


def log_records(path: Path) -> list[dict[str, Any]]:
    """Every log record in a logs file."""
    return [record for doc in exported(path) for resource in doc.get("resourceLogs", [])
            for scope in resource.get("scopeLogs", []) for record in scope.get("logRecords", [])]
