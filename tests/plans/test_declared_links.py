"""The links between plans, oracle and results are declared, and declared consistently."""

from __future__ import annotations

import typing

from rig.domain.checks import CheckKind, StepKind
from rig.plans import checks as c
from rig.plans import steps as s
from rig.results import SeriesKind, SeriesRecord


def test_every_check_kind_is_one_check_type_named_by_its_key() -> None:
    assert set(c.CHECK_TYPES) == set(CheckKind)
    for kind, check in c.CHECK_TYPES.items():
        assert check.kind is kind
        assert check.key() == kind.value


def test_every_check_type_declares_what_it_evidences() -> None:
    for check in c.CHECK_TYPES.values():
        assert check.evidences, check.key()


def test_payer_evidences_br03_once_declared() -> None:
    assert c.Payer.evidences == (*c.SCENARIOS, "BR-01", "BR-03", "BR-04", "BR-11")
    assert "BR-" not in (c.Payer.__doc__ or "")


def test_steps_that_set_a_limit_declare_which() -> None:
    steps = typing.get_args(typing.get_args(s.Step)[0])
    limits = {step.kind: step for step in steps if issubclass(step, s.SetsLimit)}
    assert set(limits) == set(StepKind)
    for kind, step in limits.items():
        assert step.key() == kind.value


def test_each_outage_is_ended_by_its_back_step() -> None:
    assert s.UtilityBack.ends is s.UtilityUnreachable
    assert s.ClearinghouseBack.ends is s.ClearinghouseUnreachable
    open_ended = (s.MeterUnavailable, s.PilotFault, s.PevStopsCommunicating)
    assert all(issubclass(step, s.Fault) for step in open_ended)


def test_a_series_says_its_kind_and_an_old_file_reads_with_the_kind_it_names() -> None:
    old = SeriesRecord.model_validate(
        {"run_id": "r", "plan": "p", "name": "billed energy", "unit": "kWh", "points": []}
    )
    assert old.kind is SeriesKind.BILLED_ENERGY
    other = SeriesRecord(run_id="r", plan="p", name="evse.ampacity", unit="A", points=())
    assert other.kind is None
    assert SeriesKind.BILLED_ENERGY.unit == "kWh"
