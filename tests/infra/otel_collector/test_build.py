"""otel-collector/build: a collector with exactly the configs' components, at one release, cached, or a clear error."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import yaml

from tests.support.collector import COLLECTOR_DIR, BASE_CONFIG, build, run

RELEASE = "0.165.1"  # contrib; core modules are v0.165.0 and v1.71.0 of the same release
CORE_VERSIONS = {"v0.165.0", "v1.71.0"}
LOCAL_OVERLAY = COLLECTOR_DIR / "jaeger.yaml"
AWS_OVERLAY = COLLECTOR_DIR / "aws.yaml"
# The tests' own overlay (support/collector.py) adds this one.
TEST_EXPORTERS = {"file"}
KINDS = ("extensions", "receivers", "processors", "exporters")


def component_types(path: Path) -> dict[str, set[str]]:
    """`otlp_grpc/jaeger` → `otlp_grpc`: the component types a config file defines, by kind."""
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {kind: {name.split("/", 1)[0] for name in config.get(kind) or {}} for kind in KINDS}


def built_components(otelcol: str) -> dict[str, set[str]]:
    result = run(otelcol, "components")
    assert result.returncode == 0, result.stderr
    listed = yaml.safe_load(result.stdout)
    return {kind: {c["name"] for c in listed.get(kind) or []} for kind in KINDS}


def test_the_collector_has_exactly_the_components_the_shipped_configs_and_the_tests_use(otelcol: str) -> None:
    base, local = component_types(BASE_CONFIG), component_types(LOCAL_OVERLAY)
    used = {kind: base[kind] | local[kind] for kind in KINDS}
    used["exporters"] |= TEST_EXPORTERS

    assert built_components(otelcol) == used


def test_the_aws_overlays_components_are_left_out_and_the_readme_names_them(otelcol: str) -> None:
    built = built_components(otelcol)
    aws_only = {kind: types - component_types(BASE_CONFIG)[kind] for kind, types in component_types(AWS_OVERLAY).items()}
    readme = (COLLECTOR_DIR / "README.md").read_text(encoding="utf-8")

    assert aws_only["exporters"] == {"awsxray"}
    for kind, types in aws_only.items():
        assert not types & built[kind], kind
        for component_type in types:
            assert f"`{component_type}`" in readme, component_type


def test_every_collector_module_is_pinned_to_one_release() -> None:
    go_mod = (COLLECTOR_DIR / "distribution" / "go.mod").read_text(encoding="utf-8")
    pins = dict(re.findall(r"^\s+(\S+) (v\S+)", go_mod, re.MULTILINE))
    contrib = {m: v for m, v in pins.items() if m.startswith("github.com/open-telemetry/opentelemetry-collector-contrib/")}
    core = {m: v for m, v in pins.items() if m.startswith("go.opentelemetry.io/collector/")}

    assert contrib and set(contrib.values()) == {f"v{RELEASE}"}, contrib
    assert core and set(core.values()) <= CORE_VERSIONS, core


def test_the_collector_reports_the_release_it_was_built_at(otelcol: str) -> None:
    result = run(otelcol, "--version")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == RELEASE


def test_a_second_build_reuses_the_cached_binary_without_compiling() -> None:
    first, second = build(), build()

    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    path = first.stdout.strip()
    assert second.stdout.strip() == path
    assert not path.startswith(str(COLLECTOR_DIR.parent)), "the binary must live outside the checkout"
    assert "building" not in second.stderr
    # A rebuild would have replaced the file (a new inode), not kept it.
    assert os.stat(path).st_ino == os.stat(second.stdout.strip()).st_ino


def test_without_go_the_build_fails_saying_which_go_is_needed(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(tmp_path)}

    result = build(env)

    assert result.returncode != 0
    assert "Go 1.26 or newer is needed" in result.stderr
    assert "'go' is not on PATH" in result.stderr
    assert result.stdout == ""


def test_an_older_go_fails_the_build_naming_the_version_found(tmp_path: Path) -> None:
    fake_go = tmp_path / "bin" / "go"
    fake_go.parent.mkdir()
    fake_go.write_text("#!/bin/sh\necho go1.22.12\n")
    fake_go.chmod(fake_go.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, "PATH": f"{fake_go.parent}:/usr/bin:/bin", "XDG_CACHE_HOME": str(tmp_path)}

    result = build(env)

    assert result.returncode != 0
    assert "Go 1.26 or newer is needed" in result.stderr and "go1.22.12" in result.stderr
    assert not (tmp_path / "babyshield-chat").exists()
