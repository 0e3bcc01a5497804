"""J-04 with tolerances worked out by hand: a float32 register at a large total, an acc32
counter across its roll-over, and a meter that went backwards."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

import pytest

from rig.oracle.energy import EnergyTolerances, load_energy
from rig.oracle.energy import check_energy as check_with
from rig.record import LoadSample, MeterSample, MeterTimeline
from rig.results.measurements import Verdict

HOUR = 3600.0
#: J-04 on a bench whose load declares ±0.5 % of reading (the bench file's to state).
check_energy = partial(check_with, tolerances=EnergyTolerances(load_accuracy_pct=0.5))


def steady_load(kw: float, hours: float = 1.0) -> list[LoadSample]:
    """One reading a minute at a constant power: the trapezoid is exact, sampling bound 0."""
    steps = int(hours * 60)
    return [LoadSample(i * 60.0, 240.0, kw * 1000 / 240, kw * 1000) for i in range(steps + 1)]


def float32_meter(start_kwh: float, end_kwh: float, step_wh: float) -> MeterTimeline:
    return MeterTimeline(
        "eumd",
        accuracy_pct=0.5,
        register="float32",
        resolution_wh=step_wh,
        samples=[
            MeterSample(0.0, start_kwh * 1000, step_wh),
            MeterSample(HOUR, end_kwh * 1000, step_wh),
        ],
    )


def test_float32_resolution_at_a_large_total_widens_the_tolerance() -> None:
    # At 1,000,000 kWh a float32 kWh register steps 2**-4 kWh = 62.5 Wh.
    # EUMD 10.000 kWh, load 10.120 kWh (120 Wh apart). Tolerance by hand:
    # class 0.5 % × 10,000 = 50 Wh; register (62.5 + 62.5)/2 = 62.5 Wh;
    # load 0.5 % × 10,120 = 50.6 Wh; sampling 0 → 163.1 Wh: agrees.
    big = check_energy(float32_meter(1_000_000.0, 1_000_010.0, 62.5), steady_load(10.12), None,
                       intervals=4)  # fmt: skip
    assert big[0].verdict is Verdict.PASS
    assert big[0].limits is not None
    assert big[0].limits.low == pytest.approx(10.0 - 0.1631)
    assert big[0].limits.high == pytest.approx(10.0 + 0.1631)
    # The same 120 Wh at a fresh meter (step ≈ 0) has only 100.6 Wh of tolerance.
    small = check_energy(float32_meter(10.0, 20.0, 0.001), steady_load(10.12), None, intervals=4)
    assert small[0].verdict is Verdict.FAIL
    assert "differs by 0.1200 kWh, tolerance 0.1006 kWh" in small[0].message


def test_acc32_roll_over_is_counted_once() -> None:
    # SunSpec TotWhImp acc32, SF 0: 1 Wh steps, wraps at 2**32 Wh. 5,000 Wh before the
    # wrap to 5,000 Wh after it is 10,000 Wh.
    wrap = 2.0**32
    meter = MeterTimeline(
        "eumd",
        accuracy_pct=0.2,
        register="acc32",
        resolution_wh=1.0,
        rollover_wh=wrap,
        samples=[
            MeterSample(0.0, wrap - 5000, 1.0),
            MeterSample(1800.0, wrap - 1, 1.0),
            MeterSample(HOUR, 5000.0, 1.0),
        ],
    )
    measured = check_energy(meter, steady_load(10.0), Decimal("10.000"), intervals=4)
    assert [m.verdict for m in measured] == [Verdict.PASS, Verdict.PASS]
    assert measured[0].limits is not None and measured[0].limits.low == pytest.approx(
        10.0 - (20 + 1 + 50) / 1000  # class 0.2 % + register 1 Wh + load 0.5 %
    )
    # Billed vs EUMD: class 20 Wh + register 1 Wh + 4 intervals × 0.5 Wh = 23 Wh.
    assert measured[1].limits is not None and measured[1].limits.high == pytest.approx(10.023)


def test_billed_energy_outside_tolerance_fails_naming_the_budget() -> None:
    meter = float32_meter(10.0, 20.0, 0.001)
    measured = check_energy(meter, steady_load(10.0), Decimal("9.900"), intervals=4)
    assert measured[1].verdict is Verdict.FAIL
    assert measured[1].message.startswith(
        "FAIL J-04 billed energy vs EUMD: 9.9000 kWh against EUMD 10.0000 kWh: differs by "
        "0.1000 kWh, tolerance 0.0520 kWh (meter class 0.0500 + register 0.0000 + billing"
    )


def test_near_the_edge_is_marginal() -> None:
    # Load 10.09 kWh: 90 Wh apart, tolerance 50 + 0 + 50.45 = 100.45 Wh, marginal past 80 %.
    measured = check_energy(float32_meter(10.0, 20.0, 0.0), steady_load(10.09), None, intervals=1)
    assert measured[0].verdict is Verdict.MARGINAL


def test_meter_gone_backwards_fails() -> None:
    measured = check_energy(float32_meter(20.0, 10.0, 0.001), steady_load(10.0), None, intervals=1)
    assert measured[0].verdict is Verdict.FAIL
    assert "went backwards" in measured[0].message


def test_sampling_bound_covers_a_step_between_readings() -> None:
    readings = [LoadSample(0.0, 240, 0, 0.0), LoadSample(HOUR, 240, 30, 7200.0)]
    energy, bound = load_energy(readings)
    # The trapezoid says 3.6 kWh; the step could have come anywhere: ±3.6 kWh.
    assert (energy, bound) == (3600.0, 3600.0)


def test_a_step_size_rounding_is_expected_not_tolerated() -> None:
    # A 1 kWh step size bills 3.2 kWh metered as 4.000 kWh: 0.800 kWh of step rounding.
    # That is what a correct utility bills, so it is the expected value (EUMD + rounding),
    # and only real uncertainty is tolerated around it: class 0.5 % × 3.2 kWh = 16 Wh,
    # register 1 Wh, 4 intervals × 0.5 Wh = 2 Wh: 19 Wh. A correct bill is a plain PASS.
    meter = float32_meter(10.0, 13.2, 1.0)
    measured = check_energy(
        meter, steady_load(3.2), Decimal("4.000"), intervals=4, step_extra_kwh=Decimal("0.800")
    )
    billed = measured[1]
    assert billed.verdict is Verdict.PASS, billed.message
    assert billed.limits is not None
    assert billed.limits.low == pytest.approx(4.0 - 0.019)
    assert billed.limits.high == pytest.approx(4.0 + 0.019)
    # A utility that forgets the rounding (bills the metered 3.2 kWh) now fails; before,
    # the rounding widened the tolerance to 0.819 kWh and let 3.2 kWh through.
    forgot = check_energy(
        meter, steady_load(3.2), Decimal("3.200"), intervals=4, step_extra_kwh=Decimal("0.800")
    )[1]
    assert forgot.verdict is Verdict.FAIL
    assert "step rounding 0.8000" in forgot.message
