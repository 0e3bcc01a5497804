"""The simulated meter seen from outside: a third-party client, SunSpec layouts, read-time values.

The third-party tests use a plain pymodbus client and decode by hand from the
reference facts (requirements.md), not from the driver's register tables, so a
wrong address in the driver or the simulator shows up here.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pytest
from pymodbus.client import ModbusSerialClient, ModbusTcpClient
from pymodbus.framer import FramerType

from drivers.meter import SunSpecMeter, open_meter, snapshot_delta
from drivers.meter.sim import MeterSim
from drivers.meter.sim_image import SimIdentity
from tests.meter.conftest import START_WH, MeterBench


@contextmanager
def _connected(client: ModbusTcpClient | ModbusSerialClient) -> Iterator[None]:
    """A plain pymodbus client, connected, closed afterwards (pymodbus leaves these untyped)."""
    assert client.connect()
    try:
        yield
    finally:
        client.close()  # type: ignore[no-untyped-call]


def _sunssf(word: int) -> int:
    return word - 0x10000 if word & 0x8000 else word


def _float(words: Sequence[int], offset: int) -> float:
    value: float = struct.unpack(">f", struct.pack(">HH", *words[offset : offset + 2]))[0]
    return value


def _string(words: Sequence[int]) -> str:
    return b"".join(w.to_bytes(2, "big") for w in words).rstrip(b"\x00").decode()


def test_plain_pymodbus_client_reads_the_sdm630_map(bench: MeterBench) -> None:
    sim = bench.simulator("tcp")
    client = ModbusTcpClient("127.0.0.1", port=sim.endpoint.port, timeout=1)
    with _connected(client):
        words = client.read_input_registers(0x0000, count=0x4C, device_id=1).registers
        total = client.read_input_registers(0x0156, count=2, device_id=1).registers
    reading = bench.model.meter("eumd")  # the clock has not moved: same step, same noise
    assert _float(words, 0x00) == pytest.approx(reading.voltage_v, rel=1e-6)
    assert _float(words, 0x06) == pytest.approx(reading.current_a, rel=1e-6)
    assert _float(words, 0x0C) == pytest.approx(reading.power_w, rel=1e-6)
    assert _float(words, 0x34) == pytest.approx(reading.power_w, rel=1e-6)
    assert _float(words, 0x46) == pytest.approx(reading.frequency_hz, rel=1e-6)
    assert _float(words, 0x48) == pytest.approx(reading.import_wh / 1000, rel=1e-6)
    assert _float(words, 0x4A) == 0.0
    assert _float(total, 0) == pytest.approx(reading.import_wh / 1000, rel=1e-6)


def test_plain_pymodbus_client_walks_the_sunspec_map(bench: MeterBench) -> None:
    sim = bench.simulator("tcp", "sunspec")
    client = ModbusTcpClient("127.0.0.1", port=sim.endpoint.port, timeout=1)
    with _connected(client):
        head = client.read_holding_registers(40000, count=70, device_id=1).registers
        meter = client.read_holding_registers(40070, count=107, device_id=1).registers
        end = client.read_holding_registers(40177, count=2, device_id=1).registers
    assert list(head[0:2]) == [0x5375, 0x6E53]  # "SunS"
    assert list(head[2:4]) == [1, 66]  # common model
    assert _string(head[4:20]) == SimIdentity().manufacturer
    assert _string(head[52:68]) == SimIdentity().serial
    assert list(meter[0:2]) == [203, 105]
    reading = bench.model.meter("eumd")
    assert meter[16] * 10.0 ** _sunssf(meter[17]) == pytest.approx(reading.frequency_hz, abs=0.01)
    assert meter[18] * 10.0 ** _sunssf(meter[22]) == pytest.approx(reading.power_w, abs=1)
    tot_wh_imp = (meter[46] << 16) | meter[47]
    assert tot_wh_imp * 10.0 ** _sunssf(meter[54]) == pytest.approx(reading.import_wh, abs=1)
    assert list(end) == [0xFFFF, 0]


def test_serial_client_opens_the_rtu_link_as_a_socket_url(bench: MeterBench) -> None:
    sim = bench.simulator("rtu")
    client = ModbusSerialClient(sim.endpoint.url, framer=FramerType.RTU, timeout=1, retries=0)
    with _connected(client):
        words = client.read_input_registers(0x0046, count=4, device_id=1).registers
    assert _float(words, 0) == pytest.approx(60.0, abs=0.1)
    assert _float(words, 2) * 1000 > START_WH


def test_registers_are_computed_at_read_time(bench: MeterBench) -> None:
    sim = bench.simulator("tcp")
    meter = bench.driver(sim)
    first = meter.snapshot()
    bench.clock.advance(3600.0)  # no push, no timer: the next read sees the new hour
    second = meter.snapshot()
    assert second.import_energy_wh - first.import_energy_wh > 3000


@pytest.mark.parametrize("base", [0, 40000, 50000])
@pytest.mark.parametrize("model_id", [201, 203])
def test_sunspec_discovery_finds_every_base_and_model(
    bench: MeterBench, base: int, model_id: int
) -> None:
    sim = bench.simulator("tcp", "sunspec", sunspec_base=base, sunspec_model=model_id)
    meter = bench.driver(sim, "sunspec")
    assert isinstance(meter, SunSpecMeter)
    found = meter.discover()
    assert found.base == base
    assert [m.model_id for m in found.models] == [1, model_id]
    assert meter.meter_model.address == base + 2 + 68
    ident = meter.identity()
    assert (ident.manufacturer, ident.model, ident.firmware) == ("EV Rig", "SimMeter", "1.0.0")
    assert meter.snapshot().current_a == pytest.approx(16.0, rel=0.01)


def test_both_maps_read_the_same_meter(bench: MeterBench) -> None:
    sdm = bench.driver(bench.simulator("tcp", "sdm630"), "sdm630")
    sunspec = bench.driver(bench.simulator("tcp", "sunspec"), "sunspec")
    a, b = sdm.snapshot(), sunspec.snapshot()
    assert a.power_w == pytest.approx(b.power_w, abs=1.0)  # W_SF 0: 1 W steps
    assert a.import_energy_wh == pytest.approx(b.import_energy_wh, abs=1.0)


def test_premise_meter_counts_base_load_too(sim_loop: object) -> None:
    from drivers.kinds import PilotState
    from drivers.meter.sim import MeterSim as Sim
    from drivers.sim.model import BenchModel, MeterConfig, ModelConfig
    from drivers.sim.runtime import SimLoop
    from rig.clock import VirtualClock

    assert isinstance(sim_loop, SimLoop)
    clock = VirtualClock(0.0)
    config = ModelConfig(
        eumd=MeterConfig(start_wh=100.0), premise_meter=MeterConfig(start_wh=50_000.0)
    )
    model = BenchModel(config, clock)
    model.set_duty(50.0)
    model.set_load_current(10.0)
    model.set_load_input(True)
    model.set_pilot_state(PilotState.C)
    clock.advance(5.0)
    eumd, premise = Sim(model, which="eumd"), Sim(model, which="premise", unit=2)
    try:
        e = open_meter("sdm630", eumd.start_on(sim_loop).url, name="eumd")
        p = open_meter("sdm630", premise.start_on(sim_loop).url, unit=2, name="premise")
        e0, p0 = e.snapshot(), p.snapshot()
        clock.advance(3600.0)
        e1, p1 = e.snapshot(), p.snapshot()
        e.close()
        p.close()
    finally:
        eumd.stop_on(sim_loop)
        premise.stop_on(sim_loop)
    pev_wh = snapshot_delta(e0, e1).wh
    premise_wh = snapshot_delta(p0, p1).wh
    assert premise_wh - pev_wh == pytest.approx(config.premise_base_load_w, rel=0.01)


def test_simulator_refuses_all_interfaces(bench: MeterBench) -> None:
    for host in ("", "0.0.0.0", "::"):
        with pytest.raises(ValueError, match="one interface"):
            MeterSim(bench.model, host=host)
    with pytest.raises(ValueError, match="RTU framing only"):
        MeterSim(bench.model, framing="tcp", line_baud=9600)


def test_endpoint_description_for_rig_sim(bench: MeterBench) -> None:
    tcp = bench.simulator("tcp").endpoint
    assert tcp.host == "127.0.0.1" and tcp.port > 0
    assert tcp.describe() == {"modbus_tcp": f"127.0.0.1:{tcp.port}", "unit": 1, "map": "sdm630"}
    rtu = bench.simulator("rtu", line_baud=9600).endpoint
    assert rtu.url == f"socket://127.0.0.1:{rtu.port}"
    assert rtu.describe("sunspec")["baud"] == 9600


def test_an_hour_polled_every_simulated_second(bench: MeterBench) -> None:
    sim = bench.simulator("tcp")
    meter = bench.driver(sim)
    first = previous = meter.snapshot()
    truth0 = bench.model.truth().energy_wh
    for _ in range(3600):
        bench.clock.advance(1.0)
        snap = meter.snapshot()
        assert snap.import_energy_wh >= previous.import_energy_wh
        previous = snap
    expected = (bench.model.truth().energy_wh - truth0) * 1.001  # EUMD bias +0.1 %
    delta = snapshot_delta(first, previous)
    assert delta.wh == pytest.approx(expected, rel=1e-6)
    assert sim.requests >= 3601
