"""grafana.py: the dashboard draws each gate with the thresholds that page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

from babyshield_chat.devtools.alerting.grafana import DASHBOARD_UID, build_dashboard
from babyshield_chat.alerting.thresholds import load_thresholds


@pytest.fixture(scope="module")
def committed(repo_root: Path) -> dict[str, Any]:
    return json.loads((repo_root / "infra/grafana/dashboards/babyshield-chat.json").read_text(encoding="utf-8"))


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in dashboard["panels"] if p["type"] != "row"]


def _exprs(panel: dict[str, Any]) -> str:
    return " ".join(t["expr"] for t in panel["targets"])


def test_each_gate_panel_shows_its_record_with_warning_and_critical_steps(committed: dict[str, Any]) -> None:
    panels = {p["title"]: p for p in _panels(committed)}
    for gate in load_thresholds().gates:
        panel = panels[gate.name]
        assert _exprs(panel) == gate.record
        steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
        assert [(s["color"], s["value"]) for s in steps] == [
            ("green", None),
            ("orange", gate.warning),
            ("red", gate.critical),
        ], gate.key
        assert panel["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]["mode"] != "off"
        assert panel["fieldConfig"]["defaults"]["unit"] == ("percentunit" if gate.unit == "ratio" else "s")


@pytest.mark.parametrize(
    ("title", "metric"),
    [
        ("Requests per second", "chat:requests_all:rate5m"),
        ("Blocked rate vs expected", "chat:blocked_ratio:rate5m"),
        ("Rollout", "chat_flag_rollout_ratio"),
        ("LLM tokens per second", "chat_llm_tokens_total"),
        ("LLM spend (USD)", "chat_llm_cost_usd_total"),
        ("Circuit breakers", "chat_circuit_state"),
        ("DB pool utilisation", "chat:db_pool_utilisation:ratio"),
    ],
)
def test_context_panels_exist_for_traffic_rollout_llm_and_dependencies(
    committed: dict[str, Any], title: str, metric: str
) -> None:
    panels = {p["title"]: p for p in _panels(committed)}
    assert metric in _exprs(panels[title])


def test_spend_and_pool_panels_mark_the_alerting_limits(committed: dict[str, Any]) -> None:
    thresholds = load_thresholds()
    panels = {p["title"]: p for p in _panels(committed)}
    spend_steps = panels["LLM spend (USD)"]["fieldConfig"]["defaults"]["thresholds"]["steps"]
    pool_steps = panels["DB pool utilisation"]["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert spend_steps[-1]["value"] == thresholds.spend_budget_usd
    assert pool_steps[1]["value"] == thresholds.signal("db_pool").threshold


def test_feedback_row_draws_the_unhelpful_share_with_its_tiers_and_unsafe_votes_by_intent(
        committed: dict[str, Any]) -> None:
    feedback = load_thresholds().feedback
    panels = {p["title"]: p for p in _panels(committed)}
    share = panels[feedback.name]
    assert _exprs(share) == feedback.record
    steps = share["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert [(s["color"], s["value"]) for s in steps] == [
        ("green", None), ("orange", feedback.warning), ("red", feedback.critical)]
    assert f"{feedback.min_votes} votes" in share["description"]
    assert share["links"][0]["url"].endswith(f"#{feedback.runbook_anchor}")
    assert feedback.votes_record in _exprs(panels["Votes by reason"])
    assert 'sum by (intent)' in _exprs(panels["Unsafe votes by intent"])
    assert 'reason="unsafe"' in _exprs(panels["Unsafe votes by intent"])


def test_the_cost_gates_spend_rate_is_drawn_against_the_budget(committed: dict[str, Any]) -> None:
    thresholds = load_thresholds()
    panel = {p["title"]: p for p in _panels(committed)}["LLM spend rate (USD per day)"]
    assert _exprs(panel) == thresholds.cost.record
    assert panel["fieldConfig"]["defaults"]["thresholds"]["steps"][-1]["value"] == thresholds.spend_budget_usd


def test_alert_dashboard_links_open_this_dashboard(committed: dict[str, Any]) -> None:
    path = urlparse(load_thresholds().dashboard_url).path
    assert committed["uid"] == DASHBOARD_UID
    assert path.split("/")[2] == committed["uid"]


def test_panels_have_unique_ids_and_do_not_overlap() -> None:
    panels = build_dashboard(load_thresholds())["panels"]
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    cells: set[tuple[int, int]] = set()
    for panel in panels:
        pos = panel["gridPos"]
        mine = {(x, y) for x in range(pos["x"], pos["x"] + pos["w"]) for y in range(pos["y"], pos["y"] + pos["h"])}
        assert not mine & cells, panel["title"]
        assert pos["x"] + pos["w"] <= 24
        cells |= mine


def test_every_query_uses_the_provisioned_prometheus_datasource(committed: dict[str, Any], repo_root: Path) -> None:
    provisioned = yaml.safe_load(
        (repo_root / "infra/grafana/provisioning/datasources/prometheus.yml").read_text(encoding="utf-8")
    )
    (source,) = provisioned["datasources"]
    for panel in _panels(committed):
        assert panel["datasource"] == {"type": "prometheus", "uid": source["uid"]}
        assert all(t["datasource"]["uid"] == source["uid"] for t in panel["targets"])
