"""grafana.py: the dashboard draws each gate with the thresholds that page."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

from babyshield_chat.devtools.alerting.grafana import DASHBOARD_UID, build_dashboard
from babyshield_chat.alerting.thresholds import load_thresholds

from tests.support.promql import metric_names


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
        paging, per_instance = panel["targets"]
        assert paging["expr"] == f'{gate.record}{{env=~"$env"}}'
        assert gate.measure.metric in per_instance["expr"] and "by (instance" in per_instance["expr"]
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
        ("Fallbacks by reason", "sum by (reason) (rate(chat_fallbacks_total{"),
        ("Retries by dependency", "sum by (dependency) (rate(chat_retries_total{"),
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


def test_alert_dashboard_links_open_this_dashboard(committed: dict[str, Any]) -> None:
    path = urlparse(load_thresholds().links.dashboard_url).path
    assert committed["uid"] == DASHBOARD_UID
    assert f"/d/{committed['uid']}/" in path


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


def _all_queries(dashboard: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in _panels(dashboard) for t in p["targets"]]


def test_every_panel_query_is_scoped_by_the_env_and_instance_variables(committed: dict[str, Any]) -> None:
    queries = _all_queries(committed)
    assert len(queries) > 20
    for expr in queries:
        names = metric_names(expr)
        assert names, expr
        for name in names:
            selectors = re.findall(rf"(?<![\w:]){re.escape(name)}\{{([^}}]*)\}}", expr)
            assert selectors and len(selectors) == len(re.findall(rf"(?<![\w:]){re.escape(name)}\b", expr)), expr
            for matchers in selectors:
                assert 'env=~"$env"' in matchers, expr
                # Recorded series are fleet-wide per environment (no instance), except the per-instance pool record.
                if ":" not in name or name == "chat:db_pool_utilisation:ratio":
                    assert 'instance=~"$instance"' in matchers, expr


def test_env_and_instance_variables_list_what_prometheus_scrapes(committed: dict[str, Any]) -> None:
    variables = {v["name"]: v for v in committed["templating"]["list"]}
    assert set(variables) == {"env", "instance"}
    assert variables["env"]["query"]["query"] == 'label_values(up{job="babyshield-chat"}, env)'
    assert variables["env"]["multi"] is False  # thresholds are judged per environment
    instance = variables["instance"]
    assert instance["query"]["query"] == 'label_values(up{job="babyshield-chat", env=~"$env"}, instance)'
    assert (instance["multi"], instance["includeAll"], instance["allValue"]) == (True, True, ".*")


def test_flag_changes_and_new_versions_are_annotations(committed: dict[str, Any]) -> None:
    annotations = {a["name"]: a for a in committed["annotations"]["list"]}
    assert set(annotations) == {"Flag changes", "Versions"}
    assert "increase(chat_flag_changes_total{" in annotations["Flag changes"]["expr"]
    assert "chat_build_info{" in annotations["Versions"]["expr"] and " offset " in annotations["Versions"]["expr"]
    assert all('env=~"$env"' in a["expr"] and a["enable"] for a in annotations.values())


def test_every_link_on_the_dashboard_is_absolute(committed: dict[str, Any]) -> None:
    links = [link["url"] for link in committed["links"]]
    links += [link["url"] for panel in _panels(committed) for link in panel.get("links", [])]
    assert len(links) == 1 + len(load_thresholds().gates)
    assert all(link.startswith(load_thresholds().links.base_url + "/") for link in links)
