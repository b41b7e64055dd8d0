"""Garbage-collector settings for a serving process (`serve`).

Under load, full (generation-2) collections were measured at 104-222 ms: they
walk every object the process holds, most of which are start-up objects
(modules, pydantic and OpenTelemetry machinery, compiled rules) that never
die. A pause that long threatens "a response before the total budget plus
100 ms" (spec section 4). Two changes, applied once start-up is done:

- `gc.freeze()` moves everything alive then into a permanent generation the
  collector never scans again, so a full collection walks only what requests
  allocated since;
- a higher generation-0 threshold: a chat request allocates thousands of
  short-lived objects, and with the default 700 many of them are caught alive
  mid-request and promoted, which is what fills the older generations and
  triggers full collections. Young collections stay cheap (they scan only the
  young generation).
"""

from __future__ import annotations

import gc

GEN0_THRESHOLD = 20_000
GEN1_THRESHOLD = 10
GEN2_THRESHOLD = 10


def tune_for_serving() -> None:
    """Collect once, freeze the survivors, raise the young threshold. Call after the app is built."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GEN0_THRESHOLD, GEN1_THRESHOLD, GEN2_THRESHOLD)
