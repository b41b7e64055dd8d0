"""Behaviour of the strict structured-output schema transformer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field

from babyshield_chat.chat.model import Answer
from babyshield_chat.llm.schema import response_format, strict_json_schema, to_strict


def objects_in(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if node.get("type") == "object":
            yield node
        for value in node.values():
            yield from objects_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from objects_in(value)


def keywords_in(node: Any) -> set[str]:
    """Schema keywords used anywhere, not counting property or definition names."""
    if isinstance(node, list):
        return {key for value in node for key in keywords_in(value)}
    if not isinstance(node, dict):
        return set()
    found = set(node)
    for key, value in node.items():
        children = value.values() if key in ("properties", "$defs") else [value]
        found |= {keyword for child in children for keyword in keywords_in(child)}
    return found


def test_every_object_requires_all_its_properties_and_forbids_others() -> None:
    schema = strict_json_schema(Answer)
    objects = list(objects_in(schema))
    # The answer itself plus Check, Evidence and Emergency.
    assert len(objects) == 4
    for obj in objects:
        assert obj["additionalProperties"] is False
        assert obj["required"] == list(obj["properties"])


def test_optional_fields_become_required_but_nullable() -> None:
    evidence = strict_json_schema(Answer)["$defs"]["Evidence"]
    assert "url" in evidence["required"]
    assert {"type": "null"} in evidence["properties"]["url"]["anyOf"]


def test_keywords_strict_mode_rejects_are_removed() -> None:
    keywords = keywords_in(strict_json_schema(Answer))
    assert not {"default", "title"} & keywords
    # ... while a property that happens to be called "title" stays.
    assert "title" in strict_json_schema(Answer)["$defs"]["Evidence"]["properties"]


def test_omitted_fields_and_the_definitions_only_they_used_are_gone() -> None:
    schema = strict_json_schema(Answer, omit=("checks", "emergency"))
    assert "checks" not in schema["properties"] and "emergency" not in schema["properties"]
    assert "checks" not in schema["required"]
    assert set(schema["$defs"]) == {"Evidence"}


def test_omitting_an_unknown_field_is_rejected_naming_it() -> None:
    with pytest.raises(ValueError, match="'verdict'"):
        strict_json_schema(Answer, omit=("verdict",))


def test_free_form_objects_are_rejected_naming_their_path() -> None:
    class WithFacts(BaseModel):
        facts: dict[str, Any]

    with pytest.raises(ValueError, match="#/properties/facts"):
        strict_json_schema(WithFacts)


def test_a_non_object_root_is_rejected() -> None:
    with pytest.raises(ValueError, match="'array'"):
        to_strict({"type": "array", "items": {"type": "string"}})


def test_a_dangling_reference_is_rejected_naming_it() -> None:
    schema = {"type": "object", "properties": {"x": {"$ref": "#/$defs/Missing"}}}
    with pytest.raises(ValueError, match="#/\\$defs/Missing"):
        to_strict(schema)


def test_enums_and_numeric_bounds_survive() -> None:
    class Intent(BaseModel):
        intent: Literal["recall_details", "unclear_intent"]
        confidence: float = Field(ge=0, le=1)

    schema = strict_json_schema(Intent)
    assert schema["properties"]["intent"]["enum"] == ["recall_details", "unclear_intent"]
    assert schema["properties"]["confidence"] == {"type": "number", "minimum": 0, "maximum": 1}
    assert schema["required"] == ["intent", "confidence"]


def test_single_value_literal_becomes_a_one_value_enum() -> None:
    class Fixed(BaseModel):
        kind: Literal["answer"]

    assert strict_json_schema(Fixed)["properties"]["kind"] == {"enum": ["answer"], "type": "string"}


def test_one_of_becomes_any_of_and_single_all_of_is_unwrapped() -> None:
    schema = to_strict(
        {
            "type": "object",
            "properties": {
                "a": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
                "b": {"allOf": [{"type": "string"}], "description": "kept"},
            },
        }
    )
    assert schema["properties"]["a"] == {"anyOf": [{"type": "string"}, {"type": "integer"}]}
    assert schema["properties"]["b"] == {"type": "string", "description": "kept"}


def test_the_input_schema_is_not_modified() -> None:
    original = Answer.model_json_schema()
    before = repr(original)
    to_strict(original, omit=("checks",))
    assert repr(original) == before


def test_response_format_asks_for_strict_json_schema_output() -> None:
    schema = strict_json_schema(Answer)
    assert response_format("answer", schema) == {
        "type": "json_schema",
        "json_schema": {"name": "answer", "strict": True, "schema": schema},
    }
