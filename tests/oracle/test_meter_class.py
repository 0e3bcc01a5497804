"""The guard-banded decision rule (ILAC-G8 / ISO 14253-1), by hand, and J-04's EUMD class budget."""

from __future__ import annotations

import math

import pytest

from rig.oracle.meter_class import check_meter_class
from rig.record import LoadSample, MeterSample, MeterTimeline
from rig.results.measurement_record import MeasurementRecord
from rig.results.measurements import Limits, Measurement, Verdict, overall_verdict
from rig.results.uncertainty import Term, Uncertainty

CLASS = Limits(low=-0.5, high=0.5)


@pytest.mark.parametrize(
    ("error", "verdict"),
    [
        (0.0, Verdict.PASS),
        (0.44, Verdict.PASS),  # 0.44 + 0.06 = 0.50 ≤ 0.5: inside even at its worst
        (0.45, Verdict.INCONCLUSIVE),  # 0.39 … 0.51 straddles the limit
        (0.55, Verdict.INCONCLUSIVE),  # 0.49 … 0.61
        (0.57, Verdict.FAIL),  # 0.51 > 0.5: outside even at its best
        (-0.57, Verdict.FAIL),
        (-0.45, Verdict.INCONCLUSIVE),
        (math.nan, Verdict.FAIL),
    ],
)
def test_pass_only_inside_the_guard_band_fail_only_beyond_it(
    error: float, verdict: Verdict
) -> None:
    assert CLASS.judge_guarded(error, 0.06) is verdict


def test_the_budget_is_root_sum_of_squares_times_k() -> None:
    # A class 0.05 reference (rectangular: 0.05/√3) and a 0.1 Wh-in-100 Wh register.
    budget = Uncertainty((Term("reference class", 0.05), Term("register", 0.03)))
    assert budget.combined == pytest.approx(math.sqrt(0.05**2 + 0.03**2) / math.sqrt(3))
    assert budget.expanded == pytest.approx(2 * budget.combined)
    assert budget.tur(-0.5, 0.5) == pytest.approx(0.5 / budget.expanded)
    assert budget.tur(None, 0.5) is None


def test_inconclusive_is_neither_a_pass_nor_a_failure_of_the_plan() -> None:
    budget = Uncertainty((Term("reference class", 0.05),))
    edge = Measurement.within("J-04 EUMD accuracy", 0.48, "%", CLASS, uncertainty=budget)
    fine = Measurement.within("J-04 EUMD accuracy", 0.10, "%", CLASS, uncertainty=budget)
    assert edge.verdict is Verdict.INCONCLUSIVE and not edge.passed
    assert edge.message.startswith("INCONCLUSIVE J-04 EUMD accuracy: measured 0.48 %")
    assert overall_verdict([fine, edge]) is Verdict.INCONCLUSIVE
    failing = Measurement.equals("payer", "A", "B")
    assert overall_verdict([fine, edge, failing]) is Verdict.FAIL
    # The results file keeps the budget, and the verdict is recomputed from it when read.
    stored = MeasurementRecord.from_measurement("run", "plan", None, edge)
    assert stored.uncertainty is not None and stored.uncertainty.tur == pytest.approx(8.66, 0.01)
    assert stored.to_measurement().verdict is Verdict.INCONCLUSIVE
    with pytest.raises(ValueError, match="records verdict PASS but its value and limits give"):
        MeasurementRecord.model_validate({**stored.model_dump(), "verdict": "PASS"})


def _meter(meter_id: str, pct: float, start_wh: float, wh: float, step: float) -> MeterTimeline:
    return MeterTimeline(
        meter_id, pct, "float32", step,
        samples=[MeterSample(0.0, start_wh, step), MeterSample(3600.0, start_wh + wh, step)],
        instrument=f"{meter_id} @ bench",
    )  # fmt: skip


LOAD = [LoadSample(t * 60.0, 240.0, 25.0, 6000.0) for t in range(61)]  # 6 kWh, steady


def test_the_eumd_is_judged_against_the_reference_with_its_budget() -> None:
    eumd = _meter("EUMD-1", 0.5, 1_000_000.0, 6036.0, 0.06)  # +0.6 % (1.2× class)
    reference = _meter("reference", 0.05, 500.0, 6000.0, 1e-9)
    [m] = check_meter_class(eumd, reference, LOAD, 0.5)
    # U = 2 × √((0.05/√3)² + (√2·0.06/2 / 6000 × 100 / √3)²) = 0.0577 %
    assert m.uncertainty is not None and m.uncertainty.expanded == pytest.approx(0.0578, abs=1e-4)
    assert (m.value, m.verdict) == (0.6, Verdict.FAIL)
    assert m.message.startswith(
        "FAIL J-04 EUMD accuracy vs reference: EUMD meter EUMD-1 (EUMD-1 @ bench) +0.600 % vs "
        "reference (reference @ bench): 6.0360 kWh against 6.0000 kWh; |error| − U = 0.542 % "
        "> 0.5 %: out of class"
    )
    assert "TUR 8.7:1" in m.detail and "ILAC-G8" in m.detail


def test_without_a_reference_the_load_cannot_pass_a_class_0_5_meter() -> None:
    eumd = _meter("EUMD-1", 0.5, 1_000_000.0, 6000.0, 0.06)  # exactly right
    [m] = check_meter_class(eumd, None, LOAD, 0.5)
    assert m.name == "J-04 EUMD accuracy vs load"
    assert m.uncertainty is not None and m.uncertainty.expanded > 0.5  # TUR below 1:1
    assert m.verdict is Verdict.INCONCLUSIVE
    assert check_meter_class(eumd, None, [], 0.5) == []  # nothing drawn: nothing to judge
