"""The package's layers, checked from the source: no module imports one above it.

The order is the one in the README's code map. A module may import its own
layer and those below; importing upwards (the pipeline building HTTP
responses, telemetry reading the chat model) is what this test refuses.
Imports are read with `ast`, so lazy imports inside functions count too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import babyshield_chat
from babyshield_chat.devtools.processes import child_env

PACKAGE = Path(babyshield_chat.__file__).parent

# Lowest first; a module belongs to the longest prefix that names it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("babyshield_chat", "babyshield_chat.vocabulary", "babyshield_chat.prices", "babyshield_chat.config",
     "babyshield_chat.chat.model", "babyshield_chat.chat.text"),
    ("babyshield_chat.resilience", "babyshield_chat.telemetry", "babyshield_chat.db", "babyshield_chat.alerting"),
    ("babyshield_chat.recalls", "babyshield_chat.llm"),
    ("babyshield_chat.chat",),
    ("babyshield_chat.flags",),
    ("babyshield_chat.rollout",),
    ("babyshield_chat.api",),
    ("babyshield_chat.console",),
    ("babyshield_chat.dependencies", "babyshield_chat.app", "babyshield_chat.server", "babyshield_chat.workers",
     "babyshield_chat.gc_tuning"),
    ("babyshield_chat.devtools",),
    ("babyshield_chat.cli", "babyshield_chat.__main__"),
)
LAYER_OF = {prefix: index for index, prefixes in enumerate(LAYERS) for prefix in prefixes}


def layer(module: str) -> int:
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in LAYER_OF:
            return LAYER_OF[prefix]
    raise AssertionError(f"{module} is in no layer: add it to LAYERS and to the README's code map")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import of the package in `path`, relative ones resolved."""
    found = []
    package = module_name(path).split(".") if path.name == "__init__.py" else module_name(path).split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            if base == "babyshield_chat":  # `from babyshield_chat import x`: x is the module imported
                found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names if alias.name != "__version__"]
            found.append((node.lineno, base))
    return [(line, name) for line, name in found if name == "babyshield_chat" or name.startswith("babyshield_chat.")]


SOURCES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_no_module_imports_a_layer_above_its_own(path: Path) -> None:
    mine = layer(module_name(path))
    upward = [f"line {line}: {name} (layer {layer(name)})" for line, name in imports(path) if layer(name) > mine]
    assert upward == [], f"{module_name(path)} (layer {mine}) imports upwards"


def test_the_vocabulary_imports_nothing_of_the_project() -> None:
    assert imports(PACKAGE / "vocabulary.py") == []


def test_the_chat_domain_knows_nothing_of_http() -> None:
    for path in (PACKAGE / "chat").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        modules |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert not {m for m in modules if m.split(".")[0] == "aiohttp" or m.startswith("babyshield_chat.api")}, path


def test_the_readme_states_the_same_layers(repo_root: Path) -> None:
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    listed = readme[readme.index("Layers, lowest first"):].split("\n\n")[1].splitlines()
    assert len(listed) == len(LAYERS)
    for line, prefixes in zip(listed, LAYERS):
        for prefix in prefixes:
            if prefix in ("babyshield_chat", "babyshield_chat.__main__"):
                continue
            name = prefix.removeprefix("babyshield_chat.").replace(".", "/")
            assert f"`{name}" in line, f"{name} is not on the README's layer line {line!r}"


def test_the_service_loads_no_tool(tmp_path: Path) -> None:
    """`serve` imports the command line and the app, never `devtools/` (only the tool verbs load it)."""
    probe = ("import sys, babyshield_chat.cli, babyshield_chat.app, babyshield_chat.server; "
             "print([m for m in sys.modules if m.startswith('babyshield_chat.devtools')])")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                            env=child_env(), cwd=tmp_path).stdout
    assert loaded.strip() == "[]"
