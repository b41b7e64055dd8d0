"""The telemetry contract through the real app: /metrics, the chat_request line, spans, privacy."""

import io
import json
import logging
import re

import pytest

from babyshield_chat import __version__
from babyshield_chat.telemetry import configure_logging
from babyshield_chat.config import TelemetrySettings

DEV = {"BS_AUTH_MODE": "dev", "BS_FEATURE_CHAT_ENABLED": "true", "BS_FEATURE_CHAT_ROLLOUT_PCT": "0.10"}
CHAT = "/api/v1/chat/conversation"
INCLUDED = {"X-User-Id": "user-2"}  # bucket 7113 < 10000
EXCLUDED = {"X-User-Id": "user-1"}  # bucket 64584
SECRET_MESSAGE = "zebra-quokka-7731 is this crib recalled"
SECRET_USER = "user-2"


@pytest.fixture
def log_stream():
    stream = io.StringIO()
    handlers = configure_logging(TelemetrySettings(environment="test", log_hash_key="k" * 32), stream)
    yield stream
    for handler in handlers:
        logging.getLogger().removeHandler(handler)


def lines(stream):
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


async def drive_every_outcome(client):
    """ok, emergency, blocked, rejected, plus a flags call that is not a chat request."""
    statuses = []
    for headers, body in (
        (INCLUDED, {"message": SECRET_MESSAGE}),
        (INCLUDED, {"message": "my baby is choking and can't breathe"}),
        (EXCLUDED, {"message": "is this safe?"}),
        (INCLUDED, {"message": ""}),
    ):
        statuses.append((await client.post(CHAT, json=body, headers=headers)).status)
    await client.get("/api/v1/chat/flags", headers=INCLUDED)
    return statuses


async def test_metrics_scrape_shows_every_outcome_with_contract_labels(apps, database_url):
    client = await apps.client(DEV, database_url=database_url)
    assert await drive_every_outcome(client) == [200, 200, 403, 400]
    text = await (await client.get("/metrics")).text()
    for outcome in ("ok", "emergency", "blocked", "rejected"):
        pattern = rf'chat_requests_total\{{[^}}]*outcome="{outcome}"[^}}]*\}} 1\.0'
        assert re.search(pattern, text), outcome
    assert 'chat_request_duration_seconds_bucket{endpoint="conversation",le="2.8",outcome="ok"}' in text
    assert re.search(r'chat_tool_duration_seconds_bucket\{le="0.8",outcome="ok",tool="recall_lookup"\}', text)
    assert "chat_flag_enabled 1.0" in text
    assert "chat_flag_rollout_ratio 0.1" in text
    assert re.search(r'chat_db_pool_connections\{state="max"\} 20\.0', text)
    assert 'endpoint="flags"' not in text  # only chat requests are counted


async def test_one_chat_request_line_per_chat_request_with_the_response_trace_id(apps, database_url, log_stream):
    client = await apps.client(DEV, database_url=database_url)
    response = await client.post(CHAT, json={"message": "Is this stroller recalled?"}, headers=INCLUDED)
    blocked = await client.post(CHAT, json={"message": "hi"}, headers=EXCLUDED)
    records = [r for r in lines(log_stream) if r.get("event") == "chat_request"]
    assert len(records) == 2
    ok, denied = records
    assert ok["trace_id"] == response.headers["X-Trace-Id"]
    assert denied["trace_id"] == blocked.headers["X-Trace-Id"]
    expected = {"ts", "level", "endpoint", "intent", "outcome", "status_code", "latency_ms", "trace_id", "span_id",
                "fallback", "fallback_reason", "circuit_open", "blocked", "user_hash", "service", "version", "env"}
    assert expected <= ok.keys()
    assert (ok["outcome"], ok["status_code"], ok["blocked"], ok["fallback"]) == ("ok", 200, False, False)
    assert (denied["outcome"], denied["status_code"], denied["blocked"]) == ("blocked", 403, True)
    assert isinstance(ok["latency_ms"], int) and re.fullmatch(r"[0-9a-f]{16}", ok["user_hash"])
    assert ok["ts"].endswith("Z")


async def test_a_chat_trace_has_gate_classify_and_tool_spans_under_one_trace(apps, database_url):
    client = await apps.client(DEV, database_url=database_url)
    response = await client.post(CHAT, json={"message": "Is this stroller recalled?"}, headers=INCLUDED)
    trace_id = response.headers["X-Trace-Id"]
    spans = [s for s in apps.spans.get_finished_spans() if format(s.context.trace_id, "032x") == trace_id]
    names = {s.name for s in spans}
    assert {"POST /api/v1/chat/conversation", "chat.gate", "chat.emergency", "chat.classify",
            "execute_tool recall_lookup", "SELECT recalls", "SELECT profiles"} <= names
    db = next(s for s in spans if s.name == "SELECT recalls")
    assert db.attributes["db.system.name"] == "postgresql" and "db.query.text" not in db.attributes


