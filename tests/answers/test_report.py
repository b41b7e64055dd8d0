"""The report: a pass rate per category, what failed most, and each failure with its first sentence."""

from __future__ import annotations

import json

from bench.answers.cases import Case
from bench.answers.judge import Failure, Reply
from bench.answers.report import Report
from bench.answers.runner import CaseResult


def result(case_id: str, category: str, summary: str, failures: list[Failure]) -> CaseResult:
    case = Case.model_validate({"id": case_id, "category": category, "request": {"message": "Is it recalled?"},
                                "expect": {"intent": "recall_details"},
                                "reason": "a reason long enough to say why it is right"})
    body = {"intent": "recall_details", "synthesizer": "offline", "fallback_reason": None,
            "answer": {"summary": summary}}
    return CaseResult(case, Reply(200, body, latency_ms=12), failures)


RESULTS = [
    result("rnp", "famous_recalls", "It may be part of a recall: Fisher-Price Play Gym (1984-10-10). Compare.",
           [Failure("first_lacks", "has /play gym/"), Failure("double_period", "'..'"),
            Failure("first_lacks", "has /1984/")]),
    result("boppy", "famous_recalls", "Yes, the Boppy lounger was recalled.", []),
    result("hi", "small_talk", "I can check recalls for a scanned product.", []),
]


def test_the_table_gives_each_category_its_pass_rate_and_the_total():
    table = Report("offline", RESULTS, 3.2, "2026-12-02", "2026-08-13").table()
    lines = table.splitlines()
    assert any(line.split() == ["famous_recalls", "2", "1", "50%"] for line in lines)
    assert any(line.split() == ["small_talk", "1", "1", "100%"] for line in lines)
    assert any(line.split() == ["total", "3", "2", "67%"] for line in lines)
    assert not any(line.startswith("ages") for line in lines)  # no cases, no line


def test_each_failure_is_listed_with_its_first_sentence_and_what_was_wrong():
    table = Report("offline", RESULTS, 3.2, "2026-12-02", "2026-08-13").table()
    failures = table[table.index("failures:"):]
    assert "- rnp [famous_recalls]" in failures
    assert "first sentence: It may be part of a recall: Fisher-Price Play Gym (1984-10-10)." in failures
    assert "x first_lacks: has /play gym/" in failures and "boppy" not in failures


def test_failure_kinds_count_failing_cases_not_failures():
    report = Report("offline", RESULTS, 3.2, "2026-12-02", "2026-08-13")
    assert report.failure_kinds() == {"double_period": 1, "first_lacks": 1}


def test_the_json_report_has_every_case_with_its_verdict():
    report = Report("fallback", RESULTS, 3.2, "2026-12-02", "2026-08-13")
    document = json.loads(json.dumps(report.as_json()))
    assert document["synthesizer"] == "fallback" and document["passed"] is False
    assert document["categories"]["famous_recalls"] == {"cases": 2, "passed": 1, "rate": 0.5}
    assert [(c["id"], c["passed"]) for c in document["cases"]] == [("rnp", False), ("boppy", True), ("hi", True)]
    assert document["cases"][0]["first_sentence"].startswith("It may be part of a recall")
    assert Report("offline", RESULTS[1:], 1.0, "2026-12-02", "2026-08-13").passed
