"""The answer benchmark's cases: their schema, their categories, and loading them.

`cases.yml` beside this module holds every case. A case is what one parent
sends (a message, the scanned product, optionally a profile PUT first and a
locale) and what that parent must be able to rely on in the answer
(`Expect`), with a one-sentence `reason` saying why the expectation is right:
the recall number, the rule of spec section 4b or the guideline behind it.

Loading validates the whole file strictly (unknown keys, unknown categories,
bad regular expressions, duplicate ids and empty reasons are refused with the
case id and the field named), so a typo can never silently turn an
expectation off.

Profiles give the child's age rather than a birthdate (`child_age_months` or
`child_age_weeks`), because a fixed birthdate would make the child a month
older every month; the runner turns it into a birthdate on the day it runs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator

from babyshield_chat.chat.model import CheckStatus
from babyshield_chat.vocabulary import EmergencyLevel as AnswerEmergencyLevel
from babyshield_chat.vocabulary import Endpoint, Intent, ToolName

CASES_FILE = Path(__file__).with_name("cases.yml")

#: Every category, in report order, with what it covers (docs/answers.md repeats this table).
CATEGORIES: dict[str, str] = {
    "famous_recalls": "well-known recalls asked for by name, as parents type them",
    "upc_model": "look-ups by UPC/EAN/GTIN or model number, one recall per entry",
    "near_miss_codes": "mistyped barcodes: a wrong check digit is 'looks mistyped, re-scan', never 'no recall'",
    "food_recalls": "FDA infant formula, baby food and supplement recalls",
    "no_recall": "products with no recall in the data: never 'safe', say what was and was not checked",
    "emergencies": "911-class (red) and urgent (amber) messages answered at once",
    "emergency_near_misses": "messages that sound like emergencies but are questions about a product",
    "ages": "the child's age from the message or the profile against the product",
    "allergens": "allergies from the profile or the message against ingredients under hidden names",
    "pregnancy": "ingredients to avoid or limit in pregnancy, pregnancy stated in the message or profile",
    "sleep": "inclined sleepers, loungers, nursing pillows, bumpers and other products not for sleep",
    "two_concerns": "one message, several concerns: every one answered",
    "small_talk": "greetings, thanks, out-of-scope questions, abuse and prompt injection",
    "spanish": "questions in Spanish, answered wholly in Spanish",
}

# The contract's closed sets, so a case naming a status, intent or tool the service cannot answer is refused.
Status = CheckStatus
EmergencyLevel = Literal["none", AnswerEmergencyLevel]  # "none": the answer has no emergency block
Regex = Annotated[str, StringConstraints(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _flat(items: list[Any]) -> list[Any]:
    flat: list[Any] = []
    for item in items:
        flat.extend(_flat(item) if isinstance(item, list) else [item])
    return flat


def _compiles(patterns: list[str] | str | None) -> None:
    for pattern in [patterns] if isinstance(patterns, str) else patterns or []:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"bad regular expression {pattern!r}: {exc}") from None


class ProfileSpec(_Strict):
    """The profile PUT before the message; unset fields take the API's empty values."""

    allergies: list[str] = Field(default_factory=list)
    pregnancy_trimester: Literal[1, 2, 3] | None = None
    consent_memory: bool = False
    child_age_months: int | None = Field(default=None, ge=0, le=216)
    child_age_weeks: int | None = Field(default=None, ge=0, le=520)

    @model_validator(mode="after")
    def _one_age(self) -> ProfileSpec:
        if self.child_age_months is not None and self.child_age_weeks is not None:
            raise ValueError("give child_age_months or child_age_weeks, not both")
        return self


class Request(_Strict):
    """What the app sends for this case."""

    message: str | None = None
    product: dict[str, Any] | None = None
    profile: ProfileSpec | None = None
    locale: str | None = None
    endpoint: Endpoint = "conversation"

    @model_validator(mode="after")
    def _fits_endpoint(self) -> Request:
        if self.endpoint == "conversation" and not (self.message or "").strip():
            raise ValueError("a conversation case needs a message")
        if self.endpoint == "explain" and (self.message or self.product is None):
            raise ValueError("an explain case sends a product and no message")
        return self


#: The `Expect` fields that hold lists of regular expressions.
PATTERN_FIELDS: tuple[str, ...] = (
    "call_to_action_has", "call_to_action_lacks", "first_starts", "first_has", "first_lacks", "summary_has",
    "summary_lacks", "text_has", "text_lacks", "evidence_has", "evidence_once", "evidence_lacks",
)


