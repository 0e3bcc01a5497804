"""The simulated loads themselves: raw sockets, SCPI grammar, error queue, physics.

Some of these talk to the simulator over a plain TCP socket, as a lab engineer's
``nc`` or a third-party VISA shell would, to prove the simulator is a SCPI instrument
in its own right and not a fixture shaped to the driver.
"""

from __future__ import annotations

import socket

import pytest

from drivers.kinds import PilotState
from drivers.load.sim import LoadSimulator
from load.support import DIALECTS, SimBench


class RawClient:
    """A newline-framed TCP client with a short timeout."""

    def __init__(self, sim: LoadSimulator) -> None:
        self.sock = socket.create_connection((sim.host, sim.port), timeout=1.0)
        self.file = self.sock.makefile("rb")

    def ask(self, line: str) -> str:
        self.sock.sendall(line.encode("ascii") + b"\n")
        return self.file.readline().decode("ascii").rstrip("\n")

    def tell(self, line: str) -> None:
        self.sock.sendall(line.encode("ascii") + b"\n")

    def errors(self) -> list[str]:
        entries = []
        while (entry := self.ask("SYST:ERR?")) != '0,"No error"':
            entries.append(entry)
        return entries

    def close(self) -> None:
        self.file.close()
        self.sock.close()


@pytest.fixture
def raw(bench: SimBench, request: pytest.FixtureRequest) -> RawClient:
    sim = bench.simulator(getattr(request, "param", "chroma63800"))
    client = RawClient(sim)
    request.addfinalizer(client.close)
    return client


@pytest.mark.parametrize(
    ("dialect", "manufacturer"),
    [("scpi", "RIG-SIM"), ("chroma63800", "Chroma ATE"), ("it8600", "ITECH Ltd.")],
)
def test_idn_answers_on_a_raw_socket(bench: SimBench, dialect: str, manufacturer: str) -> None:
    sim = bench.simulator(dialect)
    with socket.create_connection(("127.0.0.1", sim.port), timeout=1.0) as sock:
        sock.sendall(b"*IDN?\n")
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = sock.recv(256)
            assert chunk, "the simulator closed the connection"
            reply += chunk
    fields = reply.decode("ascii").strip().split(",")
    assert fields[0] == manufacturer and len(fields) == 4
    assert sim.endpoint == f"TCPIP0::127.0.0.1::{sim.port}::SOCKET"
    assert sim.port != 0


@pytest.mark.parametrize("raw", ["scpi"], indirect=True)
def test_long_short_and_optional_forms_are_one_command(raw: RawClient) -> None:
    raw.tell("SOURce:CURRent:LEVel:IMMediate:AMPLitude 7.5")
    assert float(raw.ask("curr?")) == 7.5
    raw.tell(":sour:curr 3")
    assert float(raw.ask("SOURCE:CURRENT?")) == 3.0
    raw.tell("INPut:STATe ON")
    assert raw.ask("INP?") == "1"
    raw.tell("FUNCtion:MODE RESistance")
    assert raw.ask("FUNC?") == "RES"
    assert raw.errors() == []


def test_compound_messages_reply_on_one_line(raw: RawClient) -> None:
    raw.tell("LOAD:CURR 4;LOAD 1")
    assert raw.ask("LOAD:CURR?;:LOAD?;*OPC?") == "4.0000;1;1"


@pytest.mark.parametrize(
    ("line", "entry"),
    [
        ("LOAD:BOGUS 1", '-113,"Undefined header"'),
        ("LOAD:CURR abc", '-120,"Numeric data error"'),
        ("LOAD:CURR", '-109,"Missing parameter"'),
        ("LOAD:CURR 81", '-222,"Data out of range"'),
        ("LOAD:CURR -1", '-222,"Data out of range"'),
        ("LOAD:CURR NaN", '-222,"Data out of range"'),
        ("LOAD:PFAC 0.2", '-222,"Data out of range"'),
        ("LOAD:MODE WOBBLE", '-224,"Illegal parameter value"'),
        ("LOAD MAYBE", '-224,"Illegal parameter value"'),
    ],
)
def test_bad_commands_fill_the_error_queue(raw: RawClient, line: str, entry: str) -> None:
    raw.tell(line)
    assert raw.errors() == [entry]


