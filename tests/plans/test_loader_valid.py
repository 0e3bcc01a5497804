"""Valid plans load into the typed model: example plans, shorthands, includes and anchors."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from rig.plans import checks, steps
from rig.plans.loader import load_plans, plan_files
from rig.plans.model import Plan
from rig.plans.units import Current, Duration, Energy, Power
from rig.yamlfile import YamlFileError
from tests.plans.conftest import MINIMAL, Files

TEST_PLANS = Path(__file__).resolve().parents[2] / "test_plans"


@pytest.fixture(scope="module")
def examples() -> dict[str, Plan]:
    return {path.name: plan for path, plan in load_plans(plan_files(TEST_PLANS)).items()}


def test_every_example_plan_loads(examples: dict[str, Plan]) -> None:
    # the three examples the format docs show, among the whole suite (issue 4, section 5)
    assert {"pg_tou_boundary.yaml", "sc1_home.yaml", "sc4_home_rate.yaml"} <= set(examples)


def test_sc1_home_is_typed_through(examples: dict[str, Plan]) -> None:
    plan = examples["sc1_home.yaml"]
    assert (plan.plan, plan.scenario, plan.premise, plan.portal) == (
        "sc1-home",
        "sc1",
        "PREM-ALICE",
        "EP-ALICE-240",
    )
    assert plan.start == datetime(2026, 3, 2, 10, tzinfo=timezone(timedelta(hours=-6)))
    assert plan.pev.id == "PEV-ALICE" and plan.pev.max_current == Current(32)
    assert plan.pev.preferences is not None
    assert plan.pev.preferences.energy == Energy(10)
    assert plan.pev.preferences.max_power == Power(6.6)  # the plan's own, over the fragment's 7.2
    assert plan.pev.preferences.departure_in == Duration(36000)
    assert [type(step) for step in plan.steps] == [
        steps.PlugIn,
        steps.WaitFor,
        steps.Bind,
        steps.WaitFor,
        steps.EnergyRequest,
        steps.WaitFor,
        steps.Charge,
        steps.SetAmpacity,
        steps.WaitFor,
        steps.Charge,
        steps.Unplug,
        steps.WaitFor,
    ]
    assert [type(check) for check in plan.checks] == [
        checks.Binding,
        checks.Grant,
        checks.Payer,
        checks.Tariff,
        checks.Incentive,
        checks.Amount,
        checks.PevNotified,
        checks.Intervals,
        checks.AuditLog,
        checks.Electrical,
        checks.EnergyAgreement,
    ]


def test_steps_carry_typed_arguments(examples: dict[str, Plan]) -> None:
    plan = examples["sc1_home.yaml"]
    wait = plan.steps[5]
    assert isinstance(wait, steps.WaitFor)
    assert wait.wait_for.within == Duration(360)  # room for the grant's random delay (BR-08)
    assert wait.wait_for.until.observables == {"pilot.state", "contactor"}
    assert wait.wait_for.until.holds({"pilot.state": "C", "contactor": "closed"})
    assert not wait.wait_for.until.holds({"pilot.state": "C", "contactor": "open"})
    first, second = plan.steps[6], plan.steps[9]
    assert isinstance(first, steps.Charge) and first.charge.duration == Duration(1800)
    assert isinstance(second, steps.Charge)
    assert (second.charge.until, second.charge.within) == (Energy(6), Duration(7200))
    ampacity = plan.steps[7]
    assert isinstance(ampacity, steps.SetAmpacity) and ampacity.set_ampacity.current == Current(16)


def test_tou_boundary_expects_two_rate_periods(examples: dict[str, Plan]) -> None:
    tariff = examples["pg_tou_boundary.yaml"].checks[1]
    assert isinstance(tariff, checks.Tariff)
    assert tariff.tariff.id == "HPL-PEV-TOU"
    assert [(r.period, r.rate) for r in tariff.tariff.rates] == [
        ("mid_peak", Decimal("0.120")),
        ("on_peak", Decimal("0.280")),
    ]


def test_included_fragments_merge_under_the_plan(examples: dict[str, Plan]) -> None:
    plan = examples["sc4_home_rate.yaml"]
    assert plan.utility_data == "two_utilities"  # from common/pev_alice.yaml
    assert plan.premise == "PREM-HANK"  # the plan's own
    assert plan.pev.preferences is not None
    assert plan.pev.preferences.roaming_option == "home_rate"  # merged into the fragment's
    assert plan.pev.preferences.energy == Energy(10)  # kept from the fragment
    settlement = plan.checks[5]
    assert isinstance(settlement, checks.Settlement)
    assert settlement.settlement.option == "home_rate"


def test_shorthand_and_full_forms_are_the_same(files: Files) -> None:
    short = """\
  - plug_in
  - wait_for: pilot.state == B within 2 s
  - charge: 90
  - pilot_fault: E
  - utility_unreachable
  - utility_back
  - set_ampacity: 16 A