class Expect(_Strict):
    """What the parent must see. Patterns are regular expressions searched in folded text.

    Folded text is lower case without accents, with straight apostrophes and
    single spaces (`babyshield_chat.chat.text.fold`), so write patterns that way.
    """

    intent: list[Intent] | None = None
    emergency: list[EmergencyLevel] | None = None
    call_to_action_has: list[Regex] = Field(default_factory=list)
    call_to_action_lacks: list[Regex] = Field(default_factory=list)
    first_starts: list[Regex] = Field(default_factory=list)  # one of these opens the first sentence
    first_has: list[Regex] = Field(default_factory=list)  # each found in the first sentence
    first_lacks: list[Regex] = Field(default_factory=list)  # none found in the first sentence
    summary_has: list[Regex] = Field(default_factory=list)
    summary_lacks: list[Regex] = Field(default_factory=list)
    text_has: list[Regex] = Field(default_factory=list)  # summary and reasons
    text_lacks: list[Regex] = Field(default_factory=list)  # summary, reasons, checks, suggestions
    checks: dict[Regex, list[Status]] = Field(default_factory=dict)  # a check named so, with one of these
    some_check: list[Status] = Field(default_factory=list)  # some check has one of these statuses
    no_check_status: list[Status] = Field(default_factory=list)  # no check has any of these
    tools_include: list[ToolName] = Field(default_factory=list)
    tools_absent: list[ToolName] = Field(default_factory=list)
    evidence_has: list[Regex] = Field(default_factory=list)  # each matches some evidence entry
    evidence_first: Regex | None = None  # the first recall entry matches this
    evidence_once: list[Regex] = Field(default_factory=list)  # exactly one recall entry matches each
    evidence_lacks: list[Regex] = Field(default_factory=list)  # no recall entry matches any
    suggestions: bool = False  # at least one suggested question
    freshness: bool = False  # says when the data was checked and its newest recall date
    language: Literal["en", "es"] | None = None  # "es": the answer is wholly in Spanish

    @field_validator("intent", "emergency", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="before")
    @classmethod
    def _flatten(cls, data: Any) -> Any:
        """Lists may nest, so that YAML anchors of shared pattern lists combine: `[*hedges, "mold"]`."""
        if not isinstance(data, dict):
            return data
        return {key: _flat(value) if isinstance(value, list) else value for key, value in data.items()}

    @model_validator(mode="after")
    def _patterns_compile(self) -> Expect:
        for name in PATTERN_FIELDS:
            _compiles(getattr(self, name))
        _compiles(list(self.checks))
        _compiles(self.evidence_first)
        return self

    def is_empty(self) -> bool:
        return self == Expect()


class Case(_Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)]
    category: str
    request: Request
    expect: Expect
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=20)]

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        if value not in CATEGORIES:
            raise ValueError(f"unknown category {value!r}; known: {', '.join(CATEGORIES)}")
        return value

    @model_validator(mode="after")
    def _expects_something(self) -> Case:
        if self.expect.is_empty():
            raise ValueError("a case must expect something")
        return self


class Suite(_Strict):
    """The whole file: facts about the data every run relies on, then the cases."""

    newest_recall: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")]
    #: Pattern lists the cases share through YAML anchors; read only through them.
    shared: dict[str, Any] = Field(default_factory=dict)
    cases: list[Case]

    @model_validator(mode="after")
    def _unique_ids(self) -> Suite:
        seen: set[str] = set()
        for case in self.cases:
            if case.id in seen:
                raise ValueError(f"case id {case.id!r} is used twice")
            seen.add(case.id)
        return self


class CasesError(ValueError):
    """The cases file cannot be used; the message names the case and field."""


def _describe(error: ValidationError, document: Any) -> str:
    lines = []
    for problem in error.errors():
        where = list(problem["loc"])
        if len(where) >= 2 and where[0] == "cases" and isinstance(where[1], int):
            index = where[1]
            cases = document.get("cases") if isinstance(document, dict) else None
            case_id = cases[index].get("id") if isinstance(cases, list) and isinstance(cases[index], dict) else None
            where = [f"case {case_id or index}", *where[2:]]
        lines.append(f"{'.'.join(str(part) for part in where) or 'file'}: {problem['msg']}")
    return "; ".join(lines)


def load_suite(path: Path = CASES_FILE) -> Suite:
    """Read and validate the cases file; `CasesError` names every problem."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CasesError(f"cannot read {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise CasesError(f"{path} is not valid YAML: {exc}") from None
    try:
        return Suite.model_validate(document)
    except ValidationError as exc:
        raise CasesError(f"{path.name}: {_describe(exc, document)}") from None
