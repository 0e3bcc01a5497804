"""The same drivers over a serial resource (``ASRL…::INSTR``), through a pseudo-terminal.

Many loads are driven over RS-232. A pty stands in for the cable: a small thread
serves the simulated instrument's command interpreter on the master side, and the
driver opens the slave as a VISA ASRL resource through pyvisa-py and pyserial.
"""

from __future__ import annotations

import os
import pty
import threading
import tty
from collections.abc import Iterator

import pytest

from drivers.errors import InstrumentRejected
from drivers.load import open_load
from drivers.load.sim_dialects import SIM_DIALECTS, SimInstrument
from drivers.sim.model import BenchModel, ModelConfig
from load.support import DIALECTS
from rig.clock import VirtualClock


def _serve(fd: int, instrument: SimInstrument) -> None:
    buffer = b""
    while True:
        try:
            data = os.read(fd, 1024)
        except OSError:
            return
        if not data:
            return
        buffer += data
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            reply = instrument.execute(line.decode("ascii", "replace").strip())
            if reply is not None:
                os.write(fd, reply.encode("ascii") + b"\n")


@pytest.fixture(params=DIALECTS)
def serial_resource(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    master, slave = pty.openpty()
    tty.setraw(slave)
    model = BenchModel(ModelConfig(), VirtualClock())
    instrument = SimInstrument(model, SIM_DIALECTS[request.param])
    thread = threading.Thread(target=_serve, args=(master, instrument), daemon=True)
    thread.start()
    yield request.param, f"ASRL{os.ttyname(slave)}::INSTR"
    os.close(slave)
    os.close(master)
    thread.join(1.0)


def test_the_drivers_work_over_asrl(serial_resource: tuple[str, str]) -> None:
    dialect, resource = serial_resource
    with open_load(dialect, resource, timeout_s=0.3, visa_options={"baud_rate": 115200}) as load:
        assert load.identity().model
        load.set_current(5.0)
        assert load.current_setpoint() == 5.0
        load.set_input(True)
        assert load.input_enabled() is True
        assert load.measure().current_a == 0.0  # contactor open: nothing drawn
        with pytest.raises(InstrumentRejected, match="-222"):
            load.set_current(500.0)
        load.set_input(False)
        assert load.input_enabled() is False
