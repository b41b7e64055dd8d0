"""render.py: the committed generated files are exactly what thresholds.yml generates."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from babyshield_chat.devtools.alerting.render import generated_files, main, stale_files
from babyshield_chat.alerting.thresholds import DEFAULT_PATH, load_thresholds


def test_committed_generated_files_match_the_thresholds(repo_root: Path) -> None:
    stale = stale_files(repo_root, load_thresholds())
    assert stale == [], f"regenerate with `python -m babyshield_chat.devtools.alerting.render`: {stale}"


def test_render_writes_every_generated_file_under_the_root(tmp_path: Path) -> None:
    assert main(["--root", str(tmp_path)]) == 0
    for relative, text in generated_files(load_thresholds()).items():
        assert (tmp_path / relative).read_text(encoding="utf-8") == text


def test_check_names_a_hand_edited_file_and_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["--root", str(tmp_path)])
    rules = tmp_path / "infra/prometheus/chat.rules.yml"
    rules.write_text(rules.read_text().replace("> 0.02", "> 0.05"))
    assert main(["--root", str(tmp_path), "--check"]) == 1
    assert "stale: infra/prometheus/chat.rules.yml" in capsys.readouterr().err


def test_a_threshold_changed_without_rendering_is_caught(tmp_path: Path, repo_root: Path) -> None:
    for relative in generated_files(load_thresholds()):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(repo_root / relative, tmp_path / relative)
    edited = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    next(g for g in edited["gates"] if g["key"] == "fallback_rate")["critical"]["threshold"] = 0.2
    thresholds_file = tmp_path / "thresholds.yml"
    thresholds_file.write_text(yaml.safe_dump(edited))
    stale = stale_files(tmp_path, load_thresholds(thresholds_file))
    # The rules, the dashboard and the CloudWatch alarms all carry that number.
    assert sorted(stale) == sorted(generated_files(load_thresholds()))


def test_module_runs_as_a_command(tmp_path: Path, repo_root: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "babyshield_chat.devtools.alerting.render", "--root", str(tmp_path), "--check"],
        check=False,
        capture_output=True,
        text=True,
        cwd=repo_root,
        timeout=60,
        env={"PYTHONPATH": str(repo_root / "src"), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 1  # nothing rendered under tmp_path yet
    assert "stale: infra/cloudwatch/babyshield-chat.yml" in result.stderr
