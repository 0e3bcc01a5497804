"""Physics of the coupled model: energy, J-02 duty↔ampacity, J-05 contactor timing, determinism."""

from __future__ import annotations

import pytest

from drivers.j1772 import ampacity_from_duty, duty_from_ampacity
from drivers.kinds import PilotState
from drivers.sim.model import BenchModel, MeterConfig, ModelConfig
from drivers.sim.noise import gaussian
from rig.clock import VirtualClock

START = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def charging_model(config: ModelConfig | None = None, amps: float = 16.0) -> BenchModel:
    """A model plugged in, advertising ``amps``, in state C with the load on at 40 A."""
    model = BenchModel(config or ModelConfig(), VirtualClock(START))
    model.set_pilot_state(PilotState.B)
    model.set_duty(duty_from_ampacity(amps))
    model.set_load_current(40.0)
    model.set_load_input(True)
    model.set_pilot_state(PilotState.C)
    return model


def test_energy_is_the_integral_of_power() -> None:
    model = charging_model()
    clock = model.clock
    assert isinstance(clock, VirtualClock)
    integral_wh = 0.0
    clock.advance(5.0)  # contactor closed and load following by now
    before = model.truth().energy_wh
    for _ in range(3600):
        power = model.truth().power_w
        clock.advance(1.0)
        integral_wh += power / 3600.0
    delivered = model.truth().energy_wh - before
    assert delivered == pytest.approx(integral_wh, rel=1e-9)
    assert delivered == pytest.approx(240 * 16 / 1000 * 1000, rel=0.01)


@pytest.mark.parametrize(
    ("duty", "amps"),
    [
        (5.0, 0.0),
        (2.0, 0.0),
        (9.0, 6.0),
        (10.0, 6.0),
        (50.0, 30.0),
        (85.0, 51.0),
        (90.0, 65.0),
        (96.0, 80.0),
        (97.0, 0.0),
    ],
)
def test_duty_to_ampacity_follows_j02(duty: float, amps: float) -> None:
    assert ampacity_from_duty(duty) == pytest.approx(amps)


@pytest.mark.parametrize("amps", [6.0, 12.0, 16.0, 32.0, 48.0, 51.0, 60.0, 80.0])
def test_ampacity_round_trips_through_duty(amps: float) -> None:
    assert ampacity_from_duty(duty_from_ampacity(amps)) == pytest.approx(amps)


def test_load_never_draws_more_than_advertised_or_evse_limit() -> None:
    model = charging_model(ModelConfig(evse_max_a=12.0), amps=16.0)
    model.clock.sleep(5.0)
    assert model.truth().current_a == pytest.approx(12.0)


def test_contactor_closes_within_3s_of_c_and_opens_within_100ms_of_leaving() -> None:
    config = ModelConfig(contactor_close_s=2.5, contactor_open_s=0.08)
    model = charging_model(config)
    t_c = model.clock.now()
    model.clock.sleep(2.49)
    assert not model.truth().contactor_closed
    model.clock.sleep(0.02)
    assert model.truth().contactor_closed
    model.set_pilot_state(PilotState.B)
    t_b = model.clock.now()
    model.clock.sleep(0.079)
    assert model.truth().contactor_closed
    model.clock.sleep(0.002)
    assert not model.truth().contactor_closed
    moves = [(e.t, e.value) for e in model.events if e.name == "contactor"]
    assert moves == [(pytest.approx(t_c + 2.5), True), (pytest.approx(t_b + 0.08), False)]


def test_no_contactor_without_pwm() -> None:
    model = BenchModel(ModelConfig(), VirtualClock(START))
    model.set_pilot_state(PilotState.C)
    model.clock.sleep(10.0)
    assert not model.truth().contactor_closed


@pytest.mark.parametrize("fault", [PilotState.E, PilotState.F])
def test_e_and_f_cut_power(fault: PilotState) -> None:
    model = charging_model()
    model.clock.sleep(5.0)
    assert model.truth().current_a > 0
    model.set_pilot_state(fault)
    model.clock.sleep(0.1)
    truth = model.truth()
    assert not truth.contactor_closed
    assert truth.current_a == 0.0


def test_load_follows_an_ampacity_drop_after_its_reaction_time() -> None:
    model = charging_model(ModelConfig(load_follow_s=2.0), amps=32.0)
    model.clock.sleep(5.0)
    assert model.truth().current_a == pytest.approx(32.0)
    model.set_duty(duty_from_ampacity(10.0))
    model.clock.sleep(1.9)
    assert model.truth().current_a == pytest.approx(32.0)
    model.clock.sleep(0.2)
    assert model.truth().current_a == pytest.approx(10.0)


def test_meter_counts_with_its_bias_from_its_starting_total() -> None:
    config = ModelConfig(eumd=MeterConfig(accuracy_pct=0.5, bias_pct=0.4, start_wh=1e6))
    model = charging_model(config)
    model.clock.sleep(3600.0)
    true_wh = model.truth().energy_wh
    assert model.meter("eumd").import_wh == pytest.approx(1e6 + true_wh * 1.004, rel=1e-12)


def test_premise_meter_adds_base_load() -> None:
    config = ModelConfig(premise_meter=MeterConfig(bias_pct=0.0), premise_base_load_w=1000.0)
    model = charging_model(config)
    model.clock.sleep(3600.0)
    premise = model.meter("premise").import_wh
    assert premise == pytest.approx(1000.0 + model.truth().energy_wh, rel=1e-9)


def test_bias_outside_the_accuracy_class_is_refused() -> None:
    with pytest.raises(ValueError, match="outside its accuracy class"):
        MeterConfig(accuracy_pct=0.2, bias_pct=0.5)


def _readings(seed: int, polls_per_second: int) -> list[tuple[float, float]]:
    model = charging_model(ModelConfig(seed=seed))
    out = []
    for _ in range(60):
        for _ in range(polls_per_second):
            model.meter("eumd")
        model.clock.sleep(1.0)
        reading = model.meter("eumd")
        out.append((reading.voltage_v, reading.import_wh))
    return out


def test_same_seed_same_readings_however_often_polled() -> None:
    assert _readings(7, 1) == _readings(7, 3)
    assert _readings(7, 1) != _readings(8, 1)


def test_noise_is_standard_normal() -> None:
    values = [gaussian(3, "line", step) for step in range(20000)]
    mean = sum(values) / len(values)
    variance = sum((v - mean) ** 2 for v in values) / len(values)
    assert abs(mean) < 0.03
    assert variance == pytest.approx(1.0, abs=0.05)


def test_zero_duty_holds_the_pilot_at_minus_12v() -> None:
    model = BenchModel(ModelConfig(pilot_noise_v=0.0), VirtualClock(START))
    model.set_pilot_state(PilotState.B)
    model.set_duty(0.0)
    status = model.pilot_status()
    assert (status.high_v, status.low_v, status.duty_pct) == (-12.0, -12.0, 0.0)
    assert status.state == PilotState.B
