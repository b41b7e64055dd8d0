"""JSON Schema patterns for trimmed free text, stated so every regex dialect reads them alike.

The request models trim free text with `str.strip()` and refuse what is left
blank or holds a NUL. The OpenAPI document must say the same, but `\\s`
means different characters in Python and in ECMA-262 (the dialect of JSON
Schema): Python counts U+001C..U+001F and U+0085 as whitespace, ECMA-262
counts U+FEFF. So the patterns spell out Python's whitespace characters one
by one, and a test checks the list against `str.isspace()`.
"""

from __future__ import annotations

# Every character for which str.isspace() is true, as JSON Schema escapes.
PYTHON_WHITESPACE = (
    r"\t\n\u000b\f\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
)

# At least one character that is neither whitespace nor NUL, and no NUL anywhere.
NON_BLANK_WITHOUT_NUL = rf"^[^\u0000]*[^\u0000{PYTHON_WHITESPACE}][^\u0000]*$"


def trimmed_text_schema(max_chars: int) -> dict[str, object]:
    """The document's view of a field that `strip()`s, must not be blank, and holds at most `max_chars`.

    The document is the stricter of the two: it counts the whitespace the
    service trims before measuring.
    """
    return {"minLength": 1, "maxLength": max_chars, "pattern": NON_BLANK_WITHOUT_NUL}
