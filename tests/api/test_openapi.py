"""The OpenAPI document is generated from the models that validate requests."""

from babyshield_chat.api.routes import ROUTES


async def fetch_document(apps):
    response = await (await apps.client()).get("/api/v1/openapi.json")
    assert response.status == 200
    return await response.json()


async def test_document_is_openapi_3_1_with_every_route(apps):
    doc = await fetch_document(apps)
    assert doc["openapi"].startswith("3.1")
    for route in ROUTES:
        assert route.method.lower() in doc["paths"][route.path], route.path


async def test_conversation_request_schema_forbids_unknown_fields_and_bounds_the_message(apps):
    doc = await fetch_document(apps)
    schema = doc["components"]["schemas"]["ConversationRequest"]
    assert schema["additionalProperties"] is False
    assert "message" in schema["required"]
    op = doc["paths"]["/api/v1/chat/conversation"]["post"]
    assert op["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/ConversationRequest")
    assert {"400", "401", "403", "413", "415"} <= set(op["responses"])


async def test_every_error_response_uses_the_envelope_schema(apps):
    doc = await fetch_document(apps)
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            for status, response in op["responses"].items():
                if status.startswith(("4", "5")):
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorResponse"), (path, method, status)


async def test_every_reference_resolves(apps):
    doc = await fetch_document(apps)
    schemas = doc["components"]["schemas"]

    def refs(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    yield value
                else:
                    yield from refs(value)
        elif isinstance(node, list):
            for item in node:
                yield from refs(item)

    for ref in refs(doc):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, ref


async def test_feedback_request_schema_is_strict_and_names_the_closed_reasons(apps):
    doc = await fetch_document(apps)
    schema = doc["components"]["schemas"]["FeedbackRequest"]
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"message_id", "helpful"}
    assert schema["properties"]["helpful"]["type"] == "boolean"
    reason = next(s for s in schema["properties"]["reason"]["anyOf"] if s.get("type") != "null")
    assert reason["enum"] == ["wrong", "unclear", "unsafe", "slow", "other"]
    op = doc["paths"]["/api/v1/chat/feedback"]["post"]
    assert {"400", "401", "403", "404", "429"} <= set(op["responses"])
