"""The Load contract: what the rig relies on from any programmable AC load.

Runs against the simulator of every dialect over its real socket, or against a real
load given with ``--load-resource`` / ``--load-dialect`` (see ``conftest.py``). The
tests only use small setpoints and leave the input off.
"""

from __future__ import annotations

import math

import pytest

from drivers.errors import InstrumentRejected, UnsupportedFeature
from drivers.kinds import Load
from load.support import ContractTarget

pytestmark = pytest.mark.instrument


def test_driver_satisfies_the_load_protocol(contract: ContractTarget) -> None:
    load: Load = contract.load  # checked by mypy; the runtime check below by pytest
    for method in ("identity", "close", "set_current", "set_power_factor", "set_input"):
        assert callable(getattr(load, method))
    assert load.name == "load"


def test_identity_names_manufacturer_and_model(contract: ContractTarget) -> None:
    identity = contract.load.identity()
    assert identity.manufacturer.strip()
    assert identity.model.strip()
    assert "," not in identity.model


def test_input_switches_and_reads_back(contract: ContractTarget) -> None:
    load = contract.load
    load.set_input(False)
    assert load.input_enabled() is False
    load.set_input(True)
    assert load.input_enabled() is True
    load.set_input(False)
    assert load.input_enabled() is False


@pytest.mark.parametrize("amps", [0.0, 2.5, 6.125])
def test_current_setpoint_reads_back(contract: ContractTarget, amps: float) -> None:
    contract.load.set_current(amps)
    assert contract.load.current_setpoint() == pytest.approx(amps, abs=0.002)


def test_power_factor_is_set_where_supported(contract: ContractTarget) -> None:
    load = contract.load
    if load.commands.set_power_factor is None:
        with pytest.raises(UnsupportedFeature, match="no power-factor setting"):
            load.set_power_factor(0.9)
        return
    load.set_power_factor(0.9)
    assert load.power_factor_setpoint() == pytest.approx(0.9, abs=0.002)
    load.set_power_factor(1.0)


def test_measure_with_input_off_draws_nothing(contract: ContractTarget) -> None:
    load = contract.load
    load.set_current(2.0)
    load.set_input(False)
    reading = load.measure()
    for value in (reading.voltage_v, reading.current_a, reading.power_w, reading.power_factor):
        assert math.isfinite(value)
    assert abs(reading.current_a) < 0.1
    assert abs(reading.power_w) < 25.0
    assert -1.0 <= reading.power_factor <= 1.0


def test_setpoint_beyond_rating_is_refused_by_the_instrument(contract: ContractTarget) -> None:
    load = contract.load
    with pytest.raises(InstrumentRejected) as caught:
        load.set_current(999.0)
    error = caught.value
    assert error.sent is not None and "999" in error.sent
    assert isinstance(error.received, str)
    assert not error.received.startswith(("0,", "+0,"))
    assert "load" in str(error) and "999" in str(error)
    load.set_current(1.0)  # the queue was drained: the next setting is clean
    assert load.current_setpoint() == pytest.approx(1.0, abs=0.002)


def test_unknown_command_is_refused(contract: ContractTarget) -> None:
    with pytest.raises(InstrumentRejected) as caught:
        contract.load.session.setting("RIGTEST:BOGUS 1")
    assert caught.value.sent == "RIGTEST:BOGUS 1"
    if contract.sim is not None:
        assert "-113" in str(caught.value)


def test_a_full_cycle_leaves_the_error_queue_empty(contract: ContractTarget) -> None:
    load = contract.load
    load.set_current(3.0)
    load.set_input(True)
    load.measure()
    load.set_input(False)
    load.session.check_errors()
    assert load.input_enabled() is False
