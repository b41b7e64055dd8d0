"""Where the tests find the repository's files and the shared recall data beside it."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# The real CPSC/FDA files, read in place (never copied into the project).
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