async def test_nothing_private_reaches_logs_spans_or_metrics(apps, database_url, log_stream):
    client = await apps.client(DEV, database_url=database_url)
    await client.patch("/api/v1/chat/profile", json={"consent_memory": True, "allergies": ["walnut-ostrich-55"]},
                     headers=INCLUDED)
    await drive_every_outcome(client)
    everything = [log_stream.getvalue(), await (await client.get("/metrics")).text()]
    for span in apps.spans.get_finished_spans():
        everything.append(json.dumps({"name": span.name, "attributes": dict(span.attributes or {}),
                                      "events": [dict(e.attributes or {}) for e in span.events]}, default=str))
    blob = "\n".join(everything)
    for secret in ("zebra-quokka-7731", "walnut-ostrich-55", '"user-2"', "user-2\""):
        assert secret not in blob, secret


async def test_an_instance_that_cannot_confirm_its_flag_says_so_in_a_metric(apps):
    client = await apps.client(DEV)  # the database is unreachable: the override store never synced
    text = await (await client.get("/metrics")).text()
    assert "chat_flag_source_stale 1.0" in text
    body = await (await client.get("/api/v1/chat/flags", headers=INCLUDED)).json()
    assert body["source_stale"] is True


async def test_a_synced_instance_reports_a_fresh_flag(apps, database_url):
    client = await apps.client(DEV, database_url=database_url)
    text = await (await client.get("/metrics")).text()
    assert "chat_flag_source_stale 0.0" in text


async def test_a_chat_request_logs_one_line_and_other_requests_an_access_line(database_url, log_stream):
    from aiohttp.test_utils import TestClient, TestServer

    from babyshield_chat.app import create_app
    from babyshield_chat.config import load_settings
    from babyshield_chat.telemetry import JsonAccessLogger, Telemetry

    app = create_app(load_settings(DEV), database_url=database_url, telemetry=Telemetry.for_tests())
    server = TestServer(app)
    await server.start_server(access_log_class=JsonAccessLogger)
    client = TestClient(server)
    await client.start_server()
    try:
        chat = await client.post(CHAT, json={"message": "Is this stroller recalled?"}, headers=INCLUDED)
        await client.get("/api/v1/chat/flags", headers=INCLUDED)
    finally:
        await client.close()
    in_chat = [r for r in lines(log_stream) if r.get("trace_id") == chat.headers["X-Trace-Id"]]
    assert [r["event"] for r in in_chat if r["event"] in ("chat_request", "http_request")] == ["chat_request"]
    assert any(r.get("event") == "http_request" and r.get("route") == "/api/v1/chat/flags" for r in lines(log_stream))


def test_unexported_spans_are_not_recorded_but_still_carry_a_trace_id():
    from babyshield_chat.telemetry import Telemetry

    telemetry = Telemetry.create(TelemetrySettings(environment="test"))
    try:
        with telemetry.tracer.start_as_current_span("x") as span:
            assert not span.is_recording()
            assert span.get_span_context().is_valid
    finally:
        telemetry.shutdown()


def test_exported_traces_honour_the_standard_sampler_variable(monkeypatch):
    from babyshield_chat.telemetry import Telemetry

    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "traceidratio")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0")
    settings = TelemetrySettings(environment="test", otlp_endpoint="http://127.0.0.1:9")
    telemetry = Telemetry.create(settings)
    try:
        with telemetry.tracer.start_as_current_span("x") as span:
            assert not span.is_recording()  # ratio 0: sampled out by the operator's choice
    finally:
        telemetry.shutdown()


async def test_an_admin_flag_change_is_counted_on_metrics_by_the_source_it_switched_to(apps, database_url):
    env = {**DEV, "BS_ADMIN_TOKEN": "t"}
    admin = {"Authorization": "Bearer t"}
    client = await apps.client(env, database_url=database_url)
    before = await (await client.get("/metrics")).text()
    # Starting up adopts the flag, it changes nothing; the series exist at 0 so the first change shows in increase().
    assert 'chat_flag_changes_total{source="override"} 0.0' in before
    assert 'chat_flag_changes_total{source="env"} 0.0' in before

    put = await client.put("/api/v1/admin/flags/chat", json={"enabled": False, "reason": "drill"}, headers=admin)
    assert put.status == 200, await put.text()
    cleared = await client.delete("/api/v1/admin/flags/chat", json={"reason": "drill over"}, headers=admin)
    assert cleared.status == 200, await cleared.text()

    text = await (await client.get("/metrics")).text()
    assert 'chat_flag_changes_total{source="override"} 1.0' in text
    assert 'chat_flag_changes_total{source="env"} 1.0' in text
    assert f'chat_build_info{{version="{__version__}"}} 1.0' in text
