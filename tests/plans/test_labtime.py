"""Lab time (rig/plans/labtime.py): the transform's rules, and the 2-h suite it buys.

The first tests are pure: a plan in, the profiled plan out, each rule checked on a
step or check written for it. The last runs the whole suite under ``lab-2h`` on
the simulated bench (virtual clock, ~15 s) — every plan must pass, every requirement
of the catalogue must still be evidenced by a passing measurement, and the bench
time plus the measured set-up per plan must fit in 2 h.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from rig.domain.requirements import catalogue
from rig.plans import Plan, labtime, load_plans, plan_files
from rig.plans import checks as c
from rig.plans import steps as s
from rig.plans.units import Duration, Energy
from rig.pytest_plugin.failure import describe
from rig.runner.api import finish_teardowns, run_plan
from rig.runner.world import dataset
from rig.yamlfile import YamlFileError

PLANS = Path(__file__).resolve().parents[2] / "test_plans"
#: Wall seconds a lab bench spends per plan outside its steps (set-up, drain, fetch,
#: judge, safe state): the largest measured on ``rig sim``'s wall clock was 2.6 s
#: (docs/benchmarks.md, "Lab time"); allowed here with a wide margin.
OVERHEAD_PER_PLAN_S = 15.0


@pytest.fixture(scope="module")
def profile() -> labtime.LabProfile:
    return labtime.load_profile("lab-2h")


@pytest.fixture(scope="module")
def plans() -> dict[Path, Plan]:
    return load_plans(plan_files(PLANS))


def by_id(plans: dict[Path, Plan], plan_id: str) -> Plan:
    return next(plan for plan in plans.values() if plan.plan == plan_id)


def test_charges_and_grid_signals_run_speedup_times_faster(
    profile: labtime.LabProfile, plans: dict[Path, Plan]
) -> None:
    plan = labtime.apply(profile, by_id(plans, "pg-dlc-event"))
    event = next(step for step in plan.steps if isinstance(step, s.DrEvent))
    assert (event.dr_event.after, event.dr_event.duration) == (Duration(40), Duration(120))
    charges = [step.charge.duration for step in plan.steps if isinstance(step, s.Charge)]
    assert charges == [Duration(20 * 60 / 15), Duration(15 * 60 / 15)]
    assert plan.utility_data == "two_utilities_lab"


def test_energy_targets_and_bounds_follow_time(
    profile: labtime.LabProfile, plans: dict[Path, Plan]
) -> None:
    plan = labtime.apply(profile, by_id(plans, "sc1-home"))
    until = [step.charge for step in plan.steps if isinstance(step, s.Charge) and step.charge.until]
    assert until[0].until == Energy(0.4) and until[0].within == Duration(8 * 60)
    dlc = labtime.apply(profile, by_id(plans, "pg-dlc-event"))
    bounds = next(check.energy for check in dlc.checks if isinstance(check, c.EnergyBounds))
    assert bounds.at_least == Energy(round(2 / 15, 4)) and bounds.at_most == Energy(0.3)
    grant = next(check.grant for check in plan.checks if isinstance(check, c.Grant))
    assert grant.energy == Energy(10)  # the request is a fact of the session, not plan time


def test_short_timeouts_are_kept_and_long_ones_not_shrunk_below_the_floor(
    profile: labtime.LabProfile, plans: dict[Path, Plan]
) -> None:
    written = by_id(plans, "pg-dlc-event")
    lab = labtime.apply(profile, written)
    pairs = [
        (a.wait_for.within.seconds, b.wait_for.within.seconds)
        for a, b in zip(written.steps, lab.steps, strict=True)
        if isinstance(a, s.WaitFor) and isinstance(b, s.WaitFor)
    ]
    assert (2.0, 2.0) in pairs and (60.0, 60.0) in pairs  # response times, as written
    assert (11 * 60.0, 300.0) in pairs  # 44 s would be below the outbox's 300-s backoff


def test_intervals_check_follows_the_lab_data_set(
    profile: labtime.LabProfile, plans: dict[Path, Plan]
) -> None:
    lab = labtime.apply(profile, by_id(plans, "sc2-host-pays"))
    length = next(check.intervals.length for check in lab.checks if isinstance(check, c.Intervals))
    assert length == Duration(60)
    for written, variant in profile.data_sets.items():
        base, short = dataset(written), dataset(variant)
        for utility in base.data.utilities:
            lab_utility = short.utilities[utility.id]
            assert lab_utility.interval_s * profile.speedup == utility.interval_s
            assert lab_utility.max_start_delay_s * profile.speedup == utility.max_start_delay_s
        assert short.pevs.keys() == base.pevs.keys() and short.tariffs == base.tariffs


def test_the_boundary_under_test_keeps_its_place(
    profile: labtime.LabProfile, plans: dict[Path, Plan]
) -> None:
    lab = labtime.apply(profile, by_id(plans, "pg-tou-boundary"))
    assert lab.start == datetime.fromisoformat("2026-03-02T15:58:00-06:00")  # 16:00 − 30 min / 15
    rtp = labtime.apply(profile, by_id(plans, "pg-rtp-hourly"))
    tariff = next(check.tariff for check in rtp.checks if isinstance(check, c.Tariff))
    assert [rate.rate for rate in tariff.rates] == [Decimal("0.050"), Decimal("0.040")]  # restated
    plain = labtime.apply(profile, by_id(plans, "sc2-host-pays"))
    assert plain.start == by_id(plans, "sc2-host-pays").start  # anchor: its own start


def test_a_plan_on_a_data_set_without_a_lab_variant_runs_as_written(
    profile: labtime.LabProfile, plans: dict[Path, Plan]
) -> None:
    plan = by_id(plans, "sc1-one-minute")
    assert not labtime.applies(profile, plan)
    assert labtime.apply(profile, plan) is plan


def test_a_bad_profile_is_reported_at_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nspeedup: 1\ndata_sets: {two_utilities: two_utilities_lab}\n")
    with pytest.raises(YamlFileError, match=r"bad.yaml:2:\d+: speedup"):
        labtime.load_profile(bad)


def test_the_profiled_suite_passes_evidences_every_requirement_and_fits_in_2_h(
    profile: labtime.LabProfile, plans: dict[Path, Plan]
) -> None:
    bench_s = 0.0
    evidenced: set[str] = set()
    for file, plan in plans.items():
        outcome = run_plan(labtime.apply(profile, plan), plan_file=file)
        assert outcome.passed, describe(outcome)
        bench_s += outcome.simulated_s
        evidenced |= {r for m in outcome.measurements if m.passed for r in m.requirements}
    finish_teardowns()
    missing = sorted(set(catalogue()) - evidenced)
    assert not missing, f"no passing measurement evidences {', '.join(missing)} under lab-2h"
    estimate_s = bench_s + len(plans) * OVERHEAD_PER_PLAN_S
    assert estimate_s <= 2 * 3600, f"lab-2h estimate {estimate_s / 3600:.2f} h"
