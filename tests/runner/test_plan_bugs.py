"""Bugs the plans' author found in the runner's judgement, each pinned by a whole plan."""

from __future__ import annotations

from pathlib import Path

from rig.runner.api import run_plan
from tests.runner.support import EXAMPLES, write_plan


def test_a_pev_silent_before_binding_passes_the_shared_session_record_checks(
    tmp_path: Path,
) -> None:
    """The ESI never learnt the PEV's ID: the utility's records carry none, rightly."""
    text = (EXAMPLES / "br01_pev_silent.yaml").read_text(encoding="utf-8")
    checks = text[text.index("checks:") :]
    body = text[: text.index("checks:")] + (
        "checks:\n"
        "  - binding: none\n"
        "  - payer: {account: ACC-CAROL, utility: HPL}\n"
        "  - include: common/session_records.yaml\n"
    )
    assert "binding: none" in checks
    plan, path = write_plan(tmp_path, body)
    outcome = run_plan(plan, plan_file=path)
    assert outcome.verdict == "pass", outcome.failure
    names = {m.name for m in outcome.measurements}
    assert "intervals: incomplete records" in names
