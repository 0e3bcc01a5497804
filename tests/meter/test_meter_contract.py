"""The Meter contract: what the rig relies on from any meter, simulated or on a bench.

Each test runs against the simulated meter over its real wire for both maps and
both framings, and against a real meter when ``--meter-url`` is given. Tests that
compare with the model's truth skip on a real meter.
"""

from __future__ import annotations

import math

import pytest

from drivers.kinds import Meter, MeterSnapshot
from drivers.meter import snapshot_delta
from tests.meter.conftest import CHARGE_A, MeterUnderTest


def test_is_a_meter(meter_under_test: MeterUnderTest) -> None:
    meter: Meter = meter_under_test.meter  # the protocol the rig sees
    assert meter.name


def test_identity_names_the_instrument(meter_under_test: MeterUnderTest) -> None:
    ident = meter_under_test.meter.identity()
    assert ident.model, ident
    if meter_under_test.bench is not None:
        assert ident.serial, ident


def test_snapshot_is_plausible(meter_under_test: MeterUnderTest) -> None:
    snap = meter_under_test.meter.snapshot()
    assert isinstance(snap, MeterSnapshot)
    for value in (snap.voltage_v, snap.current_a, snap.power_w, snap.frequency_hz):
        assert math.isfinite(value)
    assert snap.voltage_v >= 0 and snap.current_a >= 0
    assert snap.frequency_hz == 0 or 45 <= snap.frequency_hz <= 65
    assert snap.import_energy_wh > 0
    assert 0 < snap.energy_resolution_wh <= 1000


def test_energy_never_goes_backwards(meter_under_test: MeterUnderTest) -> None:
    meter = meter_under_test.meter
    first = meter.snapshot()
    if meter_under_test.bench is not None:
        meter_under_test.bench.clock.advance(60.0)
    second = meter.snapshot()
    delta = snapshot_delta(first, second, rollover_wh=meter.energy_rollover_wh)
    assert delta.wh >= 0
    assert delta.uncertainty_wh >= 0
    assert not delta.rolled_over


def test_snapshot_matches_the_model(meter_under_test: MeterUnderTest) -> None:
    bench = meter_under_test.bench
    if bench is None:
        pytest.skip("needs the simulated model's truth")
    snap = meter_under_test.meter.snapshot()
    truth = bench.model.truth()
    assert snap.voltage_v == pytest.approx(truth.line_voltage_v, rel=0.01)
    assert snap.current_a == pytest.approx(CHARGE_A, rel=0.01)
    assert snap.power_w == pytest.approx(truth.power_w, rel=0.01)
    assert snap.frequency_hz == pytest.approx(60.0, abs=0.1)


def test_energy_delta_follows_the_model(meter_under_test: MeterUnderTest) -> None:
    bench = meter_under_test.bench
    if bench is None:
        pytest.skip("needs the simulated model's truth")
    meter = meter_under_test.meter
    before, truth_before = meter.snapshot(), bench.model.truth().energy_wh
    bench.clock.advance(600.0)
    after, truth_after = meter.snapshot(), bench.model.truth().energy_wh
    delta = snapshot_delta(before, after, rollover_wh=meter.energy_rollover_wh)
    expected = (truth_after - truth_before) * (1 + bench.model.config.eumd.bias_pct / 100)
    assert expected > 600  # 16 A at 240 V for 10 min is about 640 Wh
    assert delta.agrees_with(expected, tolerance_wh=1e-6 * expected)
