"""Tests for the helpers the check tools share."""

from __future__ import annotations

import pytest

from babyshield_chat.chat.model import Check, ToolResult
from babyshield_chat.chat.tools.common import (
    CheckOutcome,
    Citation,
    Says,
    build_result,
    join_names,
    localized_detail,
    worst,
)

CFR_1501 = Citation(type="regulation", id="16-cfr-1501", title="16 CFR 1501 small parts")


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["pass", "pass"], "pass"),
        (["pass", "unknown"], "unknown"),
        (["unknown", "warn"], "warn"),
        (["warn", "fail", "pass"], "fail"),
        ([], "unknown"),
    ],
)
def test_worst_never_lets_unknown_read_as_pass(statuses, expected) -> None:
    assert worst(statuses) == expected


def test_build_result_keeps_spanish_details_and_cites_each_rule_once() -> None:
    result = build_result(
        "age_check",
        [CheckOutcome("small_parts", "fail", Says("Not for under 3.", "No apto para menores de 3 años."))],
        {"child_age_months": 14},
        [CFR_1501, CFR_1501],
    )

    assert result.ok and result.name == "age_check"
    assert result.checks == [Check(name="small_parts", status="fail", detail="Not for under 3.")]
    assert [e.id for e in result.evidence] == ["16-cfr-1501"]
    assert result.facts == {"child_age_months": 14, "detail_es": {"small_parts": "No apto para menores de 3 años."}}


def test_localized_detail_falls_back_to_english_for_tools_without_translations() -> None:
    check = Check(name="recall", status="pass", detail="No recall found.")
    result = ToolResult(name="recall_lookup", ok=True, checks=[check])

    assert localized_detail(check, result, "es") == "No recall found."


@pytest.mark.parametrize(
    ("names", "language", "joined"),
    [
        ([], "en", ""),
        (["milk"], "en", "milk"),
        (["milk", "soy"], "en", "milk and soy"),
        (["a", "b", "c"], "es", "a, b y c"),
    ],
)
def test_join_names_reads_like_a_sentence(names, language, joined) -> None:
    assert join_names(names, language) == joined
