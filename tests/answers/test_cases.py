"""The answer benchmark's cases file: the shipped one is complete, and a broken one is refused by name."""

from __future__ import annotations

import collections
import textwrap
from pathlib import Path

import pytest

from bench.answers.cases import CASES_FILE, CATEGORIES, CasesError, load_suite

MIN_CASES = 150  # spec 4b.11
MIN_PER_CATEGORY = 5


@pytest.fixture(scope="module")
def suite():
    return load_suite(CASES_FILE)


def test_the_shipped_cases_validate_and_number_at_least_150(suite):
    assert len(suite.cases) >= MIN_CASES


def test_every_category_has_at_least_five_cases(suite):
    counts = collections.Counter(case.category for case in suite.cases)
    thin = {category: counts[category] for category in CATEGORIES if counts[category] < MIN_PER_CATEGORY}
    assert not thin, f"categories with fewer than {MIN_PER_CATEGORY} cases: {thin}"


def test_every_case_has_a_reason_and_a_known_category(suite):
    for case in suite.cases:
        assert case.category in CATEGORIES
        assert len(case.reason.split()) >= 8, f"{case.id}: the reason must say why the expectation is right"


def test_spanish_cases_ask_in_a_spanish_locale(suite):
    spanish = [case for case in suite.cases if case.category == "spanish"]
    assert spanish and all((case.request.locale or "").startswith("es") for case in spanish)


def test_the_newest_recall_date_is_a_date(suite):
    assert suite.newest_recall == "2026-08-13"


def _write(tmp_path: Path, cases_yaml: str) -> Path:
    path = tmp_path / "cases.yml"
    path.write_text('newest_recall: "2026-08-13"\ncases:\n' + textwrap.indent(textwrap.dedent(cases_yaml), "  "))
    return path


GOOD_CASE = """\
- id: one
  category: small_talk
  request: {message: "Hi"}
  expect: {tools_absent: [recall_lookup]}
  reason: "4b.8: small talk runs no recall search at all."
"""


def test_a_minimal_file_loads(tmp_path):
    suite = load_suite(_write(tmp_path, GOOD_CASE))
    assert [case.id for case in suite.cases] == ["one"]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (("category: small_talk", "category: chit_chat"), "unknown category 'chit_chat'"),
        (("tools_absent:", "tools_missing:"), "tools_missing"),
        (("[recall_lookup]}", "[recall_lookup], first_has: ['(unclosed']}"), "bad regular expression"),
        (('reason: "4b.8: small talk runs no recall search at all."', 'reason: "because"'), "reason"),
        (('request: {message: "Hi"}', "request: {product: {upc: '817980011137'}}"), "needs a message"),
        (('request: {message: "Hi"}', "request: {message: 'Hi', endpoint: explain}"), "explain case"),
        (("expect: {tools_absent: [recall_lookup]}", "expect: {}"), "must expect something"),
    ],
)
def test_a_broken_case_is_refused_naming_the_case_and_the_problem(tmp_path, change, named):
    old, new = change
    with pytest.raises(CasesError) as raised:
        load_suite(_write(tmp_path, GOOD_CASE.replace(old, new)))
    assert "case one" in str(raised.value) and named in str(raised.value)


def test_a_duplicate_id_is_refused(tmp_path):
    with pytest.raises(CasesError, match="'one' is used twice"):
        load_suite(_write(tmp_path, GOOD_CASE + GOOD_CASE))


def test_a_profile_may_give_the_age_in_months_or_weeks_but_not_both(tmp_path):
    both = GOOD_CASE.replace('request: {message: "Hi"}',
                             'request: {message: "Hi", profile: {child_age_months: 3, child_age_weeks: 12}}')
    with pytest.raises(CasesError, match="not both"):
        load_suite(_write(tmp_path, both))


def test_shared_pattern_lists_combine_through_yaml_anchors(tmp_path):
    path = tmp_path / "cases.yml"
    path.write_text(textwrap.dedent("""\
        newest_recall: "2026-08-13"
        shared:
          hedges: &hedges ["cannot confirm", "not sure"]
        cases:
          - id: anchored
            category: famous_recalls
            request: {message: "is the rock n play recalled?"}
            expect: {first_lacks: [*hedges, "mold"]}
            reason: "4b.2: the 2019 all-models recall leads, stated plainly."
        """))
    case = load_suite(path).cases[0]
    assert case.expect.first_lacks == ["cannot confirm", "not sure", "mold"]


def test_a_missing_or_malformed_file_is_a_cases_error(tmp_path):
    with pytest.raises(CasesError, match="cannot read"):
        load_suite(tmp_path / "absent.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("cases: [unclosed\n")
    with pytest.raises(CasesError, match="not valid YAML"):
        load_suite(bad)
