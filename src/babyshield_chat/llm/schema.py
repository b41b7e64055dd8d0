"""Strict JSON schemas for structured output, derived from pydantic models.

The LLM is asked for ``response_format={"type": "json_schema", "json_schema":
{"name": ..., "strict": true, "schema": ...}}``. Strict mode accepts a subset
of JSON Schema: every object lists all its properties as required and sets
``additionalProperties: false``; optional fields are expressed as nullable
(``anyOf`` with ``null``), not as missing; keywords such as ``default`` are
rejected. pydantic's schemas break each of those rules, so this module
rewrites them rather than keeping a hand-written copy that would drift from
``chat.model``.

The provider still gets things wrong sometimes, so the reply is validated
with the pydantic model afterwards; the schema is guidance, not the check.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping
from typing import Any

from pydantic import BaseModel

__all__ = ["response_format", "strict_json_schema", "to_strict"]

# Keywords strict mode rejects or that only cost tokens. Dropping them loses
# nothing: pydantic re-validates the reply against the full model.
_DROPPED_KEYWORDS = frozenset({"title", "default", "examples", "discriminator", "minLength", "maxLength"})

_DEFS_PREFIX = "#/$defs/"


def strict_json_schema(model: type[BaseModel], *, omit: Collection[str] = ()) -> dict[str, Any]:
    """The strict schema of `model`, without the top-level fields in `omit`."""
    return to_strict(model.model_json_schema(), omit=omit)


def response_format(name: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    """The ``response_format`` argument of a strict structured-output request."""
    return {"type": "json_schema", "json_schema": {"name": name, "strict": True, "schema": dict(schema)}}


def to_strict(schema: Mapping[str, Any], *, omit: Collection[str] = ()) -> dict[str, Any]:
    """Rewrite a JSON schema (as pydantic emits it) to strict structured-output rules.

    Raises ValueError naming the offending path when a part of the schema
    cannot be made strict (an object with free-form keys, say), and when a
    name in `omit` is not a top-level property.
    """
    root = copy.deepcopy(dict(schema))
    if root.get("type") != "object" or not isinstance(root.get("properties"), dict):
        raise ValueError(
            f"a strict schema must have an object with properties at its root, got type {root.get('type')!r}"
        )
    for name in omit:
        if name not in root["properties"]:
            raise ValueError(f"cannot omit {name!r}: not a property of the schema (has {sorted(root['properties'])})")
        del root["properties"][name]

    defs = root.pop("$defs", {})
    strict: dict[str, Any] = _rewrite(root, "#")
    used = _referenced_defs(strict, defs)
    if used:
        strict["$defs"] = {name: _rewrite(defs[name], _DEFS_PREFIX + name) for name in sorted(used)}
    return strict


def _rewrite(node: Any, path: str) -> Any:
    if not isinstance(node, dict):
        return node
    node = {key: value for key, value in node.items() if key not in _DROPPED_KEYWORDS}

    # pydantic wraps a lone $ref in allOf when it carries siblings; strict
    # mode wants the plain form.
    all_of = node.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1:
        del node["allOf"]
        node = {**all_of[0], **node}
    if "oneOf" in node:  # strict mode has no oneOf; for disjoint branches anyOf means the same
        node["anyOf"] = node.pop("oneOf")
    if "const" in node:  # a one-value Literal; enum is the form every provider accepts
        node["enum"] = [node.pop("const")]

    if node.get("type") == "object" or "properties" in node:
        properties = node.get("properties")
        extra = node.get("additionalProperties")
        if not properties or extra not in (None, False) or "patternProperties" in node:
            raise ValueError(f"strict mode cannot express an object with free-form keys at {path}")
        node["properties"] = {name: _rewrite(sub, f"{path}/properties/{name}") for name, sub in properties.items()}
        node["required"] = list(node["properties"])
        node["additionalProperties"] = False
    if "items" in node:
        node["items"] = _rewrite(node["items"], f"{path}/items")
    if "prefixItems" in node:
        node["prefixItems"] = [_rewrite(sub, f"{path}/prefixItems/{i}") for i, sub in enumerate(node["prefixItems"])]
    if "anyOf" in node:
        node["anyOf"] = [_rewrite(sub, f"{path}/anyOf/{i}") for i, sub in enumerate(node["anyOf"])]
    return node


def _referenced_defs(node: Any, defs: Mapping[str, Any]) -> set[str]:
    """Names of the $defs reachable from `node`, following refs inside defs too."""
    found: set[str] = set()
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str):
                if not ref.startswith(_DEFS_PREFIX) or ref[len(_DEFS_PREFIX) :] not in defs:
                    raise ValueError(f"schema refers to {ref!r}, which it does not define")
                name = ref[len(_DEFS_PREFIX) :]
                if name not in found:
                    found.add(name)
                    pending.append(defs[name])
            pending.extend(current.values())
        elif isinstance(current, list):
            pending.extend(current)
    return found
