"""Reading JSON requests and writing JSON responses, the same way everywhere.

`read_model` enforces the body rules of spec section 1 in one place: a JSON
content type (415), the size limit (413, from aiohttp's `client_max_size`),
valid JSON that is an object (400 `invalid_json`) and the pydantic model
(400 `invalid_request` with a `{"field", "problem"}` per violation).
`json_response` adds the request's `trace_id` to every body.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from babyshield_chat.api.errors import ApiError, invalid_json
from babyshield_chat.api.keys import TRACE_ID


M = TypeVar("M", bound=BaseModel)

_JSON_DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def is_json_content_type(content_type: str) -> bool:
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


def trace_id_of(request: web.Request) -> str:
    return request.get(TRACE_ID, "0" * 32)


def json_response(
    request: web.Request,
    payload: Mapping[str, Any] | BaseModel,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    trace_id = trace_id_of(request)
    if isinstance(payload, BaseModel) and "trace_id" not in type(payload).model_fields:
        # pydantic-core writes the model's JSON in a fifth of the time of a dump to dicts and an
        # encode (the chat reply: about 4 against 20 µs); the trace id goes in as the last key.
        text = payload.model_dump_json()
        text = text[:-1] + ("," if text != "{}" else "") + f'"trace_id":{_JSON_DUMPS(trace_id)}}}'
    else:
        body = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else dict(payload)
        body["trace_id"] = trace_id
        text = _JSON_DUMPS(body)
    return web.Response(
        body=text.encode("utf-8"),
        status=status,
        headers=headers,
        content_type="application/json",
        charset="utf-8",
    )


async def read_json_object(request: web.Request) -> dict[str, Any]:
    if not is_json_content_type(request.content_type):
        raise ApiError(
            415,
            "unsupported_media_type",
            f"The request body must be JSON (Content-Type: application/json), not {request.content_type!r}.",
        )
    raw = await request.read()  # read already by the admission middleware (413 past client_max_size)
    if not raw.strip():
        raise invalid_json("the body is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise invalid_json(f"it is not valid UTF-8 (byte {exc.start})") from None
    try:
        data = json.loads(text, parse_int=_bounded_int)
    except RecursionError:
        raise invalid_json("it is nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise invalid_json(f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except ValueError as exc:  # _bounded_int's refusal
        raise invalid_json(str(exc)) from None
    if not isinstance(data, dict):
        raise invalid_json(f"expected an object, got {type(data).__name__}")
    if _has_lone_surrogate(data):
        # Python's json accepts an escaped "\ud800" alone; it is not text (RFC 8259 section 8.2),
        # and PostgreSQL, the LLM client and the log encoder would each fail on it later.
        raise invalid_json("a string holds a lone UTF-16 surrogate escape, which is not text")
    return data


# No field of the API holds an integer of more digits; thousands of them cost quadratic time to convert
# (Python refuses past 4,300 with a ValueError that used to become a 500).
MAX_INTEGER_DIGITS = 20


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise ValueError(f"an integer has {len(text.lstrip('-'))} digits (at most {MAX_INTEGER_DIGITS})")
    return int(text)


def _has_lone_surrogate(data: Any) -> bool:
    stack = [data]
    while stack:  # bounded: json.loads already refused nesting past the recursion limit
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


async def read_model(request: web.Request, model: type[M]) -> M:
    data = await read_json_object(request)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from None


def validation_error(exc: ValidationError) -> ApiError:
    details = [
        {"field": ".".join(str(part) for part in error["loc"]) or "(body)", "problem": _problem(error["msg"])}
        for error in exc.errors(include_url=False, include_input=False)
    ]
    fields = ", ".join(sorted({d["field"] for d in details}))
    return ApiError(400, "invalid_request", f"The request does not match the schema ({fields}).", details=details)


def _problem(message: str) -> str:
    # pydantic prefixes custom validator messages with "Value error, ".
    return message.removeprefix("Value error, ")
