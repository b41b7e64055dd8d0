"""The admin endpoints: who may use them, what bad input gets back, and the audit trail."""

import pytest

TOKEN = "s3cret-admin-token"
ENV = {"BS_ADMIN_TOKEN": TOKEN, "BS_FEATURE_CHAT_ENABLED": "true", "BS_FEATURE_CHAT_ROLLOUT_PCT": "0.10"}
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
FLAG = "/api/v1/admin/flags/chat"
AUDIT = "/api/v1/admin/flags/chat/audit"

ADMIN_CALLS = [
    ("GET", FLAG, None),
    ("PUT", FLAG, {"enabled": False, "reason": "x"}),
    ("DELETE", FLAG, {"reason": "x"}),
    ("GET", AUDIT, None),
    ("GET", "/api/v1/admin/rollout", None),
    ("POST", "/api/v1/admin/rollout/advance", {"reason": "x"}),
    ("POST", "/api/v1/admin/rollout/rollback", {"reason": "x"}),
]
ADVANCE = "/api/v1/admin/rollout/advance"
ROLLBACK = "/api/v1/admin/rollout/rollback"


async def call(client, method, path, body, headers):
    return await client.request(method, path, json=body, headers=headers)


async def error_of(response, status, code):
    assert response.status == status, await response.text()
    body = await response.json()
    assert body["error"]["code"] == code
    assert body["trace_id"] == response.headers["X-Trace-Id"]
    return body["error"]


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_CALLS)
@pytest.mark.parametrize("headers", [{}, ADMIN, {"Authorization": "Bearer "}], ids=["none", "any", "empty"])
async def test_without_a_configured_token_every_admin_endpoint_is_forbidden(apps, database_url, method, path, body,
                                                                           headers):
    client = await apps.client({"BS_FEATURE_CHAT_ENABLED": "true"}, database_url=database_url)
    error = await error_of(await call(client, method, path, body, headers), 403, "forbidden")
    assert "BS_ADMIN_TOKEN is not set" in error["message"]


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_CALLS)
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {TOKEN}x"}, {"Authorization": TOKEN},
     {"Authorization": f"Basic {TOKEN}"}],
    ids=["missing", "wrong", "longer", "no-scheme", "basic"],
)
async def test_anything_but_the_exact_token_is_forbidden(apps, database_url, method, path, body, headers):
    client = await apps.client(ENV, database_url=database_url)
    await error_of(await call(client, method, path, body, headers), 403, "forbidden")


async def test_a_refused_write_changes_nothing(apps, database_url):
    client = await apps.client(ENV, database_url=database_url)
    await call(client, "PUT", FLAG, {"enabled": False, "reason": "x"}, {"Authorization": "Bearer wrong"})
    body = await (await client.get("/api/v1/chat/flags")).json()
    assert (body["chat_enabled_global"], body["source"]) == (True, "env")


async def test_get_reports_env_override_and_freshness(apps, database_url):
    client = await apps.client(ENV, database_url=database_url)
    await client.put(FLAG, headers=ADMIN, json={"rollout_pct": 0.25, "reason": "phase 2"})
    body = await (await client.get(FLAG, headers=ADMIN)).json()
    assert body["effective"] == {"enabled": True, "rollout_pct": 0.25, "source": "override"}
    assert body["env"] == {"enabled": True, "rollout_pct": 0.1}
    assert body["override"]["enabled"] is None and body["override"]["rollout_pct"] == 0.25
    assert (body["override"]["updated_by"], body["override"]["reason"]) == ("admin-api", "phase 2")
    assert (body["stale"], body["listening"]) == (False, True) and body["last_sync"]


async def test_put_merges_so_the_kill_switch_keeps_the_percentage(apps, database_url):
    client = await apps.client(ENV, database_url=database_url)
    await client.put(FLAG, headers=ADMIN, json={"rollout_pct": 0.5, "reason": "phase 3"})
    response = await client.put(FLAG, headers=ADMIN, json={"enabled": False, "reason": "incident"})
    body = await response.json()
    assert body["old"] == {"enabled": True, "rollout_pct": 0.5, "source": "override"}
    assert body["new"] == {"enabled": False, "rollout_pct": 0.5, "source": "override"}
    assert body["changed"] is True and body["audit_id"] > 0


