"""An evaluator of CloudWatch Logs JSON filter patterns (the subset the template uses).

CloudWatch itself is the only other thing that evaluates these patterns, and
neither moto nor cfn-lint does, so without this a typo such as
``$.outcome = "erorr"`` would ship a metric that silently stays at zero. It
lives in the package rather than under tests so that the alarm simulator, the
template's own tests and later staging tooling share one definition, held to
the same standard as the code it checks.

Supported, following the CloudWatch Logs documentation:

- ``{ $.a = "x" }``, ``!=``; string values may use ``*`` as a wildcard;
- numeric comparisons ``= != < <= > >=`` against JSON numbers;
- ``$.a IS TRUE``, ``IS FALSE``, ``IS NULL``, ``$.a NOT EXISTS``;
- ``&&``, ``||`` and parentheses (``&&`` binds tighter);
- selectors ``$.a.b`` and ``$.a[0]``.

Deliberate choices where the documentation is silent: a comparison on a field
that is absent (or of another JSON type) is false, ``!=`` included; a line
that is not a JSON object matches nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_MISSING = object()
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<selector>\$(?:\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\])+)
      | (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
      | (?P<op>&&|\|\||!=|<=|>=|=|<|>|\(|\)|\{|\})
      | (?P<word>[A-Za-z]+)
    )""",
    re.VERBOSE,
)


class PatternError(ValueError):
    """The pattern is outside the supported syntax; the message quotes it."""


@dataclass(frozen=True)
class Comparison:
    path: tuple[str | int, ...]
    op: str
    value: str | float


@dataclass(frozen=True)
class Check:
    """``IS TRUE`` / ``IS FALSE`` / ``IS NULL`` / ``NOT EXISTS``."""

    path: tuple[str | int, ...]
    kind: str


@dataclass(frozen=True)
class BoolOp:
    op: str  # "&&" or "||"
    terms: tuple[Node, ...]


Node = Comparison | Check | BoolOp


@dataclass(frozen=True)
class FilterPattern:
    """A parsed pattern; ``matches`` takes one raw log line."""

    text: str
    root: Node

    def matches(self, line: str) -> bool:
        return self.matches_event(parse_line(line))

    def matches_event(self, event: object) -> bool:
        """Like :meth:`matches` for a line already decoded by :func:`parse_line`."""
        return isinstance(event, dict) and _evaluate(self.root, event)


def compile_pattern(text: str) -> FilterPattern:
    """Parse a JSON filter pattern, raising PatternError that quotes it."""
    tokens = _tokenize(text)
    parser = _Parser(tokens, text)
    parser.expect("{")
    root = parser.expression()
    parser.expect("}")
    if parser.pos != len(tokens):
        raise PatternError(f"unexpected {tokens[parser.pos][1]!r} after the closing brace in pattern {text!r}")
    return FilterPattern(text, root)


def matches(pattern: str, line: str) -> bool:
    """Whether CloudWatch would count ``line`` for ``pattern``."""
    return compile_pattern(pattern).matches(line)


def parse_line(line: str) -> object:
    """A log line decoded as JSON, or None when it is not JSON (it then matches nothing)."""
    try:
        return json.loads(line)
    except ValueError:
        return None


def select_value(line: str | object, selector: str) -> Any:
    """The value ``selector`` (e.g. ``$.latency_ms``) picks from a line or decoded event, or None."""
    event = parse_line(line) if isinstance(line, str) else line
    value = _lookup(event, _parse_path(selector, selector))
    return None if value is _MISSING else value


