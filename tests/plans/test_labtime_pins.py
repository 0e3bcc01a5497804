"""Hand-pinned figures under a lab-time profile (rig/plans/labtime.py)."""

from __future__ import annotations

from pathlib import Path

from rig.plans import checks as c
from rig.plans import labtime, load_plan
from rig.plans.units import Energy

ROOT = Path(__file__).resolve().parents[2]


def test_a_hand_computed_total_is_left_out_and_energy_bounds_scale() -> None:
    plan = load_plan(ROOT / "test_plans" / "pg_tou_weekend.yaml")
    written = {check.key(): check for check in plan.checks}
    assert isinstance(written["amount"], c.Amount) and written["amount"].amount.total is not None
    lab = labtime.apply(labtime.load_profile("lab-2h"), plan)
    checks = {check.key(): check for check in lab.checks}
    amount, energy = checks["amount"], checks["energy"]
    assert isinstance(amount, c.Amount) and amount.amount.total is None
    assert isinstance(energy, c.EnergyBounds) and energy.energy.at_most == Energy(
        round(3.4 / 15, 4)
    )


def test_the_hand_priced_data_set_has_a_lab_variant_anchored_at_its_boundaries() -> None:
    profile = labtime.load_profile("lab-2h")
    plan = load_plan(ROOT / "test_plans" / "pg_tou_off_grid.yaml")
    lab = labtime.apply(profile, plan)
    assert lab.utility_data == "edge_cases_lab"
    assert lab.start is not None and lab.start.strftime("%H:%M:%S") == "16:09:13"
