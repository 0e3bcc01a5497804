"""Energy arithmetic: float32 resolution at large totals, acc32 roll-over, refusing nonsense."""

from __future__ import annotations

import math
import struct

import pytest

from drivers.errors import InstrumentReplyError
from drivers.kinds import MeterSnapshot
from drivers.meter.energy import (
    EnergyDelta,
    acc32_resolution_wh,
    acc32_rollover_wh,
    energy_delta,
    float32_resolution_wh,
    float32_step,
    snapshot_delta,
)


def _next_float32(value: float) -> float:
    (bits,) = struct.unpack(">I", struct.pack(">f", value))
    (after,) = struct.unpack(">f", struct.pack(">I", bits + 1))
    return float(after)


@pytest.mark.parametrize(
    ("total_kwh", "step_wh"),
    [(1_000.0, 0.06103515625), (10_000.0, 0.9765625), (100_000.0, 7.8125), (1e6, 62.5)],
)
def test_float32_resolution_table(total_kwh: float, step_wh: float) -> None:
    assert float32_resolution_wh(total_kwh) == step_wh


@pytest.mark.parametrize("value", [0.5, 1.0, 3.14159, 1234.5, 65_432.1, 9.99e6, 1.5e-3])
def test_float32_step_is_the_real_distance_to_the_next_float32(value: float) -> None:
    stored = struct.unpack(">f", struct.pack(">f", value))[0]
    assert float32_step(stored) == _next_float32(stored) - stored


def test_float32_step_at_zero_and_nan_is_the_smallest_subnormal() -> None:
    assert float32_step(0.0) == 2.0**-149
    assert float32_step(math.nan) == 2.0**-149


def test_small_session_on_a_large_float32_total_carries_its_uncertainty() -> None:
    # A 100,000 kWh meter: float32 can only show 7.8 Wh steps.
    before_kwh = struct.unpack(">f", struct.pack(">f", 100_000.0))[0]
    after_kwh = struct.unpack(">f", struct.pack(">f", 100_000.005))[0]  # 5 Wh later
    delta = energy_delta(
        before_kwh * 1000,
        after_kwh * 1000,
        before_resolution_wh=float32_resolution_wh(before_kwh),
        after_resolution_wh=float32_resolution_wh(after_kwh),
    )
    assert delta.wh == pytest.approx(7.8125)  # the register moved one step
    assert delta.uncertainty_wh == pytest.approx(7.8125)
    assert delta.agrees_with(5.0)
    assert not delta.agrees_with(20.0)


def test_plain_delta() -> None:
    delta = energy_delta(1000.0, 1500.5, before_resolution_wh=1.0, after_resolution_wh=1.0)
    assert delta == EnergyDelta(500.5, 1.0, rolled_over=False)
    assert delta.kwh == pytest.approx(0.5005)


@pytest.mark.parametrize("sf", [-1, 0, 1, 2])
def test_acc32_rollover_delta(sf: int) -> None:
    step = acc32_resolution_wh(sf)
    wrap = acc32_rollover_wh(sf)
    assert wrap == 2**32 * 10.0**sf
    before = (2**32 - 3) * step
    after = 7 * step
    delta = energy_delta(
        before, after, before_resolution_wh=step, after_resolution_wh=step, rollover_wh=wrap
    )
    assert delta.rolled_over
    assert delta.wh == pytest.approx(10 * step)
    assert delta.uncertainty_wh == step


def test_a_small_drop_is_not_a_rollover() -> None:
    with pytest.raises(InstrumentReplyError, match="went backwards") as info:
        energy_delta(5000.0, 4990.0, rollover_wh=acc32_rollover_wh(0), instrument="eumd")
    assert info.value.instrument == "eumd"
    assert "too small a drop for a roll-over" in str(info.value)


def test_float32_total_going_backwards_is_an_error() -> None:
    with pytest.raises(InstrumentReplyError, match="meter reset, replaced or misread"):
        energy_delta(5000.0, 4999.0)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -1.0])
def test_non_totals_are_refused(bad: float) -> None:
    with pytest.raises(InstrumentReplyError, match="is not a meter total"):
        energy_delta(bad, 10.0)
    with pytest.raises(InstrumentReplyError, match="is not a meter total"):
        energy_delta(10.0, bad)


def test_snapshot_delta_uses_each_snapshots_resolution() -> None:
    a = MeterSnapshot(240.0, 16.0, 3840.0, 60.0, 1000.0, 2.0)
    b = MeterSnapshot(240.0, 16.0, 3840.0, 60.0, 1384.0, 4.0)
    delta = snapshot_delta(a, b)
    assert delta.wh == 384.0
    assert delta.uncertainty_wh == 3.0
