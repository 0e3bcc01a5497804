"""The simulated wires, byte for byte, as a third-party tool on a raw socket would see them.

These replay the dialogues of ``docs/pilot-protocol.md``: the slcan adapter
commands python-can sends, the serial lines, the ev_sim reports. They also pin
the timing promises: periodic output on wall time while the virtual clock stands
still, and no Nagle delay on request/reply round trips.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from drivers.kinds import PilotState
from drivers.pilot.can_pilot import CanPilot
from drivers.pilot.link import set_tcp_nodelay
from drivers.sim.runtime import SimLoop
from tests.pilot.simbench import EV_SIM_PERIOD_S, SimBench, start_bench


class RawClient:
    """A plain TCP client: send text, read until a terminator, with a deadline."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=1.0)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def send(self, text: str) -> None:
        self.sock.sendall(text.encode("ascii"))

    def read_until(self, end: bytes, timeout: float = 1.0) -> bytes:
        deadline = time.monotonic() + timeout
        while end not in self.buffer:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed")
            self.buffer += chunk
        reply, _, self.buffer = self.buffer.partition(end)
        return reply + end

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def sim(sim_loop: SimLoop, request: pytest.FixtureRequest) -> Iterator[SimBench]:
    started = start_bench(sim_loop, request.param, periodic_s=0)
    yield started
    started.sim.stop()


@pytest.mark.parametrize("sim", ["can"], indirect=True)
def test_slcan_adapter_dialogue(sim: SimBench) -> None:
    raw = RawClient(sim.sim.port)
    try:
        for command in ("C", "S6", "", "O"):  # what python-can sends on open
            raw.send(command + "\r")
            assert raw.read_until(b"\r") == b"\r"
        raw.send("V\r")
        assert raw.read_until(b"\r") == b"V1013\r"
        raw.send("S4\r")  # bit rate while open: refused
        assert raw.read_until(b"\a") == b"\a"
        raw.send("X\r")
        assert raw.read_until(b"\a") == b"\a"
        raw.send("t602109\r")  # STATUS_REQUEST, token 9
        assert raw.read_until(b"\r") == b"z\r"
        levels = raw.read_until(b"\r").decode()
        lines = raw.read_until(b"\r").decode()
        assert levels.startswith("t620809") and lines.startswith("t621809")
        assert levels[7:9] == "41"  # state A
        raw.send("t6002077F\r")  # SET_STATE 'F' (0x46 would be F; 0x7F is not a state)
        assert raw.read_until(b"\r") == b"z\r"
        assert raw.read_until(b"\r") == b"t61030700" + b"02\r"  # ACK BAD_VALUE
        raw.send("t60110A\r")  # SET_DUTY with 1 byte: malformed
        raw.read_until(b"\r")
        assert raw.read_until(b"\r") == b"t61030A0101\r"
        raw.send("t6020zz\r")  # not hex
        assert raw.read_until(b"\a") == b"\a"
        raw.send("C\r")
        raw.read_until(b"\r")
        raw.send("t602109\r")  # channel closed: refused
        assert raw.read_until(b"\a") == b"\a"
    finally:
        raw.close()


@pytest.mark.parametrize("sim", ["serial"], indirect=True)
def test_serial_line_dialogue(sim: SimBench) -> None:
    raw = RawClient(sim.sim.port)
    try:
        raw.send("*IDN?\n")
        assert raw.read_until(b"\n") == b"EV Roaming Rig,PilotSim,SIM-0001,1.0\n"
        raw.send("STATE C\r\n")
        assert raw.read_until(b"\n") == b"OK\n"
        assert raw.read_until(b"\n").startswith(b"!STATUS state=C ")  # on change
        raw.send("DUTY 120\n")
        assert raw.read_until(b"\n").startswith(b"ERR 2 ")
        raw.send("RESET\n")
        assert raw.read_until(b"\n").startswith(b"ERR 4 ")
        raw.send("STATUS?\n")
        assert raw.read_until(b"\n").startswith(b"STATUS state=C high_mv=")
    finally:
        raw.close()
    assert sim.model.truth().pilot_state == PilotState.C


@pytest.mark.parametrize("wire", ["serial", "can"])
def test_periodic_status_runs_on_wall_time(sim_loop: SimLoop, wire: str) -> None:
    """The virtual clock stands still; the device still speaks up every period."""
    started = start_bench(sim_loop, "serial" if wire == "serial" else "can", periodic_s=0.02)
    raw = RawClient(started.sim.port)
    try:
        if wire == "can":
            raw.send("O\r")
            raw.read_until(b"\r")
        end, marker = (b"\n", b"!STATUS") if wire == "serial" else (b"\r", b"t6208")
        got = [raw.read_until(end) for _ in range(6)]
        assert sum(line.startswith(marker) for line in got) >= 3
    finally:
        raw.close()
        started.sim.stop()


def test_ev_sim_reports_and_letters(sim_loop: SimLoop) -> None:
    started = start_bench(sim_loop, "ev_sim")
    raw = RawClient(started.sim.port)
    try:
        report = raw.read_until(b"\r\n").decode()
        assert report.startswith("{ state_changes=2000, low_count=")
        assert report.endswith(" }\r\n")
        raw.send("c")  # lower case works on the device too
        deadline = time.monotonic() + 1.0
        while started.model.truth().pilot_state != PilotState.C:
            assert time.monotonic() < deadline
            time.sleep(EV_SIM_PERIOD_S / 5)
        raw.send("Z?E")  # not states: ignored
        time.sleep(2 * EV_SIM_PERIOD_S)
        assert started.model.truth().pilot_state == PilotState.C
    finally:
        raw.close()
        started.sim.stop()


def test_tcp_nodelay_is_set_through_a_file_descriptor() -> None:
    """How the drivers reach the socket pyserial's ``socket://`` hides: by its descriptor."""
    with (
        socket.create_server(("127.0.0.1", 0)) as server,
        socket.create_connection(server.getsockname()) as client,
    ):
        assert client.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        set_tcp_nodelay(client.fileno())
        assert client.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


@pytest.mark.parametrize("sim", ["can"], indirect=True)
def test_slcan_round_trips_stay_fast(sim: SimBench) -> None:
    """A delayed-ACK stall costs ~40 ms per round trip (2 s for 50); they must take far less."""
    pilot = sim.open()
    assert isinstance(pilot, CanPilot)
    try:
        pilot.status()
        start = time.perf_counter()
        for _ in range(50):
            pilot.status()
        assert time.perf_counter() - start < 1.2
    finally:
        pilot.close()


CHILD = """
import json, sys
from drivers.kinds import PilotState
from drivers.pilot import open_pilot
pilot = open_pilot(json.loads(sys.argv[1]), name="child-pilot")
pilot.set_state(PilotState.C)
print(pilot.status().state.value, pilot.identity().model)
pilot.close()
"""


@pytest.mark.parametrize("sim", ["can", "serial"], indirect=True)
def test_another_process_drives_the_simulated_device(sim: SimBench) -> None:
    """The point of real wires: a separate process (a lab tool, ``rig sim`` users) gets in."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(sim.sim.endpoint)],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["C", "PilotSim"]
    assert sim.model.truth().pilot_state == PilotState.C
