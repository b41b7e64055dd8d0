"""cloudwatch_patterns.py: JSON filter patterns match as CloudWatch Logs documents."""

from __future__ import annotations

import json

import pytest

from babyshield_chat.devtools.alerting.cloudwatch_patterns import PatternError, compile_pattern, matches, select_value

LINE = json.dumps(
    {
        "event": "chat_request",
        "outcome": "error",
        "status_code": 500,
        "latency_ms": 2900,
        "circuit_open": True,
        "blocked": False,
        "fallback_reason": None,
        "tags": ["a", "b"],
        "http": {"method": "POST"},
    }
)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ('{ $.event = "chat_request" }', True),
        ('{ $.event = "chat_response" }', False),
        ('{ $.outcome != "blocked" }', True),
        ('{ $.outcome != "error" }', False),
        ('{ $.event = "chat_*" }', True),
        ('{ $.event = "*_request" }', True),
        ('{ $.event = "chat?request" }', False),  # only '*' is a wildcard
        ("{ $.latency_ms > 2800 }", True),
        ("{ $.latency_ms >= 2900 }", True),
        ("{ $.latency_ms < 2900 }", False),
        ("{ $.latency_ms <= 2900 }", True),
        ("{ $.status_code = 500 }", True),
        ("{ $.status_code != 500 }", False),
        ("{ $.circuit_open IS TRUE }", True),
        ("{ $.blocked IS FALSE }", True),
        ("{ $.blocked IS TRUE }", False),
        ("{ $.fallback_reason IS NULL }", True),
        ("{ $.trace_id NOT EXISTS }", True),
        ("{ $.outcome NOT EXISTS }", False),
        ('{ $.tags[1] = "b" }', True),
        ('{ $.http.method = "POST" }', True),
    ],
)
def test_single_conditions_match_like_cloudwatch(pattern: str, expected: bool) -> None:
    assert matches(pattern, LINE) is expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ('{ $.event = "chat_request" && $.outcome = "error" }', True),
        ('{ $.event = "chat_request" && $.outcome = "ok" }', False),
        ('{ $.outcome = "ok" || $.outcome = "error" }', True),
        # && binds tighter than ||: false || (true && true)
        ('{ $.outcome = "ok" || $.event = "chat_request" && $.blocked IS FALSE }', True),
        # parentheses regroup: (false || true) && false
        ('{ ($.outcome = "ok" || $.event = "chat_request") && $.blocked IS TRUE }', False),
        ('{ ($.outcome = "ok" || ($.latency_ms > 1000 && $.circuit_open IS TRUE)) }', True),
    ],
)
def test_and_or_and_parentheses_combine_conditions(pattern: str, expected: bool) -> None:
    assert matches(pattern, LINE) is expected


@pytest.mark.parametrize(
    "pattern",
    ['{ $.missing = "x" }', '{ $.missing != "x" }', "{ $.missing > 1 }", "{ $.missing IS FALSE }"],
)
def test_conditions_on_an_absent_field_never_match(pattern: str) -> None:
    assert matches(pattern, LINE) is False


def test_a_number_field_does_not_equal_a_string_and_a_bool_is_not_a_number() -> None:
    assert matches('{ $.status_code = "500" }', LINE) is False
    assert matches("{ $.circuit_open = 1 }", LINE) is False


@pytest.mark.parametrize(
    "line",
    ["GET /healthz 200", '["chat_request"]', "", '{"event": "chat_request"'],
)
def test_lines_that_are_not_json_objects_never_match(line: str) -> None:
    assert matches('{ $.event = "chat_request" }', line) is False


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ('$.event = "chat_request"', "expected '{'"),
        ('{ $.event = "chat_request"', "ends too early"),
        ('{ $.event == "x" }', "expected a quoted string or a number"),
        ('{ $.event > "x" }', "strings compare only with = or !="),
        ("{ $.event IS MAYBE }", "expected TRUE, FALSE or NULL"),
        ('{ event = "x" }', "expected a \\$.selector"),
        ('{ $.a = "x" } extra', "unexpected 'extra' after the closing brace"),
        ('{ $.a = "x" ; }', "cannot read"),
    ],
)
def test_malformed_patterns_are_refused_quoting_the_pattern(pattern: str, message: str) -> None:
    with pytest.raises(PatternError, match=message) as error:
        compile_pattern(pattern)
    assert repr(pattern) in str(error.value)


def test_select_value_reads_a_field_or_none() -> None:
    assert select_value(LINE, "$.latency_ms") == 2900
    assert select_value(LINE, "$.nope") is None
    assert select_value("not json", "$.latency_ms") is None
