"""Running a `babyshield-chat` tool that prints one JSON report (soak, drill) as a child process."""

from __future__ import annotations

import json
from typing import Any

from babyshield_chat.devtools.processes import Process, babyshield_chat_command


def run_report(*args: str, timeout: float) -> tuple[int, dict[str, Any], str]:
    """(exit status, the JSON report, everything it printed)."""
    tool = Process(babyshield_chat_command(*args), {})
    try:
        status = tool.wait(timeout=timeout)
        output = tool.output()
    finally:
        tool.stop()
    return status, json.loads(output[output.index("{"):]), output