async def test_delete_goes_back_to_env(apps, database_url):
    client = await apps.client(ENV, database_url=database_url)
    await client.put(FLAG, headers=ADMIN, json={"enabled": False, "reason": "incident"})
    body = await (await client.delete(FLAG, headers=ADMIN, json={"reason": "resolved"})).json()
    assert body["new"] == {"enabled": True, "rollout_pct": 0.1, "source": "env"}
    flags = await (await client.get("/api/v1/chat/flags")).json()
    assert (flags["chat_enabled_global"], flags["source"]) == (True, "env")


@pytest.mark.parametrize(
    ("body", "field", "problem"),
    [
        ({"rollout_pct": 1.5, "reason": "r"}, "rollout_pct", "must be between 0 and 1 (a fraction: 0.1 means 10%), got 1.5"),
        ({"rollout_pct": -0.1, "reason": "r"}, "rollout_pct", "got -0.1"),
        ({"rollout_pct": 10, "reason": "r"}, "rollout_pct", "got 10"),
        ({"rollout_pct": "10%", "reason": "r"}, "rollout_pct", "not the string '10%' (10% is 0.1)"),
        ({"rollout_pct": "0.1", "reason": "r"}, "rollout_pct", "not the string '0.1'"),
        ({"rollout_pct": True, "reason": "r"}, "rollout_pct", "got bool"),
        ({"enabled": "false", "reason": "r"}, "enabled", "valid boolean"),
        ({"enabled": False}, "reason", "Field required"),
        ({"enabled": False, "reason": "   "}, "reason", "must say why"),
        ({"reason": "nothing to change"}, "(body)", "give enabled, rollout_pct or both"),
        ({"enabled": False, "reason": "r", "actor": "me"}, "actor", "Extra inputs are not permitted"),
    ],
)
async def test_bad_put_bodies_get_a_400_naming_the_field(apps, database_url, body, field, problem):
    client = await apps.client(ENV, database_url=database_url)
    error = await error_of(await client.put(FLAG, headers=ADMIN, json=body), 400, "invalid_request")
    assert any(d["field"] == field and problem in d["problem"] for d in error["details"]), error


async def test_nan_rollout_is_refused(apps, database_url):
    client = await apps.client(ENV, database_url=database_url)
    response = await client.put(FLAG, headers={**ADMIN, "Content-Type": "application/json"},
                                data='{"rollout_pct": NaN, "reason": "r"}')
    error = await error_of(response, 400, "invalid_request")
    assert "got nan" in error["details"][0]["problem"]


@pytest.mark.parametrize(("data", "code"), [("", "invalid_json"), ("[]", "invalid_json"), ("{", "invalid_json")])
async def test_empty_or_broken_bodies_are_invalid_json(apps, database_url, data, code):
    client = await apps.client(ENV, database_url=database_url)
    response = await client.put(FLAG, headers={**ADMIN, "Content-Type": "application/json"}, data=data)
    await error_of(response, 400, code)


async def test_delete_without_a_reason_is_refused(apps, database_url):
    client = await apps.client(ENV, database_url=database_url)
    error = await error_of(await client.delete(FLAG, headers=ADMIN, json={}), 400, "invalid_request")
    assert error["details"][0]["field"] == "reason"
    # No body at all (the runbook's curl without -d): 400 naming `reason`, never 415.
    error = await error_of(await client.delete(FLAG, headers=ADMIN), 400, "invalid_request")
    assert error["details"][0]["field"] == "reason"


async def test_delete_takes_its_reason_from_the_query_string(apps, database_url):
    client = await apps.client(ENV, database_url=database_url)
    assert (await client.put(FLAG, headers=ADMIN, json={"enabled": False, "reason": "incident"})).status == 200
    response = await client.delete(f"{FLAG}?reason=resolved", headers=ADMIN)
    assert response.status == 200 and (await response.json())["new"]["source"] == "env"
    audit = await (await client.get(f"{FLAG}/audit", headers=ADMIN)).json()
    assert audit["entries"][0]["reason"] == "resolved"


