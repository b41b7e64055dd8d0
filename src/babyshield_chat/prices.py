"""What LLM calls cost, and the guard that stops spending at the daily cap.

Spec section 4 (cost): tokens and estimated USD are counted per model from a
price table in config, and a daily spend cap (`BS_LLM_DAILY_BUDGET_USD`),
shared by all instances through PostgreSQL, switches synthesis to the
fallback writer with reason `spend_cap` once reached.

This module holds the price table (defaults below, overridable with the JSON
of `BS_LLM_PRICES_JSON` through :func:`parse_price_table`), the cost
estimate, and the :class:`SpendGuard` contract. The shared PostgreSQL guard
lives with the database code (`db/spend.py`). `config` parses the table, so
this module sits at the bottom of the layers with it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

__all__ = [
    "DEFAULT_PRICE_TABLE",
    "WILDCARD",
    "ModelPrice",
    "PriceTable",
    "SpendGuard",
    "parse_price_table",
]

#: Price-table key that prices any model not listed.
WILDCARD = "*"

_TOKENS_PER_PRICE_UNIT = 1_000_000


@dataclass(frozen=True)
class ModelPrice:
    """List price in USD per million tokens."""

    input_usd_per_mtok: float
    output_usd_per_mtok: float

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (
            input_tokens * self.input_usd_per_mtok + output_tokens * self.output_usd_per_mtok
        ) / _TOKENS_PER_PRICE_UNIT


@dataclass(frozen=True)
class PriceTable:
    """Prices by model name.

    A model is priced by its exact name, else by the longest listed name it
    extends with a dash (providers answer with dated snapshots such as
    ``gpt-4o-mini-2024-07-18``), else by the ``"*"`` entry, else at zero.
    """

    prices: Mapping[str, ModelPrice] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "prices", MappingProxyType(dict(self.prices)))

    def price_for(self, model: str) -> ModelPrice | None:
        if model in self.prices:
            return self.prices[model]
        family = [name for name in self.prices if model.startswith(name + "-")]
        if family:
            return self.prices[max(family, key=len)]
        return self.prices.get(WILDCARD)

    def estimate_cost(self, model: str, input_tokens: int, output_tokens: int) -> float:
        price = self.price_for(model)
        return price.cost(input_tokens, output_tokens) if price is not None else 0.0


# List prices at the time of writing; operators override them with
# BS_LLM_PRICES_JSON when the provider changes its prices.
DEFAULT_PRICE_TABLE = PriceTable(
    {
        "gpt-4o-mini": ModelPrice(0.15, 0.60),
        "gpt-4o": ModelPrice(2.50, 10.00),
        "gpt-4.1": ModelPrice(2.00, 8.00),
        "gpt-4.1-mini": ModelPrice(0.40, 1.60),
        "gpt-4.1-nano": ModelPrice(0.10, 0.40),
        "o4-mini": ModelPrice(1.10, 4.40),
        # An unlisted model is priced like the dearest listed one: the spend
        # cap should trip early rather than late.
        WILDCARD: ModelPrice(2.50, 10.00),
    }
)


def parse_price_table(text: str, *, base: PriceTable = DEFAULT_PRICE_TABLE) -> PriceTable:
    """Parse ``{"model": {"input": usd_per_mtok, "output": usd_per_mtok}, ...}``.

    Entries replace or extend those of `base` (so an override lists only the
    models it changes). Raises ValueError naming the bad entry and value.
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"price table is not valid JSON ({exc.msg}): {_shorten(text)!r}") from None
    if not isinstance(document, dict):
        raise ValueError(f"price table must be a JSON object of models, got {_shorten(text)!r}")
    prices = dict(base.prices)
    for model, entry in document.items():
        if not model.strip():
            raise ValueError(f"price table has an empty model name: {model!r}")
        if not isinstance(entry, dict) or set(entry) != {"input", "output"}:
            raise ValueError(
                f"price of model {model!r} must be an object with exactly 'input' and 'output', got {entry!r}"
            )
        prices[model] = ModelPrice(
            input_usd_per_mtok=_price(model, "input", entry["input"]),
            output_usd_per_mtok=_price(model, "output", entry["output"]),
        )
    return PriceTable(prices)


def _price(model: str, key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(
            f"price {key!r} of model {model!r} must be a non-negative number of USD per 1M tokens, got {value!r}"
        )
    return float(value)


def _shorten(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


class SpendGuard(Protocol):
    """The daily spend cap, consulted before every LLM call.

    An unreachable store must not make these raise: implementations decide
    from the last total they knew, so a database outage does not turn into
    failed chat requests.
    """

    async def allow(self) -> bool:
        """Whether today's spend is still under the cap."""
        ...

    async def add(self, usd: float) -> None:
        """Record the estimated cost of a call that was made."""
        ...
