"""`bench/answers/run` end to end: a throwaway PostgreSQL with the real data, every case judged, exit statuses.

This runs the whole benchmark once through the same code as the command and
checks that the runner works: a verdict for every case, a pass rate for every
category. It does not require the cases to pass: the pass rates are reported
(docs/answers.md), not asserted.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from bench.answers.cases import CATEGORIES, load_suite
from bench.answers.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main, run_benchmark


@pytest.fixture(scope="module")
def full_report():
    suite = load_suite()
    return suite, run_benchmark(suite, suite.cases)


def test_the_whole_benchmark_gives_every_case_a_verdict(full_report):
    suite, report = full_report
    assert [r.case.id for r in report.results] == [c.id for c in suite.cases]
    assert all(isinstance(r.passed, bool) for r in report.results)
    # Every case got an answer from the service: a verdict on the writing, not a dead service.
    assert all(r.reply.status == 200 for r in report.results), [r.case.id for r in report.results if r.reply.status != 200]
    assert all(r.first_sentence for r in report.results)


def test_the_whole_benchmark_reports_a_pass_rate_for_every_category(full_report):
    suite, report = full_report
    scores = {score.category: score for score in report.scores()}
    assert list(scores) == list(CATEGORIES)
    assert sum(score.cases for score in scores.values()) == len(suite.cases)
    table = report.table()
    for category in CATEGORIES:
        assert f"\n{category} " in table
    failed = [r for r in report.results if not r.passed]
    for result in failed:
        assert f"- {result.case.id} [{result.case.category}]" in table


def test_the_data_is_dated_by_this_run(full_report):
    _suite, report = full_report
    emergency = next(r for r in report.results if r.case.id == "emerg-not-breathing")
    assert emergency.reply.body["answer"]["emergency"]["level"] == "red"  # the service really answered
    assert report.newest_recall == "2026-08-13" and len(report.checked_on) == 10


PASSING = """\
- id: not-breathing
  category: emergencies
  request: {message: "my baby is not breathing"}
  expect: {emergency: red, call_to_action_has: ["911"]}
  reason: "Step 2: a child not breathing is red, with 911."
"""
FAILING = """\
- id: hi-is-not-an-emergency
  category: small_talk
  request: {message: "Hi"}
  expect: {emergency: red}
  reason: "Deliberately wrong, so that the run has a failure to report."
"""


def _cases_file(tmp_path, *cases: str):
    path = tmp_path / "cases.yml"
    path.write_text('newest_recall: "2026-08-13"\ncases:\n' + textwrap.indent("".join(cases), "  "))
    return path


def test_a_failing_case_makes_the_exit_status_1_and_is_in_the_json(tmp_path, capsys):
    status = main(["--cases-file", str(_cases_file(tmp_path, PASSING, FAILING)), "--json"])
    assert status == EXIT_FAILED
    document = json.loads(capsys.readouterr().out)
    verdicts = {case["id"]: case for case in document["cases"]}
    assert verdicts["not-breathing"]["passed"] is True
    wrong = verdicts["hi-is-not-an-emergency"]
    assert wrong["passed"] is False and wrong["failures"][0] == {"kind": "emergency", "message": "is none, expected red"}
    assert wrong["first_sentence"]


def test_all_cases_passing_exits_0_and_case_selects_one(tmp_path, capsys):
    path = _cases_file(tmp_path, PASSING, FAILING)
    assert main(["--cases-file", str(path), "--case", "not-breathing"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "1 cases" in out and "hi-is-not-an-emergency" not in out


def test_an_unknown_case_or_a_broken_file_exits_2_naming_it(tmp_path, capsys):
    assert main(["--case", "no-such-case"]) == EXIT_USAGE
    assert "no case with id no-such-case" in capsys.readouterr().err
    broken = tmp_path / "broken.yml"
    broken.write_text("newest_recall: soon\ncases: []\n")
    assert main(["--cases-file", str(broken)]) == EXIT_USAGE
    assert "newest_recall" in capsys.readouterr().err


def test_a_missing_data_folder_exits_2_before_starting_anything(tmp_path, capsys):
    assert main(["--data-dir", str(tmp_path / "nowhere")]) == EXIT_USAGE
    assert f"no recall data in {tmp_path / 'nowhere'}" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "message"), [
    (["--category", "weather"], "unknown category weather"),
    (["--synthesizer", "gpt"], "invalid choice: 'gpt'"),
    (["--concurrency", "0"], "--concurrency must be at least 1"),
])
def test_a_bad_command_line_exits_2_naming_the_problem(argv, message, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == EXIT_USAGE and message in capsys.readouterr().err
