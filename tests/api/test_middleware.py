"""Every response has `X-Trace-Id` and every error the envelope, including aiohttp's own;
admission sheds load past `BS_MAX_INFLIGHT` and refuses new work while draining."""

import asyncio
import re

import pytest

from babyshield_chat.api import routes as routes_module
from babyshield_chat.api.context import REQUEST_STATE
from babyshield_chat.devtools.fake_llm.modes import FakeMode
from babyshield_chat.devtools.fake_llm.server import FakeLlmServer
from babyshield_chat.telemetry import Telemetry, TelemetrySettings
from babyshield_chat.telemetry.testing import metric_points

from babyshield_chat.devtools.polling import until

DEV = {"BS_AUTH_MODE": "dev", "BS_FEATURE_CHAT_ENABLED": "true", "BS_FEATURE_CHAT_ROLLOUT_PCT": "1"}
HEX32 = re.compile(r"^[0-9a-f]{32}$")
CHAT = "/api/v1/chat/conversation"


async def assert_envelope(response, status, code):
    assert response.status == status
    trace_id = response.headers["X-Trace-Id"]
    assert HEX32.match(trace_id)
    body = await response.json()
    assert body["error"]["code"] == code
    assert body["error"]["message"].strip()
    assert body["trace_id"] == trace_id
    return body


async def test_unknown_path_is_404_envelope(apps):
    await assert_envelope(await (await apps.client()).get("/no/such/path"), 404, "not_found")


