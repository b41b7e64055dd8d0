"""`GET /api/v1/openapi.json`: an OpenAPI 3.1 document generated from the route table.

Schemas come from the same pydantic models that validate requests; pydantic
v2 emits JSON Schema 2020-12, which OpenAPI 3.1 uses as is.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from aiohttp import web
from pydantic.json_schema import models_json_schema

from babyshield_chat import __version__
from babyshield_chat.api.models import ErrorResponse
import json
from babyshield_chat.api.routes import Route

_STATUS_TEXT = {
    400: "Invalid JSON or a request that does not match the schema.",
    401: "Missing or invalid credentials.",
    403: "Chat is disabled for this user, or admin credentials are missing.",
    404: "Not found (or not the caller's).",
    405: "Method not allowed.",
    408: "The request did not arrive within BS_CLIENT_READ_TIMEOUT_SEC.",
    413: "Body larger than BS_MAX_BODY_BYTES.",
    409: "A conflict: the same client_message_id is still being answered (see Retry-After), or the flag changed "
         "while the rollout guard decided, or there is nothing to roll back; the message says which.",
    415: "Body is not JSON.",
    429: "Per-user rate limit, or too many of the user's requests in flight; see Retry-After.",
    500: "A bug; the body carries the trace id.",
    503: "Overloaded or draining; see Retry-After.",
}


# Every path parameter of the route table, as its handler parses it.
_PATH_PARAMETERS: dict[str, dict[str, Any]] = {
    "id": {"description": "The conversation's id.", "schema": {"type": "string", "format": "uuid"}},
}


def _path_parameters(path: str) -> list[dict[str, Any]]:
    names = re.findall(r"{(\w+)}", path)
    return [{"name": name, "in": "path", "required": True, **_PATH_PARAMETERS[name]} for name in names]


def build_document(routes: tuple[Route, ...]) -> dict[str, Any]:
    models = {ErrorResponse}
    for route in routes:
        models.update(m for m in (route.request, route.response) if m is not None)
    ordered = sorted(models, key=lambda m: m.__name__)
    refs, schema = models_json_schema(
        [(m, "validation") for m in ordered], ref_template="#/components/schemas/{model}"
    )

    def ref(model: type) -> dict[str, str]:
        return refs[(model, "validation")]

    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        operation: dict[str, Any] = {
            "summary": route.summary,
            "operationId": route.handler.__name__,
            "tags": [route.tag],
            "responses": {},
        }
        parameters = _path_parameters(route.path) + [
            {"name": name, "in": "query", "required": False, "description": text, "schema": schema}
            for name, text, schema in route.query
        ]
        if parameters:
            operation["parameters"] = parameters
        if route.auth in ("required", "admin"):
            operation["security"] = [{"bearerAuth": []}]
        elif route.auth == "optional":
            operation["security"] = [{}, {"bearerAuth": []}]
        if route.request is not None:
            operation["requestBody"] = {
                "required": route.body_required,
                "content": {"application/json": {"schema": ref(route.request)}},
            }
        ok: dict[str, Any] = {"description": "Success."}
        if route.response is not None:
            ok["content"] = {route.content_type: {"schema": ref(route.response)}}
        operation["responses"]["200"] = ok
        for status in sorted({*route.errors, 500}):
            operation["responses"][str(status)] = {
                "description": _STATUS_TEXT.get(status, "Error."),
                "content": {"application/json": {"schema": ref(ErrorResponse)}},
            }
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "BabyShield Chat", "version": __version__,
                 "description": "The service behind BabyShield's 'ask about this product' chat."},
        "paths": paths,
        "components": {
            "schemas": schema.get("$defs", {}),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


def openapi_handler(routes: tuple[Route, ...]):
    # The document is a contract, not a response about a request: no trace_id in it.
    body = functools.cache(lambda: json.dumps(build_document(routes)).encode("utf-8"))

    async def get_openapi(request: web.Request) -> web.Response:
        return web.Response(body=body(), content_type="application/json")

    return get_openapi
