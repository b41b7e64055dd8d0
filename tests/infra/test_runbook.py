"""docs/runbook.md: every alert's runbook link lands on a section that exists."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from babyshield_chat.alerting.thresholds import format_duration, human_value, load_thresholds


def _runbook(repo_root: Path) -> str:
    return (repo_root / "docs/runbook.md").read_text(encoding="utf-8")


def _anchors(text: str) -> list[str]:
    return re.findall(r'<a id="([a-z0-9-]+)"></a>', text)


def test_every_alert_runbook_url_has_its_section(repo_root: Path) -> None:
    groups = yaml.safe_load((repo_root / "infra/prometheus/chat.rules.yml").read_text(encoding="utf-8"))["groups"]
    links = {r["annotations"]["runbook_url"] for g in groups for r in g["rules"] if "alert" in r}
    anchors = set(_anchors(_runbook(repo_root)))
    assert {link.split("#", 1)[1] for link in links} - anchors == set()
    assert all(link.startswith(load_thresholds().links.runbook_url + "#") for link in links)


def test_every_alert_section_names_the_alerts_it_explains(repo_root: Path) -> None:
    text = _runbook(repo_root)
    thresholds = load_thresholds()
    sections = dict(zip(_anchors(text), re.split(r'<a id="[a-z0-9-]+"></a>', text)[1:]))
    for gate in thresholds.gates:
        assert (
            gate.warning_alert in sections[gate.runbook_anchor] and gate.critical_alert in sections[gate.runbook_anchor]
        )
    for signal in thresholds.signals.values():
        assert signal.alert in sections[signal.runbook_anchor]


def test_anchors_are_unique(repo_root: Path) -> None:
    anchors = _anchors(_runbook(repo_root))
    assert len(anchors) == len(set(anchors))


def test_runbook_tells_how_to_kill_the_feature_without_a_redeploy(repo_root: Path) -> None:
    text = _runbook(repo_root)
    assert "PUT https://<host>/api/v1/admin/flags/chat" in text
    assert '"enabled": false, "reason"' in text
    assert "babyshield-chat rollout disable" in text
    assert "BS_FEATURE_CHAT_ENABLED=false" in text


def test_runbook_states_the_rollout_phases_and_soak_times(repo_root: Path) -> None:
    text = _runbook(repo_root)
    for row in ("| 1 | 10% | 24 h |", "| 2 | 25% | 48 h |", "| 3 | 50% | 72 h |", "| 4 | 100% | — |"):
        assert row in text


def test_runbook_gate_table_matches_the_thresholds(repo_root: Path) -> None:
    # The table is for humans; it must still say what the alerts do.
    text = _runbook(repo_root)
    for gate in load_thresholds().gates:
        (row,) = [line for line in text.splitlines() if line.startswith(f"| {gate.name} |")]
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[1:4] == [
            f"< {human_value(gate.unit, gate.target)}",
            f"> {human_value(gate.unit, gate.warning)} for {format_duration(gate.for_warning)}",
            f"> {human_value(gate.unit, gate.critical)} for {format_duration(gate.for_critical)}",
        ], gate.key
        assert cells[4].startswith("yes") == gate.rollback_trigger, gate.key


def test_runbook_explains_finding_a_request_by_trace_id_in_each_backend(repo_root: Path) -> None:
    text = _runbook(repo_root)
    assert "X-Trace-Id" in text
    assert 'filter trace_id = "' in text  # CloudWatch Logs Insights
    assert "tracing backend" in text


async def test_the_staging_drill_command_is_accepted_by_the_fault_endpoint(repo_root: Path, apps) -> None:
    # The drill is what proves the pages work; a body the endpoint refuses proves nothing.
    (drill,) = re.findall(r"curl -X PUT \S+/api/v1/admin/faults .*?-d '(\{.*?\})'", _runbook(repo_root), re.DOTALL)
    client = await apps.client({"BS_FAULT_INJECTION": "true", "BS_ADMIN_TOKEN": "t"})
    response = await client.put("/api/v1/admin/faults", data=drill, headers={
        "Authorization": "Bearer t", "Content-Type": "application/json"})
    assert response.status == 200, await response.text()
    assert (await response.json())["endpoints"] == ["conversation", "explain"]
