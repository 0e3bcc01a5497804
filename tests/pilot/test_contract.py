"""The Pilot contract: what every pilot driver must do, on the simulator and on a real device.

Runs once per wire against the simulated device (slcan over TCP, serial lines
over TCP, ev_sim over TCP) and against a real device given by ``--pilot-*``
options (see ``conftest.py``). A dialect may refuse a feature only with
:class:`~drivers.errors.UnsupportedFeature`; anything it accepts must read back.
"""

from __future__ import annotations

import math
import time

import pytest

from drivers.errors import UnsupportedFeature
from drivers.kinds import Pilot, PilotState
from drivers.pilot.protocol import LIMITS

pytestmark = pytest.mark.instrument


def test_identity_names_the_instrument(contract_pilot: Pilot) -> None:
    identity = contract_pilot.identity()
    assert identity.manufacturer.strip()
    assert identity.model.strip()


def test_status_is_a_plausible_reading(contract_pilot: Pilot) -> None:
    status = contract_pilot.status()
    assert isinstance(status.state, PilotState)
    for name, (low, high) in LIMITS.items():
        value = getattr(status, name)
        assert math.isnan(value) or math.isinf(value) or low <= value <= high, name
    assert status.contactor_closed in (None, True, False)


@pytest.mark.parametrize("state", [PilotState.B, PilotState.C, PilotState.D, PilotState.A])
def test_vehicle_states_read_back(contract_pilot: Pilot, state: PilotState) -> None:
    contract_pilot.set_state(state)
    assert contract_pilot.status().state == state


@pytest.mark.parametrize("state", [PilotState.E, PilotState.F])
def test_fault_states_read_back_or_are_unsupported(
    contract_pilot: Pilot, state: PilotState
) -> None:
    try:
        contract_pilot.set_state(state)
    except UnsupportedFeature:
        return
    try:
        assert contract_pilot.status().state == state
    finally:
        contract_pilot.set_state(PilotState.A)


@pytest.mark.parametrize("duty", [10.0, 53.3, 85.0, 96.0])
def test_duty_reads_back(contract_pilot: Pilot, duty: float) -> None:
    contract_pilot.set_state(PilotState.B)
    try:
        contract_pilot.set_duty(duty)
    except UnsupportedFeature:
        pytest.skip("this dialect cannot set the EVSE's duty cycle")
    status = contract_pilot.status()
    assert status.duty_pct == pytest.approx(duty, abs=1.0)
    assert status.frequency_hz == pytest.approx(1000.0, rel=0.02)


def test_duty_100_means_no_pwm(contract_pilot: Pilot) -> None:
    contract_pilot.set_state(PilotState.B)
    try:
        contract_pilot.set_duty(100.0)
    except UnsupportedFeature:
        pytest.skip("this dialect cannot set the EVSE's duty cycle")
    status = contract_pilot.status()
    assert status.frequency_hz == 0.0
    assert status.high_v == pytest.approx(9.0, abs=0.6)


def test_duty_is_sent_at_0_1_percent_resolution(contract_pilot: Pilot) -> None:
    contract_pilot.set_state(PilotState.B)
    try:
        contract_pilot.set_duty(33.333)
    except UnsupportedFeature:
        pytest.skip("this dialect cannot set the EVSE's duty cycle")
    assert contract_pilot.status().duty_pct == pytest.approx(33.3, abs=0.1)


@pytest.mark.parametrize("duty", [-1.0, 100.5, math.nan, math.inf])
def test_impossible_duty_is_refused_before_sending(contract_pilot: Pilot, duty: float) -> None:
    try:
        contract_pilot.set_duty(50.0)
    except UnsupportedFeature:
        pytest.skip("this dialect cannot set the EVSE's duty cycle")
    with pytest.raises(ValueError, match="duty"):
        contract_pilot.set_duty(duty)
    assert contract_pilot.status().duty_pct == pytest.approx(50.0, abs=1.0)


def test_status_is_cheap_enough_to_poll(contract_pilot: Pilot) -> None:
    contract_pilot.status()
    start = time.perf_counter()
    for _ in range(10):
        contract_pilot.status()
    assert time.perf_counter() - start < 1.0
