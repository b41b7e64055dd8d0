"""The LiteLLM proxy as the peer scenario runs it: a virtualenv of its own, a config, one process.

LiteLLM is what a team would otherwise put in front of its LLM, so the peer
scenario measures it beside the pipeline. It is never a dependency of the
project: `ensure_venv` installs `litellm[proxy]` (pinned, `REQUIREMENT`) into
`.bench-venv/` beside the checkout (git-ignored) the first time it is needed,
about a minute and 750 MB, and reinstalls only when the pin changes.

The proxy is set up the way LiteLLM's production advice has it, for one
model and nothing else (`config`):

- one model, `gpt-4o-mini`, served by the fake LLM as an OpenAI-compatible
  endpoint (`openai/` provider, `api_base` the fake's `/v1`);
- a master key, so every request is authenticated as in any real deployment;
- retries off everywhere LiteLLM reads them (the deployment, the module and
  the router), like the pipeline's single attempt against an LLM that answers;
- no database (no `DATABASE_URL`), spend and error logs off, no callbacks;
  LiteLLM's usage telemetry is off unless `LITELLM_TELEMETRY_GROUPS` is set,
  and the environment the benchmark gives it has none;
- `LITELLM_LOG=ERROR` and `LITELLM_MODE=PRODUCTION` (no info logs, no
  `.env` loading), `LITELLM_LOCAL_MODEL_COST_MAP=True` (the cost map that
  ships in the package: this machine has no network);
- one uvicorn worker (`--num_workers 1`): one process, as every other side.

The config is written as JSON, which LiteLLM's YAML loader reads as it is.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from babyshield_chat.db.embedded import free_port

from bench import stack

REQUIREMENT = "litellm[proxy]==1.108.7"
VENV = stack.ROOT / ".bench-venv"
MODEL = "gpt-4o-mini"
MASTER_KEY = "sk-bench-peer-master-key"
HEALTH_PATH = "/health/liveliness"
ENV = {
    "LITELLM_LOG": "ERROR",
    "LITELLM_MODE": "PRODUCTION",
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    # Not this project's code: nothing of ours on LiteLLM's import path.
    "PYTHONPATH": "",
}
_MARKER = VENV / ".requirement"


def ensure_venv() -> Path:
    """`.bench-venv` with `REQUIREMENT` installed; returns its `litellm` command."""
    command = VENV / "bin" / "litellm"
    if command.exists() and _MARKER.exists() and _MARKER.read_text().strip() == REQUIREMENT:
        return command
    print(f"bench: installing {REQUIREMENT} into {VENV} (once; about a minute)", file=sys.stderr)
    if not (VENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    out = subprocess.run([str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet",
                          "--disable-pip-version-check", REQUIREMENT], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"installing {REQUIREMENT} failed: {out.stderr.strip()[-2000:]}")
    _MARKER.write_text(REQUIREMENT + "\n")
    return command


def installed_version() -> str:
    script = "import importlib.metadata as m; print(m.version('litellm'))"
    out = subprocess.run([str(VENV / "bin" / "python"), "-c", script], capture_output=True, text=True, check=True,
                         env=stack.child_env(ENV))
    return out.stdout.strip()


def config(llm_base_url: str) -> dict[str, Any]:
    """The proxy's configuration: one model on the fake LLM, a master key, nothing else."""
    return {
        "model_list": [{
            "model_name": MODEL,
            "litellm_params": {"model": f"openai/{MODEL}", "api_base": llm_base_url, "api_key": "bench",
                               "num_retries": 0},
        }],
        "litellm_settings": {"num_retries": 0, "request_timeout": 30},
        "router_settings": {"num_retries": 0},
        "general_settings": {"master_key": MASTER_KEY, "disable_spend_logs": True, "disable_error_logs": True},
    }


def start(scratch: stack.Scratch, llm_base_url: str) -> stack.Process:
    """The proxy listening on a free port, its health check answering 200."""
    command = ensure_venv()
    path = scratch.path / "litellm-config.yaml"
    path.write_text(json.dumps(config(llm_base_url), indent=2))
    port = free_port()
    argv = [str(command), "--config", str(path), "--host", "127.0.0.1", "--port", str(port), "--num_workers", "1"]
    return stack.listening(stack.Process("litellm", argv, port, ENV, scratch), HEALTH_PATH)
