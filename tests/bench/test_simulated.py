"""A simulated bench starts a simulator behind whichever wire each section names.

The default bench (``sim.yaml``) uses Modbus TCP, a Chroma SCPI socket and CAN
over slcan; this checks the other wires: Modbus RTU framing over a socket with the
baud rate's line timing, an ITECH load, the rig's serial pilot protocol, and that
the rewritten configuration points at the running simulators.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.kinds import PilotState
from rig.bench.build import open_bench
from rig.bench.check import check_bench
from rig.bench.config import load_bench
from rig.bench.simulated import NotSimulated, SimulatedBench
from rig.bench.transports import ModbusRtu, SerialLine

VARIANT = """\
bench: variant
eumd:
  map: sunspec
  transport: {kind: modbus_rtu, port: auto, baudrate: 19200, unit: 7}
  accuracy_class: "MID B"
load: {dialect: it8600, resource: auto}
pilot:
  dialect: serial
  transport: {kind: serial, port: auto}
simulation:
  seed: 3
  supply: cordset_120
  evse_max_a: 12
  eumd: {bias_pct: 1.5, sunspec_model: 201, energy_scale: -1, start_total_wh: 5000}
"""


def test_rtu_meter_itech_load_and_serial_pilot(tmp_path: Path) -> None:
    path = tmp_path / "variant.yaml"
    path.write_text(VARIANT, encoding="utf-8")
    config = load_bench(path)
    with SimulatedBench(config) as sim:
        eumd = sim.config.eumd.transport
        assert isinstance(eumd, ModbusRtu) and eumd.port.startswith("socket://127.0.0.1:")
        assert sim.endpoints["meter"]["baud"] == 19200  # line timing on
        pilot = sim.config.pilot.transport
        assert isinstance(pilot, SerialLine) and pilot.port.startswith("socket://127.0.0.1:")
        assert sim.config.load.resource.startswith("TCPIP0::127.0.0.1::")
        results = check_bench(sim.config)
    assert [r.role for r in results if not r.ok] == []
    assert results[0].identity is not None and results[0].identity.model
    assert "120." in results[0].reading  # the 120 V cordset


def test_virtual_clock_starts_where_the_file_says() -> None:
    config = load_bench(Path(__file__).parents[2] / "fixtures/benches/sim.yaml")
    with SimulatedBench(config) as sim:
        assert sim.clock.is_virtual
        assert sim.clock.now() == config.simulation.start.timestamp()  # type: ignore[union-attr]


def test_a_real_bench_cannot_be_simulated() -> None:
    config = load_bench(Path(__file__).parents[2] / "fixtures/benches/lab-example.yaml")
    with pytest.raises(NotSimulated, match="no `simulation:` section"):
        SimulatedBench(config)


def test_safe_state_with_a_vehicle_side_only_pilot(tmp_path: Path) -> None:
    """The ev_sim cannot set the EVSE's duty; safe state still gets it to A and confirms."""
    path = tmp_path / "evsim.yaml"
    path.write_text(VARIANT.replace("dialect: serial", "dialect: ev_sim"), encoding="utf-8")
    with SimulatedBench(load_bench(path)) as sim:
        sim.model.set_pilot_state(PilotState.B)  # plugged in, behind the driver's back
        with open_bench(sim.config, safe_on_enter=False) as bench:
            bench.load.set_input(True)
    assert sim.model.truth().pilot_state == PilotState.A
    assert sim.model.load_settings().input_on is False
