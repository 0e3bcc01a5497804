"""The refstd map: its float64 energy register read by a plain pymodbus client, and its identity."""

from __future__ import annotations

import struct

from pymodbus.client import ModbusTcpClient

from drivers.meter import refstd
from tests.meter.conftest import START_WH, MeterBench


def test_energy_is_a_float64_of_wh_at_0x0008(bench: MeterBench) -> None:
    bench.charge()
    sim = bench.simulator(map_name="refstd")
    client = ModbusTcpClient(sim.endpoint.host, port=sim.endpoint.port)
    try:
        reply = client.read_input_registers(refstd.IMPORT_ENERGY, count=4, device_id=1)
    finally:
        client.close()
    (wh,) = struct.unpack(">d", struct.pack(">4H", *reply.registers))
    # 5 s at 16 A and 240 V with the model's 0.1 % gain: a few Wh above the start.
    assert START_WH < wh < START_WH + 10


def test_resolution_is_far_below_a_watt_hour_and_identity_is_read(bench: MeterBench) -> None:
    bench.charge()
    meter = bench.driver(bench.simulator(map_name="refstd"), map_name="refstd", name="reference")
    snap = meter.snapshot()
    assert snap.energy_resolution_wh < 1e-6
    assert meter.energy_rollover_wh is None  # type: ignore[attr-defined]
    ident = meter.identity()
    assert (ident.manufacturer, ident.model) == ("EV Rig", "SimReference 0.05")
    assert ident.serial


def test_text_registers_round_trip() -> None:
    assert refstd.words_text(refstd.text_words("REF-0.05-3310")) == "REF-0.05-3310"
