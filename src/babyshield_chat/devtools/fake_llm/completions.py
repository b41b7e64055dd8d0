"""How the fake LLM writes its replies: schema-valid JSON built from the request.

The fake (see :mod:`babyshield_chat.devtools.fake_llm.server`) has no model. It reads
the request the way a well-behaved model would: the data fenced in the user
message (:func:`babyshield_chat.llm.prompt.unfence`) and the strict JSON
schema in ``response_format``. It then fills the schema from the data, so the
reply always matches whatever schema was asked for, and an answer cites only
evidence present in the input, unless told to invent some. An answer's words
come from the ranked findings of the prompt (`writing`): grounded, or, for
the ``contradict`` fault, against them.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from typing import Any

from babyshield_chat.devtools.fake_llm.writing import contradicting_summary, grounded_texts
from babyshield_chat.llm.prompt import unfence
from babyshield_chat.vocabulary import RuleIntent

__all__ = [
    "INVENTED_RECALL_ID",
    "completion_body",
    "estimate_tokens",
    "prompt_tokens",
    "reply_content",
]

#: The id the `invent_evidence` fault cites; no tool ever returns it.
INVENTED_RECALL_ID = "FAKE-INVENTED-RECALL-0000"

_INVENTED_EVIDENCE = {
    "type": "recall",
    "id": INVENTED_RECALL_ID,
    "title": "A recall that exists nowhere",
    "url": "https://recalls.example.invalid/0000",
    "date": "2020-01-01",
}

# Words that point at an intent, checked in order, for the classifier schema.
_INTENT_WORDS: tuple[tuple[RuleIntent, tuple[str, ...]], ...] = (
    ("recall_details", ("recall",)),
    ("pregnancy_risk", ("pregnan", "breastfeed")),
    ("allergy_question", ("allerg",)),
    ("ingredient_info", ("ingredient", "contain")),
    ("age_appropriateness", ("month", "age", "old")),
    ("alternative_products", ("alternative", "instead", "safer")),
)

# What a JSON value of each schema type looks like once parsed.
_PYTHON_TYPES: Mapping[str, type | tuple[type, ...]] = {
    "object": Mapping,
    "array": list,
    "string": str,
    "boolean": bool,
    "number": (int, float),
    "integer": int,
}

_DISCLAIMER = "General product-safety information from public records, not medical advice."


def estimate_tokens(text: str) -> int:
    """About four characters a token, as providers' English text averages."""
    return max(1, math.ceil(len(text) / 4))


def reply_content(request: Mapping[str, Any], *, invent_evidence: bool = False, contradict: bool = False) -> str:
    """The assistant message content answering a chat-completions request.

    An answer is written from the findings of the prompt (`writing`), or,
    with `contradict`, says the opposite of them.
    """
    data = _request_data(request)
    schema = _requested_schema(request)
    context = _context(data, invent_evidence=invent_evidence, contradict=contradict)
    if schema is None:
        return str(context["summary"])
    return json.dumps(_instance(schema, context, schema.get("$defs", {})), ensure_ascii=False)


def completion_body(model: str, content: str, *, prompt_tokens: int, sequence: int) -> dict[str, Any]:
    """An OpenAI chat-completion object carrying `content`, with a usage block."""
    completion_tokens = estimate_tokens(content)
    return {
        "id": f"chatcmpl-fake-{sequence}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def prompt_tokens(request: Mapping[str, Any]) -> int:
    return sum(estimate_tokens(str(message.get("content", ""))) for message in _messages(request))


def _messages(request: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    messages = request.get("messages")
    return [m for m in messages if isinstance(m, Mapping)] if isinstance(messages, list) else []


def _request_data(request: Mapping[str, Any]) -> dict[str, Any]:
    for message in reversed(_messages(request)):
        content = message.get("content")
        if message.get("role") == "user" and isinstance(content, str):
            data = unfence(content)
            if isinstance(data, dict):
                return data
    return {}


def _requested_schema(request: Mapping[str, Any]) -> dict[str, Any] | None:
    response_format = request.get("response_format")
    if not isinstance(response_format, Mapping) or response_format.get("type") != "json_schema":
        return None
    schema = (response_format.get("json_schema") or {}).get("schema")
    return schema if isinstance(schema, dict) else None


def _context(data: Mapping[str, Any], *, invent_evidence: bool, contradict: bool = False) -> dict[str, Any]:
    """Values for the schema's top-level fields, from the request's data."""
    results = [r for r in data.get("tool_results") or [] if isinstance(r, Mapping)]
    checks = [c for r in results for c in r.get("checks") or [] if isinstance(c, Mapping)]
    evidence = [e for r in results for e in r.get("evidence") or [] if isinstance(e, Mapping)]
    if invent_evidence:
        evidence.append(dict(_INVENTED_EVIDENCE))
    failed = [str(r.get("name")) for r in results if not r.get("ok")]

    if checks:
        summary = "From the checks: " + "; ".join(f"{c.get('name')} is {c.get('status')}" for c in checks) + "."
    else:
        summary = "I have no product facts to answer from."
    if failed:
        summary += " Could not check: " + ", ".join(failed) + "."
    context = {
        "summary": summary,
        "reasons": [str(c.get("detail", "")) for c in checks],
        "checks": checks,
        "flags": [],
        "evidence": evidence,
        "suggested_questions": ["Are there safer alternatives to this product?"],
        "disclaimer": _DISCLAIMER,
        "emergency": None,
        "intent": _guess_intent(str(data.get("question", ""))),
        "confidence": 0.9,
    }
    context.update(grounded_texts(data) or {})
    if contradict:
        context["summary"] = contradicting_summary(data)
    return context


def _guess_intent(question: str) -> str:
    lowered = question.lower()
    for intent, words in _INTENT_WORDS:
        if any(word in lowered for word in words):
            return intent
    return "unclear_intent"


def _instance(schema: Mapping[str, Any], value: Any, defs: Mapping[str, Any]) -> Any:
    """A value valid for `schema`, taken from `value` where `value` fits."""
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return _instance(defs[ref.removeprefix("#/$defs/")], value, defs)
    if "anyOf" in schema:
        branches = schema["anyOf"]
        nullable = any(b.get("type") == "null" for b in branches)
        if value is None and nullable:
            return None
        concrete = [b for b in branches if b.get("type") != "null"]
        fitting = [b for b in concrete if _fits(b, value, defs)]
        return _instance((fitting or concrete or branches)[0], value, defs)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return value if value in schema["enum"] else schema["enum"][0]

    kind = schema.get("type")
    if kind == "object":
        given = value if isinstance(value, Mapping) else {}
        return {name: _instance(sub, given.get(name), defs) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        items = value if isinstance(value, list) else []
        return [_instance(schema.get("items", {}), item, defs) for item in items]
    if kind == "string":
        return value if isinstance(value, str) else ""
    if kind in ("number", "integer"):
        number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0
        number = max(schema.get("minimum", number), min(schema.get("maximum", number), number))
        return int(number) if kind == "integer" else number
    if kind == "boolean":
        return value if isinstance(value, bool) else False
    return None


def _fits(schema: Mapping[str, Any], value: Any, defs: Mapping[str, Any]) -> bool:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        schema = defs[ref.removeprefix("#/$defs/")]
    python_type = _PYTHON_TYPES.get(schema.get("type", ""))
    return python_type is not None and isinstance(value, python_type)
