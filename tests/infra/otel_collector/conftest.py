"""The collector binary for every test here: built (or reused from its cache) once per session.

A machine without Go, or a build that fails, fails these tests with the build
script's own message (which Go is needed); it never skips them.
"""

from __future__ import annotations

import pytest

from tests.support.collector import CollectorBuildError, collector_binary


@pytest.fixture(scope="session")
def otelcol() -> str:
    try:
        return collector_binary()
    except CollectorBuildError as exc:
        pytest.fail(f"the OpenTelemetry Collector could not be built: {exc}")
