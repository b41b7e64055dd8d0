"""The fault-injection drill endpoints: off by default, admin only, and faults that count."""

import pytest

ADMIN = {"Authorization": "Bearer drill-token-0123456789"}
DEV = {"BS_AUTH_MODE": "dev", "BS_FEATURE_CHAT_ENABLED": "true", "BS_FEATURE_CHAT_ROLLOUT_PCT": "1",
       "BS_ADMIN_TOKEN": "drill-token-0123456789"}
CHAT = "/api/v1/chat/conversation"
USER = {"X-User-Id": "u"}


async def test_faults_paths_are_404_unless_enabled(apps):
    client = await apps.client(DEV)
    response = await client.put("/api/v1/admin/faults", json={"error_ratio": 1}, headers=ADMIN)
    assert response.status == 404 and (await response.json())["error"]["code"] == "not_found"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}])
async def test_faults_need_the_admin_token(apps, headers):
    client = await apps.client({**DEV, "BS_FAULT_INJECTION": "true"})
    response = await client.put("/api/v1/admin/faults", json={"error_ratio": 1}, headers=headers)
    assert response.status == 403 and (await response.json())["error"]["code"] == "forbidden"


async def test_injected_errors_are_500_injected_fault_and_count_as_errors(apps, database_url):
    client = await apps.client({**DEV, "BS_FAULT_INJECTION": "true"}, database_url=database_url)
    assert (await client.put("/api/v1/admin/faults", json={"error_ratio": 1.0}, headers=ADMIN)).status == 200
    response = await client.post(CHAT, json={"message": "Is this crib recalled?"}, headers=USER)
    body = await response.json()
    assert response.status == 500 and body["error"]["code"] == "injected_fault"
    text = await (await client.get("/metrics")).text()
    assert 'outcome="error"' in text
    assert (await client.delete("/api/v1/admin/faults", headers=ADMIN)).status == 200
    assert (await client.post(CHAT, json={"message": "Is this crib recalled?"}, headers=USER)).status == 200


async def test_added_latency_is_outside_the_deadline(apps, database_url):
    client = await apps.client({**DEV, "BS_FAULT_INJECTION": "true", "BS_CHAT_TOTAL_BUDGET_SEC": "0.5"},
                               database_url=database_url)
    await client.put("/api/v1/admin/faults", json={"added_latency_ms": 700, "endpoints": ["conversation"]},
                     headers=ADMIN)
    response = await client.post(CHAT, json={"message": "Is this crib recalled?"}, headers=USER)
    assert response.status == 200
    text = await (await client.get("/metrics")).text()
    # The 0.5 s budget could not have produced a request in the (0.5, 1] bucket without the fault.
    assert 'chat_request_duration_seconds_bucket{endpoint="conversation",le="0.5",outcome="ok"} 0' in text


@pytest.mark.parametrize("body", [{"error_ratio": 1.5}, {"added_latency_ms": -1}, {"endpoints": ["admin"]}, {"x": 1}])
async def test_bad_fault_settings_are_400(apps, body):
    client = await apps.client({**DEV, "BS_FAULT_INJECTION": "true"})
    response = await client.put("/api/v1/admin/faults", json=body, headers=ADMIN)
    assert response.status == 400 and (await response.json())["error"]["code"] == "invalid_request"
