"""`babyshield-chat soak`: a short run passes its own criteria; the tally classifies what it sees."""

from babyshield_chat.devtools.soak import Tally

from tests.support.commands import run_report

SHORT_SOAK_SEC = 12


def test_a_short_soak_with_faults_and_a_database_restart_passes():
    status, report, output = run_report("soak", "--duration", str(SHORT_SOAK_SEC), "--concurrency", "6",
                                        timeout=SHORT_SOAK_SEC + 90)
    assert status == 0, output
    assert report["passed"] and report["server_errors"] == 0 and report["lost_messages"] == 0
    assert report["database_restarts"] == 1 and len(report["faults"]) >= 3
    assert {"ok", "fallback", "emergency", "blocked"} <= set(report["outcomes"])
    assert report["acknowledged_saved"] > 0


def test_the_tally_counts_5xx_as_errors_and_remembers_acknowledged_messages():
    tally = Tally()
    tally.count(200, {"intent": "recall_details", "synthesizer": "llm", "memory_saved": True, "message_id": "m1"})
    tally.count(200, {"intent": "emergency", "synthesizer": "offline", "memory_saved": False, "message_id": "m2"})
    tally.count(503, {})
    tally.count(403, {})
    assert tally.outcomes == {"ok": 1, "emergency": 1, "error": 1, "blocked": 1}
    assert tally.saved == {"m1"} and tally.requests == 4