async def test_a_malformed_actor_header_is_refused(apps, database_url):
    client = await apps.client(ENV, database_url=database_url)
    response = await client.put(FLAG, headers={**ADMIN, "X-Admin-Actor": "x" * 101}, json={"enabled": False, "reason": "r"})
    await error_of(response, 400, "invalid_request")


async def test_audit_lists_every_change_newest_first_with_who_old_new_and_why(apps, database_url):
    client = await apps.client(ENV, database_url=database_url)
    await client.put(FLAG, headers={**ADMIN, "X-Admin-Actor": "alice"}, json={"rollout_pct": 0.25, "reason": "phase 2"})
    await client.put(FLAG, headers={**ADMIN, "X-Admin-Actor": "bob"}, json={"enabled": False, "reason": "incident 7"})
    await client.delete(FLAG, headers={**ADMIN, "X-Admin-Actor": "bob"}, json={"reason": "resolved"})
    body = await (await client.get(AUDIT, headers=ADMIN)).json()
    entries = [(e["actor"], e["action"], e["old"], e["new"], e["reason"]) for e in body["entries"]]
    assert entries == [
        ("bob", "clear", {"enabled": False, "rollout_pct": 0.25, "source": "override"},
         {"enabled": True, "rollout_pct": 0.1, "source": "env"}, "resolved"),
        ("bob", "set", {"enabled": True, "rollout_pct": 0.25, "source": "override"},
         {"enabled": False, "rollout_pct": 0.25, "source": "override"}, "incident 7"),
        ("alice", "set", {"enabled": True, "rollout_pct": 0.1, "source": "env"},
         {"enabled": True, "rollout_pct": 0.25, "source": "override"}, "phase 2"),
    ]
    assert all(e["at"] for e in body["entries"])
    limited = await (await client.get(AUDIT + "?limit=1", headers=ADMIN)).json()
    assert [e["reason"] for e in limited["entries"]] == ["resolved"]


@pytest.mark.parametrize("limit", ["0", "501", "ten", "-1"])
async def test_a_bad_audit_limit_is_a_400_quoting_it(apps, database_url, limit):
    client = await apps.client(ENV, database_url=database_url)
    error = await error_of(await client.get(f"{AUDIT}?limit={limit}", headers=ADMIN), 400, "invalid_request")
    assert repr(limit) in error["message"]


async def test_writes_and_audit_with_the_database_down_are_503_not_500(apps):
    client = await apps.client(ENV)  # the harness's default database: nothing listens there
    put = await client.put(FLAG, headers=ADMIN, json={"enabled": False, "reason": "incident"})
    error = await error_of(put, 503, "not_ready")
    assert "not changed" in error["message"] and put.headers["Retry-After"]
    await error_of(await client.get(AUDIT, headers=ADMIN), 503, "not_ready")
    # Reading what this instance serves still works, and admits it may be stale.
    body = await (await client.get(FLAG, headers=ADMIN)).json()
    assert (body["stale"], body["listening"], body["last_sync"]) == (True, False, None)


async def test_admin_endpoints_are_in_the_openapi_document_with_their_models(apps):
    client = await apps.client(ENV)
    document = await (await client.get("/api/v1/openapi.json")).json()
    put = document["paths"][FLAG]["put"]
    assert put["security"] == [{"bearerAuth": []}]
    assert put["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/FlagOverrideRequest")
    assert set(document["paths"][FLAG]) == {"get", "put", "delete"}
    assert "get" in document["paths"][AUDIT] and "get" in document["paths"]["/api/v1/admin/rollout"]
    assert "rollout_pct" in document["components"]["schemas"]["FlagOverrideRequest"]["properties"]


