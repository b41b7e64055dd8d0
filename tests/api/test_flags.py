"""`GET /api/v1/chat/flags` and the gate in front of the chat endpoints."""

import pytest

DEV_10 = {"BS_AUTH_MODE": "dev", "BS_FEATURE_CHAT_ENABLED": "true", "BS_FEATURE_CHAT_ROLLOUT_PCT": "0.10"}


async def test_user_2_is_included_and_user_1_excluded_at_ten_percent(apps):
    client = await apps.client(DEV_10)
    included = await client.get("/api/v1/chat/flags", headers={"X-User-Id": "user-2"})
    excluded = await client.get("/api/v1/chat/flags", headers={"X-User-Id": "user-1"})
    assert included.headers["Cache-Control"] == "private, max-age=60"
    body = await included.json()
    assert body == {
        "chat_enabled_global": True, "chat_rollout_pct": 0.1, "chat_enabled_for_user": True,
        "reason": "rollout_included", "source": "env",
        # The harness's database is unreachable: the instance cannot rule out an override.
        "source_stale": True, "trace_id": included.headers["X-Trace-Id"],
    }
    assert (await excluded.json())["reason"] == "rollout_excluded"


async def test_device_id_is_used_when_there_is_no_user(apps):
    client = await apps.client({**DEV_10, "BS_FEATURE_CHAT_ROLLOUT_PCT": "0.18"})
    body = await (await client.get("/api/v1/chat/flags", headers={"X-Device-Id": "device-ABC"})).json()
    assert (body["chat_enabled_for_user"], body["reason"]) == (True, "rollout_included")  # bucket 17945


async def test_no_identity_is_reported(apps):
    body = await (await (await apps.client(DEV_10)).get("/api/v1/chat/flags")).json()
    assert (body["chat_enabled_for_user"], body["reason"]) == (False, "no_identity")


@pytest.mark.parametrize(
    ("env", "user", "reason"),
    [
        ({"BS_FEATURE_CHAT_ENABLED": "false"}, "user-2", "disabled"),
        ({"BS_FEATURE_CHAT_DENYLIST": "user-2"}, "user-2", "denylisted"),
        ({"BS_FEATURE_CHAT_ALLOWLIST": "user-1"}, "user-1", "allowlisted"),
    ],
)
async def test_every_reason_is_reported(apps, env, user, reason):
    client = await apps.client({**DEV_10, **env})
    body = await (await client.get("/api/v1/chat/flags", headers={"X-User-Id": user})).json()
    assert body["reason"] == reason


@pytest.mark.parametrize("path", ["/api/v1/chat/conversation", "/api/v1/chat/explain"])
async def test_blocked_request_is_403_with_no_database_and_no_llm(apps, path):
    """The app points at a database port nothing listens on and an LLM URL nothing serves."""
    client = await apps.client({**DEV_10, "BS_LLM_API_KEY": "k", "BS_LLM_BASE_URL": "http://127.0.0.1:9/v1"})
    response = await client.post(path, json={"message": "Is this crib recalled?"}, headers={"X-User-Id": "user-1"})
    assert response.status == 403
    body = await response.json()
    assert body["error"]["code"] == "chat_disabled"
    assert body["trace_id"] == response.headers["X-Trace-Id"]


async def test_gate_span_carries_feature_flag_attributes(apps):
    client = await apps.client(DEV_10)
    await client.post("/api/v1/chat/conversation", json={"message": "hi"}, headers={"X-User-Id": "user-1"})
    gate = next(s for s in apps.spans.get_finished_spans() if s.name == "chat.gate")
    assert gate.attributes["feature_flag.key"] == "chat"
    assert gate.attributes["feature_flag.result.variant"] == "off"
    assert gate.attributes["feature_flag.result.reason"] == "rollout_excluded"
    assert "user-1" not in str(dict(gate.attributes))
