"""gc_tuning: what `serve` does to the collector after start-up."""

from __future__ import annotations

import gc

from babyshield_chat import gc_tuning


def test_freezes_start_up_objects_and_raises_the_young_threshold():
    before = gc.get_threshold()
    try:
        gc_tuning.tune_for_serving()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (gc_tuning.GEN0_THRESHOLD, gc_tuning.GEN1_THRESHOLD, gc_tuning.GEN2_THRESHOLD)
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
