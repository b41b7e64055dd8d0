"""Where the pipeline's CPU goes: py-spy on the service under the peer scenario's load.

    python -m bench.profile --svg docs/flamegraphs/pipeline.svg [--duration 20] [--rate 250]

Starts what `bench/run peer` starts for the pipeline side (a throwaway
PostgreSQL with the recall data, the fake LLM answering its fixed completion at
once, the service as `scripts/serve` runs it with `/metrics` on and JSON logs),
drives it with `wrk` (32 connections) and samples the service with py-spy
(`--nonblocking`, Python frames only: no `--native`) twice in a row under the
same load: once into a flame graph SVG, once into collapsed stacks that this
module reads to print

- the throughput and the service's CPU per request while it was sampled;
- the top functions by self time (the frame on top of the stack);
- the share of samples per component: each sample goes to the innermost frame
  that is not the standard library, so `json.dumps` called by the log
  formatter counts as logging, and `ssl`/`asyncio` internals as whoever called
  them (the event loop's own frames stay "asyncio").

py-spy is a tool of the benchmark, never a dependency of the project: it is
taken from `.bench-venv/` (installed there, pinned, on first use) or from the
interpreter's own environment when it is already there.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import re
import subprocess
import sys
import sysconfig
import threading
from pathlib import Path
from typing import Any

from bench import stack, wrk
from bench.litellm_proxy import VENV
from bench.peer_servers import FIX_ANSWER_PATH
from bench.peers import _json, llm_request_of_pipeline, start_server
from bench.scenarios import CHAT_BODY, CHAT_PATH, Options

REQUIREMENT = "py-spy==0.4.3"
WARM_UP_SEC = 3
_STDLIB = sysconfig.get_paths()["stdlib"]
# "function (path:line)" or "function (path)" as py-spy's raw format writes a frame.
_FRAME = re.compile(r"^(?P<function>.*) \((?P<path>[^()]*?)(?::\d+)?\)$")
#: Components by where their code lives, most specific first: (name, path fragment).
COMPONENTS = (
    ("babyshield_chat.telemetry", "babyshield_chat/telemetry/"),
    ("babyshield_chat.api", "babyshield_chat/api/"),
    ("babyshield_chat.chat", "babyshield_chat/chat/"),
    ("babyshield_chat.llm", "babyshield_chat/llm/"),
    ("babyshield_chat.recalls", "babyshield_chat/recalls/"),
    ("babyshield_chat.db", "babyshield_chat/db/"),
    ("babyshield_chat (other)", "babyshield_chat/"),
    ("openai", "/openai/"),
    ("httpx", "/httpx"),
    ("pydantic", "/pydantic"),
    ("opentelemetry", "/opentelemetry/"),
    ("prometheus_client", "/prometheus_client/"),
    ("asyncpg", "/asyncpg/"),
    ("aiohttp", "/aiohttp/"),
    ("yarl/multidict", "/yarl/"),
    ("yarl/multidict", "/multidict/"),
    ("pybreaker/tenacity", "/pybreaker"),
    ("pybreaker/tenacity", "/tenacity/"),
)


def py_spy() -> str:
    """The py-spy command: the interpreter's own, else `.bench-venv/bin/py-spy` (installed on first use)."""
    beside = Path(sys.executable).parent / "py-spy"
    if beside.exists():
        return str(beside)
    command = VENV / "bin" / "py-spy"
    if not command.exists():
        print(f"bench: installing {REQUIREMENT} into {VENV}", file=sys.stderr)
        if not (VENV / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", REQUIREMENT], check=True)
    return str(command)


def parse_frame(frame: str) -> tuple[str, str]:
    """(function, path) of one frame of py-spy's raw format."""
    match = _FRAME.match(frame.strip())
    return (match["function"], match["path"]) if match else (frame.strip(), "")


def component(path: str) -> str | None:
    """The component a file belongs to, or None for the standard library (and py-spy's own labels)."""
    for name, fragment in COMPONENTS:
        if fragment in path:
            return name
    if "asyncio/" in path and path.startswith(_STDLIB):
        return None
    if path.startswith(_STDLIB) or not path:
        return None
    return "other"


def summarise(collapsed: str, top: int = 10) -> dict[str, Any]:
    """Top functions by self time and samples per component, from py-spy's raw (collapsed) output."""
    self_time: collections.Counter[str] = collections.Counter()
    components: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.splitlines():
        stack_text, _, count_text = line.rpartition(" ")
        if not stack_text or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [parse_frame(f) for f in stack_text.split(";")]
        frames = [(function, path) for function, path in frames if path]  # the process and thread labels
        if not frames:
            continue
        total += count
        function, path = frames[-1]
        self_time[f"{function} ({_short(path)})"] += count
        owner = next((c for c in (component(p) for _, p in reversed(frames)) if c), None)
        if owner is None:
            # Only the standard library on the stack: the event loop itself, or a thread of its own.
            owner = "asyncio event loop" if any("asyncio/" in p for _, p in frames) else "stdlib (other)"
        components[owner] += count
    return {
        "samples": total,
        "top_self": [{"frame": frame, "share": count / total} for frame, count in self_time.most_common(top)],
        "components": [{"component": name, "share": count / total} for name, count in components.most_common()],
    }


def _short(path: str) -> str:
    for marker in ("site-packages/", "src/", "lib/python3.11/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def _record(command: str, pid: int, fmt: str, output: Path, duration_sec: int, rate: int) -> subprocess.Popen:
    argv = [command, "record", "--pid", str(pid), "--nonblocking", "--format", fmt, "--output", str(output),
            "--duration", str(duration_sec), "--rate", str(rate)]
    argv += ["--function", "--full-filenames"] if fmt == "raw" else ["--nolineno"]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _sampled_run(command: str, pipeline: stack.Process, fmt: str, output: Path, options: Options,
                 rate: int) -> dict[str, Any]:
    """One py-spy recording of `options.duration_sec` under wrk load; the load's figures alongside."""
    url = f"http://127.0.0.1:{pipeline.port}{CHAT_PATH}"
    result: dict[str, Any] = {}

    def load() -> None:
        result.update(wrk.run(url, body=json.dumps(CHAT_BODY).encode(), user_prefix="user-",
                              connections=options.connections, duration_sec=options.duration_sec + 1))

    cpu = pipeline.cpu_seconds()
    driver = threading.Thread(target=load)
    driver.start()
    spy = _record(command, pipeline.pid, fmt, output, options.duration_sec, rate)
    _, errors = spy.communicate()
    driver.join()
    if spy.returncode != 0:
        raise RuntimeError(f"py-spy failed: {errors.strip()[-2000:]}")
    result["cpu_ms_per_request"] = (pipeline.cpu_seconds() - cpu) / result["requests"] * 1000
    return result


def profile(options: Options, svg: Path, collapsed: Path, rate: int, top: int) -> dict[str, Any]:
    command = py_spy()
    scratch = options.scratch
    fake = start_server("fake-llm", scratch)
    with stack.running(fake):
        env = {"BS_LLM_BASE_URL": f"http://127.0.0.1:{fake.port}/v1", "BS_LLM_API_KEY": "bench",
               "BS_METRICS_PROMETHEUS": "true"}
        with stack.running(*stack.services("profile-pipeline", scratch, env)) as (pipeline,):
            llm_request_of_pipeline(pipeline, fake, options)
            asyncio.run(_json("POST", f"http://127.0.0.1:{fake.port}{FIX_ANSWER_PATH}"))
            wrk.run(f"http://127.0.0.1:{pipeline.port}{CHAT_PATH}", body=json.dumps(CHAT_BODY).encode(),
                    user_prefix="user-", connections=options.connections, duration_sec=WARM_UP_SEC)
            svg.parent.mkdir(parents=True, exist_ok=True)
            flame = _sampled_run(command, pipeline, "flamegraph", svg, options, rate)
            raw = _sampled_run(command, pipeline, "raw", collapsed, options, rate)
            summary = summarise(collapsed.read_text(), top)
    return {"flamegraph_run": _load_figures(flame), "collapsed_run": _load_figures(raw), **summary}


def _load_figures(run: dict[str, Any]) -> dict[str, Any]:
    return {"rps": run["rps"], "p50_sec": run.get("p50_sec"), "p99_sec": run.get("p99_sec"),
            "cpu_ms_per_request": run["cpu_ms_per_request"], "non_2xx": run.get("non_2xx", 0)}


def report(result: dict[str, Any]) -> str:
    lines = []
    for name in ("flamegraph_run", "collapsed_run"):
        run = result[name]
        lines.append(f"{name}: {run['rps']:.0f} req/s, p50 {run['p50_sec'] * 1000:.1f} ms, "
                     f"p99 {run['p99_sec'] * 1000:.1f} ms, {run['cpu_ms_per_request']:.2f} ms CPU/request")
    lines += ["", f"top self time ({result['samples']} samples):"]
    lines += [f"{entry['share']:6.1%}  {entry['frame']}" for entry in result["top_self"]]
    lines += ["", "by component (innermost non-stdlib frame):"]
    lines += [f"{entry['share']:6.1%}  {entry['component']}" for entry in result["components"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--svg", type=Path, required=True, help="where to write the flame graph")
    parser.add_argument("--collapsed", type=Path, help="where to keep the collapsed stacks (default: not kept)")
    parser.add_argument("--duration", type=int, default=20, help="seconds per recording (default 20)")
    parser.add_argument("--rate", type=int, default=250, help="samples per second (default 250)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--top", type=int, default=10, help="functions listed by self time (default 10)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--data-dir", type=Path, default=stack.DEFAULT_DATA_DIR, help="recall JSON files to import")
    args = parser.parse_args(argv)
    if not wrk.available():
        parser.error("needs wrk (bench/run installs it from Debian)")
    scratch = stack.Scratch()
    try:
        with stack.postgres(scratch, args.data_dir) as url:
            stack.SERVICE_ENV["BS_DATABASE_URL"] = url
            options = Options(scratch=scratch, database_url=url, duration_sec=args.duration,
                              connections=args.connections)
            collapsed = args.collapsed or scratch.path / "profile.txt"
            result = profile(options, args.svg, collapsed, args.rate, args.top)
    finally:
        scratch.close()
    print(json.dumps(result, indent=2) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
