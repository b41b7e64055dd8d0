"""Behaviour of the price table and its cost estimates."""

from __future__ import annotations


import pytest

from babyshield_chat.prices import (
    DEFAULT_PRICE_TABLE,
    ModelPrice,
    PriceTable,
    parse_price_table,
)


def test_cost_is_priced_per_million_tokens_in_each_direction() -> None:
    # gpt-4o-mini: 0.15 USD per 1M input, 0.60 USD per 1M output tokens.
    assert DEFAULT_PRICE_TABLE.estimate_cost("gpt-4o-mini", 1_000_000, 0) == pytest.approx(0.15)
    assert DEFAULT_PRICE_TABLE.estimate_cost("gpt-4o-mini", 0, 1_000_000) == pytest.approx(0.60)
    assert DEFAULT_PRICE_TABLE.estimate_cost("gpt-4o-mini", 2_000, 500) == pytest.approx(0.0006)


def test_dated_snapshot_is_priced_as_its_model_family() -> None:
    assert DEFAULT_PRICE_TABLE.price_for("gpt-4o-mini-2024-07-18") == DEFAULT_PRICE_TABLE.price_for("gpt-4o-mini")
    # Longest family wins: gpt-4o-mini-... is not priced as gpt-4o.
    assert DEFAULT_PRICE_TABLE.price_for("gpt-4.1-mini-2025-04-14") == ModelPrice(0.40, 1.60)


def test_unlisted_model_is_priced_by_the_wildcard_entry() -> None:
    assert DEFAULT_PRICE_TABLE.estimate_cost("some-new-model", 1_000_000, 0) == pytest.approx(2.50)


def test_unlisted_model_without_wildcard_costs_nothing() -> None:
    table = PriceTable({"local": ModelPrice(1.0, 1.0)})
    assert table.estimate_cost("other", 1_000, 1_000) == 0.0


def test_a_model_name_that_merely_starts_like_a_listed_one_is_not_in_its_family() -> None:
    table = PriceTable({"gpt-4o": ModelPrice(2.5, 10.0)})
    assert table.price_for("gpt-4omega") is None


def test_price_table_override_replaces_and_extends_the_defaults() -> None:
    table = parse_price_table('{"gpt-4o-mini": {"input": 1, "output": 2}, "my-model": {"input": 0.5, "output": 0.5}}')
    assert table.price_for("gpt-4o-mini") == ModelPrice(1.0, 2.0)
    assert table.price_for("my-model") == ModelPrice(0.5, 0.5)
    assert table.price_for("gpt-4o") == DEFAULT_PRICE_TABLE.price_for("gpt-4o")


def test_price_table_cannot_be_mutated_after_parsing() -> None:
    table = parse_price_table("{}")
    with pytest.raises(TypeError):
        table.prices["gpt-4o"] = ModelPrice(0, 0)  # type: ignore[index]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("{not json", "{not json"),
        ("[1, 2]", "[1, 2]"),
        ('{"gpt-4o": 3}', "'gpt-4o'"),
        ('{"gpt-4o": {"input": 1}}', "{'input': 1}"),
        ('{"gpt-4o": {"input": 1, "output": 2, "cached": 0.5}}', "'cached'"),
        ('{"gpt-4o": {"input": -1, "output": 2}}', "got -1"),
        ('{"gpt-4o": {"input": "cheap", "output": 2}}', "got 'cheap'"),
        ('{"gpt-4o": {"input": true, "output": 2}}', "got True"),
        ('{" ": {"input": 1, "output": 2}}', "' '"),
    ],
)
def test_malformed_price_table_is_rejected_naming_the_bad_value(text: str, named: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_price_table(text)
    assert named in str(caught.value)