async def test_advance_without_prometheus_holds_and_records_the_hold_with_the_persons_reason(apps, database_url):
    client = await apps.client(ENV, database_url=database_url)
    response = await client.post(ADVANCE, headers={**ADMIN, "X-Admin-Actor": "carol"}, json={"reason": "daily check"})
    assert response.status == 200, await response.text()
    body = await response.json()
    assert (body["verdict"]["action"], body["changes_flag"], body["dry_run"]) == ("hold", False, False)
    assert body["summary"].startswith("hold at 10%") and "no Prometheus URL configured" in body["summary"]
    [entry] = (await (await client.get(AUDIT + "?limit=1", headers=ADMIN)).json())["entries"]
    assert (entry["id"], entry["actor"], entry["action"]) == (body["audit_id"], "carol", "guard_hold")
    assert entry["reason"].startswith("hold at 10%") and entry["reason"].endswith("(asked: daily check)")
    assert entry["details"]["gates"][0]["status"] == "no_data"


async def test_a_dry_run_advance_says_what_the_guard_would_do_and_records_nothing(apps, database_url):
    client = await apps.client(ENV, database_url=database_url)
    body = await (await client.post(ADVANCE, headers=ADMIN, json={"reason": "look", "dry_run": True})).json()
    assert (body["verdict"]["action"], body["audit_id"], body["dry_run"]) == ("hold", None, True)
    assert (await (await client.get(AUDIT, headers=ADMIN)).json())["entries"] == []


async def test_rollback_halves_as_the_cli_does_and_the_flag_follows(apps, database_url):
    client = await apps.client(ENV, database_url=database_url)
    preview = await (await client.post(ROLLBACK, headers=ADMIN, json={"reason": "p95", "dry_run": True})).json()
    assert (preview["from_pct"], preview["to_pct"], preview["audit_id"]) == (0.1, 0.05, None)
    response = await client.post(ROLLBACK, headers={**ADMIN, "X-Admin-Actor": "dave"}, json={"reason": "p95 creeping"})
    assert response.status == 200, await response.text()
    body = await response.json()
    assert (body["from_pct"], body["to_pct"], body["dry_run"]) == (0.1, 0.05, False)
    [entry] = (await (await client.get(AUDIT, headers=ADMIN)).json())["entries"]
    assert (entry["id"], entry["actor"], entry["action"], entry["reason"]) == (
        body["audit_id"], "dave", "rollback", "p95 creeping")
    flags = await (await client.get(FLAG, headers=ADMIN)).json()
    assert flags["effective"] == {"enabled": True, "rollout_pct": 0.05, "source": "override"}


async def test_rollback_at_zero_is_a_409_saying_there_is_nothing_to_roll_back(apps, database_url):
    client = await apps.client({**ENV, "BS_FEATURE_CHAT_ROLLOUT_PCT": "0"}, database_url=database_url)
    error = await error_of(await client.post(ROLLBACK, headers=ADMIN, json={"reason": "r"}), 409,
                           "nothing_to_roll_back")
    assert "already at 0%" in error["message"]
    assert (await (await client.get(AUDIT, headers=ADMIN)).json())["entries"] == []


@pytest.mark.parametrize("path", [ADVANCE, ROLLBACK])
@pytest.mark.parametrize(("body", "field"), [({}, "reason"), ({"reason": "  "}, "reason"),
                                             ({"reason": "r", "dry_run": "yes"}, "dry_run"),
                                             ({"reason": "r", "force": True}, "force")])
async def test_guard_actions_need_a_reason_and_refuse_bad_fields(apps, database_url, path, body, field):
    client = await apps.client(ENV, database_url=database_url)
    error = await error_of(await client.post(path, headers=ADMIN, json=body), 400, "invalid_request")
    assert error["details"][0]["field"] == field
    assert (await (await client.get(AUDIT, headers=ADMIN)).json())["entries"] == []


@pytest.mark.parametrize("path", [ADVANCE, ROLLBACK])
async def test_guard_actions_with_the_database_down_are_503(apps, path):
    client = await apps.client(ENV)
    await error_of(await client.post(path, headers=ADMIN, json={"reason": "r"}), 503, "not_ready")
