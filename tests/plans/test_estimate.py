"""The pre-flight wall-time estimate of a selection of plans (rig/plans/estimate.py)."""

from __future__ import annotations

import pytest

from plans.conftest import MINIMAL, Files
from rig.plans.estimate import SETUP_S, TYPICAL_WAIT_S, Site, describe, estimate, estimate_plan
from rig.plans.model import Plan


def plan(files: Files, steps: str, pev: str = "{id: PEV-ALICE}", bench: str = "") -> Plan:
    """:data:`MINIMAL` with these steps (YAML list lines), PEV and bench overrides."""
    text = MINIMAL.replace("  - plug_in\n  - charge: 1 h\n", steps)
    text = text.replace("pev: {id: PEV-ALICE, preferences: {energy: 10 kWh}}", f"pev: {pev}")
    files["p.yaml"] = text + (f"bench: {bench}\n" if bench else "")
    return files.load()


def test_charge_for_a_duration_counts_that_duration(files: Files) -> None:
    found = estimate_plan(plan(files, "  - plug_in\n  - charge: 1 h\n  - charge: 30 min\n"))
    assert found.typical_s == found.worst_s == SETUP_S + 5400


def test_waits_count_short_typically_and_their_timeout_at_worst(files: Files) -> None:
    steps = (
        "  - plug_in\n"
        "  - wait_for: pilot.state == B within 2 s\n"
        "  - wait_for: contactor == closed within 6 min\n"
    )
    found = estimate_plan(plan(files, steps))
    assert found.typical_s == SETUP_S + 2 + TYPICAL_WAIT_S
    assert found.worst_s == SETUP_S + 2 + 360


def test_charge_until_energy_takes_what_is_missing_at_the_pevs_power(files: Files) -> None:
    # 32 A x 240 V = 7.68 kW; 30 min delivers 3.84 kWh; 6 kWh needs 2.16 kWh more.
    steps = "  - plug_in\n  - charge: 30 min\n  - charge: {until: 6 kWh, within: 2 h}\n"
    found = estimate_plan(plan(files, steps, pev="{id: PEV-ALICE, max_current: 32 A}"))
    assert found.typical_s == pytest.approx(SETUP_S + 1800 + 2.16 / 7.68 * 3600)
    assert found.worst_s == SETUP_S + 1800 + 7200


def test_charge_until_is_capped_by_its_within(files: Files) -> None:
    steps = "  - plug_in\n  - charge: {until: 50 kWh, within: 1 h}\n"
    found = estimate_plan(plan(files, steps))
    assert found.typical_s == found.worst_s == SETUP_S + 3600


def test_charge_until_already_reached_takes_nothing(files: Files) -> None:
    steps = "  - plug_in\n  - charge: 2 h\n  - charge: {until: 1 kWh, within: 1 h}\n"
    found = estimate_plan(plan(files, steps))
    assert found.typical_s == SETUP_S + 7200
    assert found.worst_s == SETUP_S + 7200 + 3600


@pytest.mark.parametrize(
    ("pev", "bench", "site", "kw"),
    [
        ("{id: PEV-ALICE, max_current: 32 A}", "", Site(), 7.68),
        ("{id: PEV-ALICE, max_current: 32 A}", "", Site(volts=120.0), 3.84),
        ("{id: PEV-ALICE, max_current: 32 A}", "", Site(max_kw=6.0), 6.0),
        ("{id: PEV-ALICE, max_current: 32 A}", "{evse_max: 16 A}", Site(), 3.84),
        ("{id: PEV-ALICE, max_current: 32 A}", "{supply: cordset_120}", Site(), 3.84),
        (
            "{id: PEV-ALICE, max_current: 32 A, preferences: {energy: 9 kWh, max_power: 3 kW}}",
            "",
            Site(),
            3.0,
        ),
    ],
)
def test_the_charging_power_is_the_lowest_limit(
    files: Files, pev: str, bench: str, site: Site, kw: float
) -> None:
    steps = "  - plug_in\n  - charge: {until: 1 kWh, within: 10 h}\n"
    found = estimate_plan(plan(files, steps, pev=pev, bench=bench), site)
    assert found.typical_s == pytest.approx(SETUP_S + 3600 / kw)


def test_a_selection_sums_its_plans_and_reads_as_one_line(files: Files) -> None:
    one = plan(files, "  - plug_in\n  - charge: 1 h\n  - wait_for: pilot.state == A within 2 h\n")
    found = estimate([one] * 3)
    assert found.typical_s == 3 * (SETUP_S + 3600 + TYPICAL_WAIT_S)
    assert found.worst_s == 3 * (SETUP_S + 3600 + 7200)
    assert describe(found) == (
        "estimated wall time of 3 plans: about 3 h 2 min "
        "(at most 9 h 2 min if every wait runs to its timeout)"
    )
    assert describe(estimate([one])).startswith("estimated wall time of 1 plan: about 1 h 1 min")
