"""infra/alertmanager/alertmanager.yml: routing by severity, grouping, inhibition.

Routing is checked with ``amtool config routes test`` (what an SRE would run);
inhibition with a real Alertmanager on loopback, because only the running
daemon decides which alert a critical one silences.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

CONFIG = "infra/alertmanager/alertmanager.yml"


def _config(repo_root: Path) -> dict:
    return yaml.safe_load((repo_root / CONFIG).read_text(encoding="utf-8"))


def test_amtool_accepts_the_config(amtool: str, repo_root: Path) -> None:
    result = subprocess.run(
        [amtool, "check-config", str(repo_root / CONFIG)], check=False, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("severity", "receiver"),
    [("critical", "pager"), ("warning", "chat-channel"), ("info", "ticket")],
)
def test_each_severity_reaches_its_receiver(amtool: str, repo_root: Path, severity: str, receiver: str) -> None:
    result = subprocess.run(
        [
            amtool,
            "config",
            "routes",
            "test",
            f"--config.file={repo_root / CONFIG}",
            "alertname=ChatErrorRateCritical",
            f"severity={severity}",
            "gate=error_rate",
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [receiver]


def test_alerts_are_grouped_by_alertname_severity_and_environment(repo_root: Path) -> None:
    assert _config(repo_root)["route"]["group_by"] == ["alertname", "severity", "env"]


def test_receivers_need_no_environment_and_notify_nobody_real(repo_root: Path) -> None:
    # Placeholders live on the reserved .invalid domain until a deployment fills them in.
    for receiver in _config(repo_root)["receivers"]:
        for hook in receiver["webhook_configs"]:
            assert ".invalid/" in hook["url"] and "$" not in hook["url"], receiver["name"]


def test_every_alert_carries_the_gate_label_inhibition_matches_on(repo_root: Path) -> None:
    (rule,) = _config(repo_root)["inhibit_rules"]
    assert "gate" in rule["equal"]
    groups = yaml.safe_load((repo_root / "infra/prometheus/chat.rules.yml").read_text(encoding="utf-8"))["groups"]
    alerts = [r for g in groups for r in g["rules"] if "alert" in r]
    assert alerts and all(r["labels"].get("gate") for r in alerts)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def alertmanager_url(alertmanager_binary: str, repo_root: Path, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [
            alertmanager_binary,
            f"--config.file={repo_root / CONFIG}",
            f"--storage.path={tmp_path}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                urllib.request.urlopen(f"{url}/-/ready", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail(f"alertmanager did not become ready on {url}")
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _alert(name: str, severity: str, gate: str, env: str = "production") -> dict:
    labels = {"alertname": name, "severity": severity, "gate": gate, "env": env}
    return {"labels": labels, "annotations": {"summary": name}}


@pytest.mark.e2e
def test_a_critical_alert_silences_the_warning_of_its_own_gate_and_environment_only(alertmanager_url: str) -> None:
    alerts = [
        _alert("ChatErrorRateCritical", "critical", "error_rate"),
        _alert("ChatErrorRateWarning", "warning", "error_rate"),
        _alert("ChatFallbackRateWarning", "warning", "fallback_rate"),
        _alert("ChatErrorRateWarning", "warning", "error_rate", env="staging"),
    ]
    request = urllib.request.Request(
        f"{alertmanager_url}/api/v2/alerts",
        data=json.dumps(alerts).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request, timeout=5).close()
    deadline = time.monotonic() + 10
    while True:
        with urllib.request.urlopen(f"{alertmanager_url}/api/v2/alerts", timeout=5) as response:
            status = {(a["labels"]["alertname"], a["labels"]["env"]): a["status"] for a in json.load(response)}
        if len(status) == 4 and status["ChatErrorRateWarning", "production"]["inhibitedBy"]:
            break
        if time.monotonic() > deadline:
            pytest.fail(f"warning of the critical gate never inhibited: {status}")
        time.sleep(0.1)
    assert status["ChatErrorRateWarning", "production"]["state"] == "suppressed"
    assert status["ChatFallbackRateWarning", "production"]["inhibitedBy"] == []
    assert status["ChatErrorRateCritical", "production"]["inhibitedBy"] == []
    # A production critical says nothing about staging: its warning still notifies.
    assert status["ChatErrorRateWarning", "staging"]["inhibitedBy"] == []
