"""Helpers for the runner tests: where the example plans are, and plans written on the fly."""

from __future__ import annotations

from pathlib import Path

from rig.plans import Plan, load_plan

EXAMPLES = Path(__file__).resolve().parents[2] / "test_plans"


def write_plan(directory: Path, text: str) -> tuple[Plan, Path]:
    """A plan file in ``directory`` (beside a copy of the examples' fragments)."""
    path = directory / "plan.yaml"
    common = directory / "common"
    if not common.exists():
        common.mkdir()
        for fragment in (EXAMPLES / "common").glob("*.yaml"):
            (common / fragment.name).write_text(fragment.read_text(encoding="utf-8"))
    path.write_text(text, encoding="utf-8")
    return load_plan(path), path