def test_a_failed_query_sends_nothing(raw: RawClient) -> None:
    raw.sock.settimeout(0.1)
    raw.tell("MEAS:WOBBLE?")
    with pytest.raises(TimeoutError):
        raw.file.readline()


def test_queue_overflows_like_a_real_one(bench: SimBench) -> None:
    sim = bench.simulator("chroma63800", queue_size=3)
    client = RawClient(sim)
    try:
        for _ in range(5):
            client.tell("NOPE")
        assert client.errors() == [
            '-113,"Undefined header"',
            '-113,"Undefined header"',
            '-350,"Queue overflow"',
        ]
        client.tell("NOPE")
        client.tell("*CLS")
        assert client.errors() == []
    finally:
        client.close()


def test_reset_turns_the_input_off(bench: SimBench, raw: RawClient) -> None:
    raw.tell("LOAD:MODE RES;LOAD:CURR 5;LOAD 1")
    assert raw.ask("LOAD?") == "1"
    raw.tell("*RST")
    assert raw.ask("LOAD?;LOAD:CURR?;LOAD:MODE?") == "0;0.0000;CURR"
    assert bench.model.load_settings().input_on is False


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_load_draws_min_of_setpoint_and_ampacity(bench: SimBench, dialect: str) -> None:
    _, load = bench.pair(dialect)
    model, clock = bench.model, bench.clock
    load.set_current(16.0)
    load.set_input(True)
    assert load.measure().current_a == 0.0  # pilot in A: contactor open
    model.set_duty(25.0)  # 15 A advertised
    model.set_pilot_state(PilotState.C)
    clock.advance(5.0)
    reading = load.measure()
    truth = model.load_reading()
    assert reading.current_a == pytest.approx(15.0, rel=0.005)
    assert reading.current_a == pytest.approx(truth.current_a, abs=1e-4)
    assert reading.voltage_v == pytest.approx(truth.voltage_v, abs=1e-4)
    assert reading.power_w == pytest.approx(truth.power_w, abs=1e-3)
    model.set_duty(50.0)  # 30 A advertised: the setpoint now limits
    clock.advance(5.0)
    assert load.measure().current_a == pytest.approx(16.0, rel=0.005)
    load.set_input(False)
    clock.advance(1.0)
    assert load.measure().current_a == 0.0


@pytest.mark.parametrize("dialect", ["chroma63800", "it8600"])
def test_power_factor_reaches_the_model(bench: SimBench, dialect: str) -> None:
    _, load = bench.pair(dialect)
    load.set_current(10.0)
    load.set_power_factor(0.8)
    load.set_input(True)
    bench.model.set_duty(50.0)
    bench.model.set_pilot_state(PilotState.C)
    bench.clock.advance(5.0)
    reading = load.measure()
    assert bench.model.load_settings().power_factor == 0.8
    assert reading.power_factor == pytest.approx(0.8)
    assert reading.power_w == pytest.approx(reading.voltage_v * reading.current_a * 0.8, rel=1e-3)


def test_same_seed_same_readings(bench: SimBench) -> None:
    sim_a, load_a = bench.pair("chroma63800")
    _, load_b = bench.pair("it8600")  # a second load on the same model and clock
    load_a.set_current(8.0)
    load_a.set_input(True)
    bench.model.set_duty(50.0)
    bench.model.set_pilot_state(PilotState.C)
    bench.clock.advance(3.0)
    assert load_a.measure() == load_b.measure()
    assert sim_a.instrument.mode == "CURR"


def test_faults_fire_only_on_matching_lines_and_only_n_times(bench: SimBench) -> None:
    from drivers.load.sim import Fault

    sim = bench.simulator("scpi")
    client = RawClient(sim)
    try:
        sim.inject(Fault.GARBAGE, match="*IDN", times=2, reply="X")
        assert client.ask("INP?") == "0"
        assert client.ask("*IDN?") == "X"
        assert client.ask("*IDN?") == "X"
        assert client.ask("*IDN?").startswith("RIG-SIM")
        sim.inject(Fault.NO_REPLY)
        sim.clear_faults()
        assert client.ask("INP?") == "0"
    finally:
        client.close()
