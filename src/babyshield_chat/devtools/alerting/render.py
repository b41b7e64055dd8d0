"""Write (or check) every file generated from thresholds.yml.

``python -m babyshield_chat.devtools.alerting.render`` regenerates, relative to the
repository root (the current directory unless ``--root``):

- ``infra/prometheus/chat.rules.yml`` — recording and alerting rules,
- ``infra/grafana/dashboards/babyshield-chat.json`` — the provisioned dashboard,
- ``infra/cloudwatch/babyshield-chat.yml`` — the CloudFormation template.

``--check`` writes nothing and exits 1 naming each file that differs from
what thresholds.yml generates, so CI and the drift test catch a hand edit or a
threshold changed without re-rendering.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from babyshield_chat.devtools.alerting.cloudformation import render_template
from babyshield_chat.devtools.alerting.generated import dump_json
from babyshield_chat.devtools.alerting.grafana import build_dashboard
from babyshield_chat.devtools.alerting.rules import render_rules
from babyshield_chat.alerting.thresholds import Thresholds, load_thresholds

RULES_PATH = "infra/prometheus/chat.rules.yml"
DASHBOARD_PATH = "infra/grafana/dashboards/babyshield-chat.json"
CLOUDFORMATION_PATH = "infra/cloudwatch/babyshield-chat.yml"


def generated_files(thresholds: Thresholds) -> dict[str, str]:
    """Repository-relative path → the exact text it must contain."""
    return {
        RULES_PATH: render_rules(thresholds),
        DASHBOARD_PATH: dump_json(build_dashboard(thresholds)),
        CLOUDFORMATION_PATH: render_template(thresholds),
    }


def stale_files(root: Path, thresholds: Thresholds) -> list[str]:
    """Generated files that are missing under ``root`` or differ from a fresh render."""
    stale = []
    for relative, text in generated_files(thresholds).items():
        path = root / relative
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(relative)
    return stale


def write_files(root: Path, thresholds: Thresholds) -> list[Path]:
    written = []
    for relative, text in generated_files(thresholds).items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m babyshield_chat.devtools.alerting.render", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="repository root (default: current directory)")
    parser.add_argument("--thresholds", type=Path, default=None, help="thresholds.yml (default: the packaged one)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a generated file is stale")
    args = parser.parse_args(argv)
    thresholds = load_thresholds(args.thresholds)
    if args.check:
        stale = stale_files(args.root, thresholds)
        for relative in stale:
            print(f"stale: {relative} differs from what thresholds.yml generates", file=sys.stderr)
        return 1 if stale else 0
    for path in write_files(args.root, thresholds):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
