"""Shared fixtures: the repository root and the operator tools the infra tests drive."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


def require_binary(name: str, package: str) -> str:
    """Path of a command-line tool; a missing tool FAILS the test (never skips it)."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name!r} is not on PATH: install the Debian package {package!r} (apt-get install -y {package})")
    return path


@pytest.fixture(scope="session")
def promtool() -> str:
    return require_binary("promtool", "prometheus")


@pytest.fixture(scope="session")
def amtool() -> str:
    return require_binary("amtool", "prometheus-alertmanager")


@pytest.fixture(scope="session")
def alertmanager_binary() -> str:
    return require_binary("prometheus-alertmanager", "prometheus-alertmanager")