def _wildcard(pattern: str, value: str) -> bool:
    # Only '*' is special in CloudWatch values (fnmatch would also treat ? and [).
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    stripped_end = len(text.rstrip())
    while pos < stripped_end:
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise PatternError(f"cannot read {text[pos : pos + 20]!r} in pattern {text!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


def _parse_path(selector: str, text: str) -> tuple[str | int, ...]:
    if not selector.startswith("$"):
        raise PatternError(f"selector {selector!r} must start with '$' in pattern {text!r}")
    parts: list[str | int] = []
    for name, index in re.findall(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]", selector):
        parts.append(name if name else int(index))
    return tuple(parts)


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], text: str) -> None:
        self.tokens, self.text, self.pos = tokens, text, 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise PatternError(f"pattern {self.text!r} ends too early")
        self.pos += 1
        return token

    def expect(self, value: str) -> None:
        _, got = self.take()
        if got != value:
            raise PatternError(f"expected {value!r}, got {got!r} in pattern {self.text!r}")

    def expression(self) -> Node:
        terms = [self.conjunction()]
        while self.peek() == ("op", "||"):
            self.take()
            terms.append(self.conjunction())
        return terms[0] if len(terms) == 1 else BoolOp("||", tuple(terms))

    def conjunction(self) -> Node:
        terms = [self.term()]
        while self.peek() == ("op", "&&"):
            self.take()
            terms.append(self.term())
        return terms[0] if len(terms) == 1 else BoolOp("&&", tuple(terms))

    def term(self) -> Node:
        kind, value = self.take()
        if (kind, value) == ("op", "("):
            node = self.expression()
            self.expect(")")
            return node
        if kind != "selector":
            raise PatternError(f"expected a $.selector, got {value!r} in pattern {self.text!r}")
        path = _parse_path(value, self.text)
        kind, word = self.take()
        if kind == "word" and word.upper() == "IS":
            _, what = self.take()
            if what.upper() not in ("TRUE", "FALSE", "NULL"):
                raise PatternError(f"expected TRUE, FALSE or NULL after IS, got {what!r} in pattern {self.text!r}")
            return Check(path, what.upper())
        if kind == "word" and word.upper() == "NOT":
            _, what = self.take()
            if what.upper() != "EXISTS":
                raise PatternError(f"expected EXISTS after NOT, got {what!r} in pattern {self.text!r}")
            return Check(path, "NOT EXISTS")
        if kind != "op" or word not in ("=", "!=", "<", "<=", ">", ">="):
            raise PatternError(f"expected a comparison after {value}, got {word!r} in pattern {self.text!r}")
        vkind, raw = self.take()
        if vkind == "string":
            if word not in ("=", "!="):
                raise PatternError(f"strings compare only with = or !=, got {word!r} in pattern {self.text!r}")
            return Comparison(path, word, json.loads(raw))
        if vkind == "number":
            return Comparison(path, word, float(raw))
        raise PatternError(f"expected a quoted string or a number, got {raw!r} in pattern {self.text!r}")


def _lookup(event: Any, path: tuple[str | int, ...]) -> Any:
    value = event
    for part in path:
        if isinstance(part, int):
            if not isinstance(value, list) or part >= len(value):
                return _MISSING
            value = value[part]
        else:
            if not isinstance(value, dict) or part not in value:
                return _MISSING
            value = value[part]
    return value


def _evaluate(node: Node, event: dict[str, Any]) -> bool:
    if isinstance(node, BoolOp):
        results = (_evaluate(term, event) for term in node.terms)
        return all(results) if node.op == "&&" else any(results)
    value = _lookup(event, node.path)
    if isinstance(node, Check):
        if node.kind == "NOT EXISTS":
            return value is _MISSING
        expected = {"TRUE": True, "FALSE": False, "NULL": None}[node.kind]
        return value is expected
    if value is _MISSING:
        return False
    if isinstance(node.value, str):
        if not isinstance(value, str):
            return False
        equal = _wildcard(node.value, value)
        return equal if node.op == "=" else not equal
    # bool is an int in Python; JSON true must not compare as the number 1.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    target = node.value
    return {
        "=": value == target,
        "!=": value != target,
        "<": value < target,
        "<=": value <= target,
        ">": value > target,
        ">=": value >= target,
    }[node.op]
