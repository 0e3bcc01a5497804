"""A simulated bench starts a simulator behind whichever wire each section names.

The default bench (``sim.yaml``) uses Modbus TCP, a Chroma SCPI socket and CAN
over slcan; this checks the other wires: Modbus RTU framing over a socket with the
baud rate's line timing, an ITECH load, the rig's serial pilot protocol, and that
the rewritten configuration points at the running simulators.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rig.bench.check import check_bench
from rig.bench.config import ModbusRtu, SerialLine, load_bench
from rig.bench.simulated import NotSimulated, SimulatedBench

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
