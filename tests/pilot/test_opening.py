"""Choosing a driver by dialect, opening it, and what a device may refuse.

The registry maps a bench file's ``dialect`` to a class; unknown names fail with
:class:`~drivers.errors.UnknownModel` before anything is opened, and a device
that refuses a request does so with a typed error, not a silent pass.
"""

from __future__ import annotations

import socket

import pytest

from drivers.errors import InstrumentConnectionError, UnknownModel, UnsupportedFeature
from drivers.kinds import PilotState
from drivers.pilot import DIALECTS, CanPilot, EvSimPilot, SerialPilot, open_pilot, pilot_class
from drivers.pilot.sim import Wire
from drivers.sim.runtime import SimLoop
from tests.pilot.simbench import close_soon, start_bench

VEHICLE_ONLY = frozenset({PilotState.A, PilotState.B, PilotState.C, PilotState.D})


def free_port() -> int:
    """A port nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_registry_names_each_dialect() -> None:
    assert {"can": CanPilot, "serial": SerialPilot, "ev_sim": EvSimPilot} == DIALECTS
    assert pilot_class("ev_sim") is EvSimPilot


def test_unknown_dialect_lists_the_known_ones() -> None:
    with pytest.raises(UnknownModel, match=r"'modbus'.*can, ev_sim, serial") as caught:
        open_pilot({"dialect": "modbus", "url": "socket://127.0.0.1:1"}, name="evse-pilot")
    assert caught.value.instrument == "evse-pilot"


def test_configuration_without_dialect_is_refused() -> None:
    with pytest.raises(UnknownModel, match="no dialect"):
        open_pilot({"url": "socket://127.0.0.1:1"})


def test_misspelt_setting_is_refused_before_opening() -> None:
    with pytest.raises(ValueError, match=r"bitrat.*takes"):
        open_pilot({"dialect": "can", "interface": "slcan", "channel": "x", "bitrat": 500000})


def test_unknown_can_interface_is_a_connection_error() -> None:
    with pytest.raises(InstrumentConnectionError, match="no-such-adapter"):
        open_pilot({"dialect": "can", "interface": "no-such-adapter", "channel": "0"})


@pytest.mark.parametrize(
    "config",
    [
        {"dialect": "can", "interface": "slcan", "channel": "socket://127.0.0.1:{port}"},
        {"dialect": "serial", "url": "socket://127.0.0.1:{port}"},
        {"dialect": "ev_sim", "url": "socket://127.0.0.1:{port}"},
    ],
    ids=["can", "serial", "ev_sim"],
)
def test_unreachable_device_is_a_connection_error(config: dict[str, str]) -> None:
    port = free_port()
    filled = {key: value.format(port=port) for key, value in config.items()}
    with pytest.raises(InstrumentConnectionError, match=str(port)):
        open_pilot(filled)


@pytest.mark.parametrize("wire", ["can", "serial"])
def test_device_refusal_is_unsupported_feature(sim_loop: SimLoop, wire: Wire) -> None:
    """A vehicle-only device answers UNSUPPORTED for F: the driver says UnsupportedFeature."""
    started = start_bench(sim_loop, wire, states=VEHICLE_ONLY)
    driver = started.open()
    try:
        with pytest.raises(UnsupportedFeature, match="UNSUPPORTED") as caught:
            driver.set_state(PilotState.F)
        assert caught.value.sent
        assert driver.status().state == PilotState.A
    finally:
        close_soon(driver)
        started.sim.stop()


def test_ev_sim_cannot_set_duty_or_e_or_f(sim_loop: SimLoop) -> None:
    started = start_bench(sim_loop, "ev_sim")
    driver = started.open()
    try:
        with pytest.raises(UnsupportedFeature, match="duty"):
            driver.set_duty(50.0)
        for state in (PilotState.E, PilotState.F):
            with pytest.raises(UnsupportedFeature, match=state.value):
                driver.set_state(state)
        assert started.model.truth().pilot_state == PilotState.A
    finally:
        close_soon(driver)
        started.sim.stop()