async def test_wrong_method_is_405_envelope_with_allow_header(apps):
    response = await (await apps.client()).delete("/api/v1/chat/flags")
    await assert_envelope(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


async def test_body_over_limit_is_413_envelope(apps):
    client = await apps.client({**DEV, "BS_MAX_BODY_BYTES": "1024"})
    big = '{"message": "' + "a" * 2000 + '"}'
    response = await client.post(CHAT, data=big, headers={"X-User-Id": "u", "Content-Type": "application/json"})
    await assert_envelope(response, 413, "payload_too_large")


async def test_non_json_content_type_is_415_envelope(apps):
    client = await apps.client(DEV)
    response = await client.post(CHAT, data="message=hi", headers={"X-User-Id": "u", "Content-Type": "application/x-www-form-urlencoded"})
    await assert_envelope(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    ("data", "problem"),
    [("{not json", "line 1"), ("[1, 2]", "expected an object"), ("", "empty"), (b"\xff\xfe{}", "UTF-8")],
)
async def test_malformed_json_is_invalid_json(apps, data, problem):
    client = await apps.client(DEV)
    response = await client.post(CHAT, data=data, headers={"X-User-Id": "u", "Content-Type": "application/json"})
    body = await assert_envelope(response, 400, "invalid_json")
    assert problem in body["error"]["message"]


async def test_schema_violation_lists_each_field(apps):
    client = await apps.client(DEV)
    response = await client.post(
        CHAT, json={"message": "  ", "conversation_id": "not-a-uuid", "surprise": 1}, headers={"X-User-Id": "u"}
    )
    body = await assert_envelope(response, 400, "invalid_request")
    fields = {d["field"] for d in body["error"]["details"]}
    assert fields == {"message", "conversation_id", "surprise"}


async def test_message_over_2000_chars_after_trimming_is_rejected(apps):
    client = await apps.client(DEV)
    response = await client.post(CHAT, json={"message": "  " + "x" * 2001 + "  "}, headers={"X-User-Id": "u"})
    body = await assert_envelope(response, 400, "invalid_request")
    assert "2000" in body["error"]["details"][0]["problem"]


async def test_unhandled_exception_is_500_envelope_without_stack_trace(apps, monkeypatch):
    async def broken(request):
        raise RuntimeError("secret internals")

    boom = routes_module.Route("GET", "/boom", broken, "A route that fails.")
    monkeypatch.setattr(routes_module, "ROUTES", (*routes_module.ROUTES, boom))
    response = await (await apps.client()).get("/boom")
    body = await assert_envelope(response, 500, "internal_error")
    assert "secret internals" not in str(body)
    server = next(s for s in apps.spans.get_finished_spans() if s.name == "GET /boom")
    assert server.status.status_code.name == "ERROR"


async def test_incoming_traceparent_is_continued(apps):
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    response = await (await apps.client()).get(
        "/healthz", headers={"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"}
    )
    assert response.headers["X-Trace-Id"] == trace_id
    assert (await response.json())["trace_id"] == trace_id
    server = next(s for s in apps.spans.get_finished_spans() if s.name == "GET /healthz")
    assert format(server.context.trace_id, "032x") == trace_id
    assert format(server.parent.span_id, "016x") == "00f067aa0ba902b7"


async def test_an_unexported_trace_still_continues_the_callers_traceparent(apps):
    """With nothing exported the spans are not recorded, yet X-Trace-Id is still the caller's trace."""
    telemetry = Telemetry.create(TelemetrySettings(environment="test"))
    try:
        client = await apps.client(telemetry=telemetry)
        trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
        response = await client.get("/healthz", headers={"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"})
        fresh = await client.get("/healthz")
    finally:
        telemetry.shutdown()
    assert response.headers["X-Trace-Id"] == trace_id
    assert HEX32.match(fresh.headers["X-Trace-Id"]) and fresh.headers["X-Trace-Id"] not in (trace_id, "0" * 32)


async def test_malformed_traceparent_starts_a_new_trace(apps):
    response = await (await apps.client()).get("/healthz", headers={"traceparent": "00-zzzz-01"})
    assert HEX32.match(response.headers["X-Trace-Id"])
    assert response.headers["X-Trace-Id"] != "0" * 32


async def test_server_span_is_named_by_route_template_not_raw_path(apps):
    await (await apps.client()).get("/api/v1/chat/flags")
    names = {s.name for s in apps.spans.get_finished_spans()}
    assert "GET /api/v1/chat/flags" in names


# --- admission: load shedding at BS_MAX_INFLIGHT ---


def requests_by_outcome(telemetry, endpoint="conversation"):
    return {p.attributes["outcome"]: p.value for p in metric_points(telemetry, "chat_requests_total")
            if p.attributes["endpoint"] == endpoint}


async def test_past_max_inflight_chats_are_shed_at_once_counted_as_errors_and_the_process_stays_healthy(apps):
    # The LLM holds two chats for a second; the third arrives while both are still in flight.
    async with FakeLlmServer(FakeMode().updated({"latency": 1000})) as fake:
        client = await apps.client({**DEV, "BS_MAX_INFLIGHT": "2", "BS_LLM_BASE_URL": fake.base_url,
                                    "BS_LLM_API_KEY": "test"})
        held = [asyncio.create_task(client.post(CHAT, json={"message": "Is this crib recalled?"},
                                                headers={"X-User-Id": f"u{i}"})) for i in range(2)]
        await until(lambda: fake.state.in_flight == 2, what="two chats held by the LLM")

        shed = await client.post(CHAT, json={"message": "Is this crib recalled?"}, headers={"X-User-Id": "u3"})
        await assert_envelope(shed, 503, "overloaded")
        assert int(shed.headers["Retry-After"]) >= 1
        assert fake.state.in_flight == 2  # shed without waiting for any slot to free up
        assert (await client.get("/healthz")).status == 200

        assert [r.status for r in await asyncio.gather(*held)] == [200, 200]
        after = await client.post(CHAT, json={"message": "Is this crib recalled?"}, headers={"X-User-Id": "u3"})
        assert after.status == 200
    # 503 is a 5xx: the spec's `error` outcome (README, "Shedding and rate limits in the metrics").
    assert requests_by_outcome(apps.telemetry) == {"ok": 3, "error": 1}
    [inflight] = metric_points(apps.telemetry, "chat_inflight_requests")
    assert inflight.value == 0


async def test_probes_are_admitted_while_overloaded(apps):
    client = await apps.client({**DEV, "BS_MAX_INFLIGHT": "1"})
    client.app[REQUEST_STATE].inflight = 1  # as if one request were in flight
    try:
        assert (await client.get("/healthz")).status == 200
        await assert_envelope(await client.get("/api/v1/chat/flags", headers={"X-User-Id": "u"}), 503, "overloaded")
    finally:
        client.app[REQUEST_STATE].inflight = 0


async def test_while_draining_new_work_is_refused_with_not_ready(apps):
    client = await apps.client(DEV)
    client.app[REQUEST_STATE].draining = True
    response = await client.post(CHAT, json={"message": "hi"}, headers={"X-User-Id": "u"})
    await assert_envelope(response, 503, "not_ready")
    assert response.headers["Retry-After"]
    assert response.headers["Connection"] == "close"  # the client reconnects elsewhere for its next request
    await assert_envelope(await client.get("/readyz"), 503, "not_ready")
    # A deploy must not move the error-rate gate (spec section 4a).
    assert requests_by_outcome(apps.telemetry) == {"rejected": 1}
