"""`babyshield-chat drill`: a short run of the hostile mix passes with every figure at 0."""

from tests.support.commands import run_report

SHORT_DRILL_SEC = 16


def test_a_short_drill_of_the_hostile_mix_passes_with_every_figure_at_zero():
    status, report, output = run_report("drill", "--duration", str(SHORT_DRILL_SEC), "--concurrency", "3",
                                        timeout=SHORT_DRILL_SEC + 120)
    assert status == 0, output
    assert report["requests_sent"] > 100
    for figure in ("server_errors", "error_outcomes", "unanswered", "lost_saved_messages",
                   "breaker_opens_from_client_input"):
        assert report[figure] == 0, (figure, output)
    assert report["max_latency_sec"] <= report["latency_limit_sec"]
    # The mix did reach the service: hostile input refused, slow bodies cut, the drain's refusals.
    assert report["statuses"]["400"] > 0 and report["statuses"]["401"] > 0
    assert report["slow_bodies"]["answered_408"] == report["slow_bodies"]["sent"]
    assert report["not_ready_while_draining"] > 0 and report["exit_code"] == 0
