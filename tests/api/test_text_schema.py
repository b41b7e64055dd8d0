"""The document's pattern for trimmed text agrees with `str.strip()`."""

import re
import sys

import pytest

from babyshield_chat.api.text_schema import NON_BLANK_WITHOUT_NUL, PYTHON_WHITESPACE, trimmed_text_schema

# JSON Schema's \uXXXX escapes, as Python's re reads them.
PATTERN = re.compile(NON_BLANK_WITHOUT_NUL)


def test_the_whitespace_list_is_exactly_what_str_strip_removes():
    listed = re.compile(f"[{PYTHON_WHITESPACE}]")
    python = {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}
    matched = {chr(c) for c in range(sys.maxunicode + 1) if listed.fullmatch(chr(c))}
    assert matched == python


@pytest.mark.parametrize("text", ["", " ", "\u001c", "\u3000\t\n", "\u0085"])
def test_blank_text_does_not_match(text):
    assert not text.strip() and PATTERN.search(text) is None


@pytest.mark.parametrize("text", ["a", " crib ", "\ufeff", "👶"])
def test_text_with_something_left_after_trimming_matches(text):
    assert text.strip() and PATTERN.search(text)


def test_nul_anywhere_does_not_match():
    assert PATTERN.search("crib\u0000?") is None


def test_the_schema_bounds_the_length():
    assert trimmed_text_schema(500) == {"minLength": 1, "maxLength": 500, "pattern": NON_BLANK_WITHOUT_NUL}
