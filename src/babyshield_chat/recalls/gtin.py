"""UPC, EAN and GTIN codes: validate, key and list the spellings to search for.

A barcode reaches the service in many spellings: a 12-digit UPC-A from the
app's scanner, a 13-digit EAN from an imported product, a 14-digit GTIN from a
case label, and in recall data written by hand "0 7789028735 4",
"10005650, 10006051" or an 11-digit UPC whose leading zero was lost.

GS1 defines every GTIN as right-aligned in 14 digits, so left-padding with
zeros is the one canonical form: `Gtin.key`. Storing and querying that key
makes a UPC-A match the same product's EAN-13 or GTIN-14 with one exact
comparison. `Gtin.candidates` lists the other spellings for stores that kept
the codes as given.

A code whose check digit is wrong is still a code: old CPSC records carry
typos, and a typo in the recall record is reproduced on the label it was
copied from often enough that refusing to search for it would hide recalls.
Such codes are kept, searchable as given, and flagged with `problem`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Length of the canonical key: GTIN-14.
DEFAULT_KEY_LENGTH = 14

#: Lengths GS1 defines (GTIN-8, UPC-A/GTIN-12, EAN-13, GTIN-14).
GTIN_LENGTHS: frozenset[int] = frozenset({8, 12, 13, 14})

#: Shortest and longest digit strings accepted as a code at all; the same
#: bounds as the `upc` field of the request (spec section 1).
MIN_DIGITS = 8
MAX_DIGITS = 14

# A run of digit groups joined by single spaces or hyphens ("0 31193-00701 9"),
# standing alone (not part of a lot code such as "674891L" or "2PK").
_DIGIT_RUN = re.compile(r"(?<![\w])\d+(?:[ \-]\d+)*(?![\w])")
# Separators that always divide two codes, never the parts of one.
_HARD_SEPARATORS = re.compile(r"[,;/|]|\s{2,}|\n")
_NON_DIGITS = re.compile(r"\D")


class GtinError(ValueError):
    """The text cannot be a product code at all (no digits, wrong length)."""


def check_digit(body: str) -> int:
    """The GS1 check digit for `body` (all digits but the last).

    Weights 3 and 1 alternate from the rightmost digit of the body, so
    left-padding with zeros never changes the result: one function serves
    GTIN-8, -12, -13 and -14.
    """
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


@dataclass(frozen=True)
class Gtin:
    """One product code, as given and in its canonical GTIN-14 key."""

    given: str
    key: str
    check_digit_ok: bool
    problem: str | None = None

    @property
    def valid(self) -> bool:
        """A GS1 length with a correct check digit."""
        return self.problem is None

    @property
    def upc_a(self) -> str | None:
        """The 12-digit UPC-A when the key is a zero-padded UPC-A."""
        # Six leading zeros mark a padded GTIN-8: GS1 reserves that prefix,
        # so it is never a UPC-A.
        if self.key.startswith("00") and not self.key.startswith("000000"):
            return self.key[2:]
        return None

    @property
    def ean13(self) -> str | None:
        """The 13-digit EAN when the key has one leading zero of padding."""
        if self.key.startswith("0") and not self.key.startswith("000000"):
            return self.key[1:]
        return None

    @property
    def ean8(self) -> str | None:
        """The 8-digit GTIN-8 when the key is a zero-padded GTIN-8."""
        return self.key[6:] if self.key.startswith("000000") else None

    @property
    def candidates(self) -> tuple[str, ...]:
        """Every spelling to search for, canonical key first, no repeats."""
        forms = (self.key, self.upc_a, self.ean13, self.ean8, self.given)
        return tuple(dict.fromkeys(f for f in forms if f))

    @property
    def display(self) -> str:
        """The spelling a parent sees on the package: UPC-A where it is one."""
        return self.upc_a or self.ean13 or self.ean8 or self.key


def parse_gtin(raw: str) -> Gtin:
    """Parse one code; separators (spaces, hyphens) are ignored.

    Raises `GtinError` when the text has no digits, letters inside, or a
    length outside 8..14 digits. A wrong check digit or an unusual length
    inside that range is not an error: the code is returned with `problem`.
    """
    text = raw.strip()
    if re.search(r"[^\d \-]", text):
        raise GtinError(f"product code {raw!r} has characters other than digits, spaces and hyphens")
    digits = _NON_DIGITS.sub("", text)
    if not digits:
        raise GtinError(f"product code {raw!r} has no digits")
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        raise GtinError(
            f"product code {raw!r} has {len(digits)} digits; a UPC/EAN/GTIN has {MIN_DIGITS} to {MAX_DIGITS}"
        )
    if set(digits) == {"0"}:
        raise GtinError(f"product code {raw!r} is all zeros")

    key = digits.zfill(DEFAULT_KEY_LENGTH)
    check_ok = check_digit(key[:-1]) == int(key[-1])
    problem: str | None = None
    if len(digits) == 11:
        # A UPC-A with its leading zero dropped (spreadsheets eat it); the
        # padded key is that UPC-A, so only the check digit can still be wrong.
        if not check_ok:
            problem = f"{digits} has 11 digits and, read as a UPC-A missing its leading zero, a wrong check digit"
    elif len(digits) not in GTIN_LENGTHS:
        problem = f"{digits} has {len(digits)} digits, not a GTIN length (8, 12, 13 or 14); searched as given"
    elif not check_ok:
        problem = f"{digits} has a wrong check digit (expected {check_digit(key[:-1])}); searched as given"
    return Gtin(given=digits, key=key, check_digit_ok=check_ok, problem=problem)


def extract_codes(text: str) -> list[str]:
    """Split a free-text field into the codes it holds, in order.

    Commas, semicolons, slashes, bars, line breaks and runs of two or more
    spaces always separate codes. Within one run of digit groups joined by
    single spaces or hyphens, groups that each look like a whole code
    ("817980011137 817980011144") are separate codes, while groups that only
    add up to one ("0 7789028735 4", "8 50044 96800 8") are one printed code.
    Runs too short to be a code ("EXP 03/2027") are left out.
    """
    codes: list[str] = []
    for chunk in _HARD_SEPARATORS.split(text):
        for match in _DIGIT_RUN.finditer(chunk):
            groups = re.split(r"[ \-]", match.group(0))
            joined = "".join(groups)
            if len(groups) > 1 and all(len(g) >= MIN_DIGITS for g in groups):
                codes.extend(groups)
            elif MIN_DIGITS <= len(joined) <= MAX_DIGITS:
                codes.append(joined)
            elif len(groups) > 1:
                codes.extend(g for g in groups if len(g) >= MIN_DIGITS)
            elif len(joined) >= MIN_DIGITS:
                # Too long to be a code, kept so that the caller can report it.
                codes.append(joined)
    return codes


@dataclass(frozen=True)
class CodeScan:
    """The codes found in a field, and why any text was not one."""

    codes: tuple[Gtin, ...]
    problems: tuple[str, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.key for c in self.codes))


def scan_codes(texts: list[str] | tuple[str, ...]) -> CodeScan:
    """Extract and parse every code in `texts`, collecting problems instead of raising."""
    codes: list[Gtin] = []
    problems: list[str] = []
    seen: set[str] = set()
    for text in texts:
        found = extract_codes(text)
        if not found and text.strip():
            problems.append(f"{text.strip()!r} holds no {MIN_DIGITS}-{MAX_DIGITS} digit product code")
        for raw in found:
            try:
                code = parse_gtin(raw)
            except GtinError as exc:
                problems.append(str(exc))
                continue
            if code.key in seen:
                continue
            seen.add(code.key)
            codes.append(code)
            if code.problem:
                problems.append(code.problem)
    return CodeScan(codes=tuple(codes), problems=tuple(problems))