"""
    full = """\
  - plug_in: ~
  - wait_for: {until: pilot.state == B, within: 2 s}
  - charge: {for: 90 s}
  - pilot_fault: {state: E}
  - utility_unreachable: {utility: premise}
  - utility_back: {utility: premise}
  - set_ampacity: {current: 16 A}
"""
    body = "  - plug_in\n  - charge: 1 h\n"
    files["short.yaml"] = MINIMAL.replace(body, short)
    files["full.yaml"] = MINIMAL.replace(body, full)
    assert files.load("short.yaml").steps == files.load("full.yaml").steps


def test_grid_signals(files: Files) -> None:
    files["p.yaml"] = MINIMAL.replace(
        "  - charge: 1 h\n",
        "  - dr_event: {after: 10 min, duration: 30 min}\n"
        "  - alm_change: {limit: 3.3 kW}\n"
        "  - price: {after: 1 h, per_kwh: [0.09, 0.14]}\n",
    )
    dr, alm, price = files.load().steps[1:]
    assert isinstance(dr, steps.DrEvent) and isinstance(alm, steps.AlmChange)
    assert isinstance(price, steps.Price)
    assert (dr.dr_event.after, dr.dr_event.duration, dr.dr_event.limit) == (
        Duration(600),
        Duration(1800),
        Current(0),
    )
    assert alm.alm_change.limit == Power(3.3) and alm.alm_change.after == Duration(0)
    assert price.price.per_kwh == [Decimal("0.09"), Decimal("0.14")]


def test_anchors_merge_keys_and_scratch_keys(files: Files) -> None:
    files["p.yaml"] = "x-event: &event {after: 10 min, duration: 30 min}\n" + MINIMAL.replace(
        "  - charge: 1 h\n", "  - dr_event: {<<: *event, limit: 6 A}\n"
    )
    (event,) = files.load().steps[1:]
    assert isinstance(event, steps.DrEvent)
    assert (event.dr_event.after, event.dr_event.limit) == (Duration(600), Current(6))


def test_includes_in_order_then_the_plan_on_top(files: Files) -> None:
    files["p.yaml"] = "include: [common/a.yaml, common/b.yaml]\nplan: mine\n"
    files["common/a.yaml"] = MINIMAL.replace("plan: p", "plan: from-a")
    files["common/b.yaml"] = "title: from b\nsteps: [plug_in]\npev: {communicating: true}\n"
    plan = files.load()
    assert (plan.plan, plan.title) == ("mine", "from b")
    assert [type(step) for step in plan.steps] == [steps.PlugIn]  # lists are replaced whole
    assert plan.pev.id == "PEV-ALICE" and plan.pev.preferences is not None  # mappings merge


def test_step_includes_splice_nested_fragments(files: Files) -> None:
    files["p.yaml"] = MINIMAL.replace("  - plug_in\n", "  - include: common/open.yaml\n")
    files["common/open.yaml"] = "- plug_in\n- include: more/bind.yaml\n"
    files["common/more/bind.yaml"] = "- bind\n- energy_request\n"
    assert [type(step) for step in files.load().steps] == [
        steps.PlugIn,
        steps.Bind,
        steps.EnergyRequest,
        steps.Charge,
    ]


def test_a_fragment_included_twice_is_not_a_cycle(files: Files) -> None:
    files["p.yaml"] = MINIMAL.replace(
        "  - charge: 1 h\n", "  - include: c.yaml\n  - include: c.yaml\n"
    )
    files["c.yaml"] = "- charge: 10 min\n"
    assert len(files.load().steps) == 3


def test_a_directory_rejects_a_plan_id_used_twice(files: Files) -> None:
    files["a.yaml"] = MINIMAL
    files["b.yaml"] = MINIMAL
    with pytest.raises(YamlFileError) as caught:
        load_plans(["a.yaml", "b.yaml"], read=files.read)
    assert [str(i) for i in caught.value.issues] == [
        "b.yaml:1:1: plan: plan ID 'p' is also used by a.yaml"
    ]


def test_a_directory_reports_the_issues_of_every_file(files: Files) -> None:
    files["a.yaml"] = MINIMAL.replace("title: T", "titel: T")
    files["b.yaml"] = MINIMAL.replace("plan: p", "plan: q").replace("sc1", "sc9")
    with pytest.raises(YamlFileError) as caught:
        load_plans(["a.yaml", "b.yaml"], read=files.read)
    assert [i.file for i in caught.value.issues] == ["a.yaml", "a.yaml", "b.yaml"]
