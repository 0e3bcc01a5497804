"""Every meter fault gives a typed error naming the instrument, what was sent and what came back.

The faults are injected into the simulated meter in-process and travel the real
wire (Modbus TCP and RTU over a socket), so these tests exercise the driver's own
error handling, not a mock of it.
"""

from __future__ import annotations

import time

import pytest

from drivers.errors import (
    InstrumentConnectionError,
    InstrumentError,
    InstrumentRejected,
    InstrumentReplyError,
    InstrumentTimeout,
    UnknownModel,
    UnsupportedFeature,
)
from drivers.meter import open_meter, snapshot_delta
from drivers.meter.sim import Framing
from drivers.meter.sim_faults import QUANTITIES, Quantity, ValueFault, WireFault
from drivers.meter.sunspec import SunSpecMeter
from tests.meter.conftest import TEST_TIMEOUT_S, MeterBench

FRAMINGS: list[Framing] = ["tcp", "rtu"]
MAPS = ["sdm630", "sunspec"]
FIELDS = {
    "voltage": "voltage_v",
    "current": "current_a",
    "power": "power_w",
    "frequency": "frequency_hz",
    "energy": "import_energy_wh",
}


def _assert_names_exchange(exc: InstrumentError, *, received: bool) -> None:
    assert exc.instrument == "eumd"
    assert "eumd:" in str(exc)
    assert isinstance(exc.sent, bytes) and exc.sent, "the request frame must be in the error"
    if received:
        assert isinstance(exc.received, bytes) and exc.received, "the reply must be in the error"
    assert exc.sent.hex(" ") in str(exc)


@pytest.mark.parametrize("framing", FRAMINGS)
@pytest.mark.parametrize("map_name", MAPS)
def test_exception_code_is_rejected_not_retried(
    bench: MeterBench, framing: Framing, map_name: str
) -> None:
    sim = bench.simulator(framing, map_name)
    meter = bench.driver(sim, map_name)
    meter.snapshot()  # discovery done, link healthy
    sim.faults.exception(4)
    before = sim.requests
    with pytest.raises(InstrumentRejected) as info:
        meter.snapshot()
    assert sim.requests == before + 1, "an exception response must not be retried"
    assert "Modbus exception 4 (server device failure)" in str(info.value)
    _assert_names_exchange(info.value, received=True)
    sim.faults.clear_wire()
    assert meter.snapshot().voltage_v > 0


@pytest.mark.parametrize("framing", FRAMINGS)
def test_no_reply_times_out_fast_after_one_retry(bench: MeterBench, framing: Framing) -> None:
    sim = bench.simulator(framing)
    meter = bench.driver(sim)
    sim.faults.inject(WireFault.NO_REPLY)
    before = sim.requests
    started = time.perf_counter()
    with pytest.raises(InstrumentTimeout) as info:
        meter.snapshot()
    elapsed = time.perf_counter() - started
    assert sim.requests == before + 2, "a read is retried once"
    assert elapsed < 2 * TEST_TIMEOUT_S + 0.3
    assert "no reply within 0.15 s" in str(info.value)
    _assert_names_exchange(info.value, received=False)


@pytest.mark.parametrize("framing", FRAMINGS)
def test_one_lost_reply_is_retried_transparently(bench: MeterBench, framing: Framing) -> None:
    sim = bench.simulator(framing)
    meter = bench.driver(sim)
    sim.faults.inject(WireFault.NO_REPLY, times=1)
    assert meter.snapshot().current_a > 0


@pytest.mark.parametrize("fault", [WireFault.GARBAGE, WireFault.TRUNCATED])
@pytest.mark.parametrize("framing", FRAMINGS)
def test_garbled_reply_is_a_reply_error_with_the_bytes(
    bench: MeterBench, framing: Framing, fault: WireFault
) -> None:
    sim = bench.simulator(framing)
    meter = bench.driver(sim)
    sim.faults.inject(fault)
    with pytest.raises(InstrumentReplyError) as info:
        meter.snapshot()
    assert "garbled or truncated reply" in str(info.value)
    _assert_names_exchange(info.value, received=True)
    received = info.value.received
    assert isinstance(received, bytes)
    assert received.hex(" ") in str(info.value)


def test_default_timeouts_keep_a_hung_device_under_a_second() -> None:
    from drivers.meter.link_settings import parse_link

    assert parse_link("tcp://127.0.0.1:502").timeout_s < 1.0
    assert parse_link("socket://127.0.0.1:5020?baud=9600").timeout_s < 1.0
    assert parse_link("/dev/ttyUSB0", baudrate=9600).timeout_s < 1.0


@pytest.mark.parametrize("framing", FRAMINGS)
def test_dropped_connection_once_is_reconnected(bench: MeterBench, framing: Framing) -> None:
    sim = bench.simulator(framing)
    meter = bench.driver(sim)
    meter.snapshot()
    sim.faults.inject(WireFault.DROP, times=1)
    assert meter.snapshot().voltage_v > 0


def test_dropped_connection_every_time_is_a_connection_error(bench: MeterBench) -> None:
    sim = bench.simulator("tcp")
    meter = bench.driver(sim)
    sim.faults.inject(WireFault.DROP)
    with pytest.raises(InstrumentConnectionError) as info:
        meter.snapshot()
    assert "lost during FC04 read of 74 registers at 0x0000" in str(info.value)
    _assert_names_exchange(info.value, received=False)


def test_connection_lost_mid_session_then_server_gone(bench: MeterBench) -> None:
    sim = bench.simulator("tcp")
    meter = bench.driver(sim)
    meter.snapshot()
    sim.stop_on(bench.loop)
    bench.sims.remove(sim)
    started = time.perf_counter()
    with pytest.raises(InstrumentConnectionError) as info:
        meter.snapshot()
    assert time.perf_counter() - started < 1.0
    assert "eumd" in str(info.value)


def test_unreachable_meter_is_a_connection_error_naming_the_url() -> None:
    meter = open_meter("sdm630", "tcp://127.0.0.1:9", name="eumd", timeout_s=0.2)
    with pytest.raises(InstrumentConnectionError) as info:
        meter.identity()
    assert "tcp://127.0.0.1:9" in str(info.value)
    assert info.value.instrument == "eumd"


def test_rtu_device_on_another_address_stays_silent(bench: MeterBench) -> None:
    sim = bench.simulator("rtu")
    meter = open_meter("sdm630", sim.endpoint.url, unit=7, name="eumd", timeout_s=0.1, retries=0)
    bench.meters.append(meter)
    with pytest.raises(InstrumentTimeout) as info:
        meter.snapshot()
    assert "unit 7" in str(info.value)


def test_tcp_gateway_answers_for_a_missing_unit(bench: MeterBench) -> None:
    sim = bench.simulator("tcp")
    meter = open_meter("sdm630", sim.endpoint.url, unit=7, name="eumd", timeout_s=0.1)
    bench.meters.append(meter)
    with pytest.raises(InstrumentRejected, match="exception 11"):
        meter.snapshot()


@pytest.mark.parametrize("quantity", QUANTITIES)
@pytest.mark.parametrize("fault", list(ValueFault))
@pytest.mark.parametrize("map_name", MAPS)
def test_bad_values_are_reply_errors_never_readings(
    bench: MeterBench, map_name: str, fault: ValueFault, quantity: Quantity
) -> None:
    sim = bench.simulator("tcp", map_name)
    meter = bench.driver(sim, map_name)
    meter.snapshot()
    sim.faults.set_value(quantity, fault)
    if quantity == "power" and fault is ValueFault.NEGATIVE:
        assert meter.snapshot().power_w < 0  # export: signed, and for the checks to judge
        return
    with pytest.raises(InstrumentReplyError) as info:
        meter.snapshot()
    message = str(info.value)
    assert FIELDS[quantity] in message, message
    if fault is ValueFault.NEGATIVE and not (map_name == "sunspec" and quantity == "energy"):
        assert "is negative" in message
    elif map_name == "sunspec":
        assert "SunSpec's 'not implemented'" in message
    else:
        assert "is not a number" in message
    _assert_names_exchange(info.value, received=True)
    sim.faults.set_value(quantity, None)
    assert meter.snapshot().voltage_v > 0


def test_acc32_rollover_on_the_wire_gives_the_right_delta(bench: MeterBench) -> None:
    sim = bench.simulator("tcp", "sunspec")
    meter = bench.driver(sim, "sunspec")
    sim.prime_rollover(margin_wh=50.0)
    before = meter.snapshot()
    assert before.import_energy_wh > 2**32 - 100
    bench.clock.advance(300.0)  # about 320 Wh at 16 A, 240 V
    after = meter.snapshot()
    assert after.import_energy_wh < 1000
    delta = snapshot_delta(before, after, rollover_wh=meter.energy_rollover_wh, instrument="eumd")
    assert delta.rolled_over
    assert 300 < delta.wh < 340
    assert meter.energy_rollover_wh == 2.0**32


@pytest.mark.parametrize("guarded", [False, True])
def test_acc32_reading_exactly_zero_after_the_wrap_is_a_reading(
    bench: MeterBench, guarded: bool
) -> None:
    """0 is SunSpec's "not implemented" for an acc32, but also where a wrapped counter is.

    Right after a count in the upper half of the range, 0 is the wrap (the same rule
    that tells a roll-over from a meter gone backwards); with the energy-step guard on
    the wrap must also be a step the load could draw.
    """
    sim = bench.simulator("tcp", "sunspec")
    options = {"clock": bench.clock, "max_power_w": 8000.0} if guarded else {}
    meter = bench.driver(sim, "sunspec", **options)
    sim.prime_rollover(margin_wh=3.0)
    before = meter.snapshot()
    assert before.import_energy_wh == 2**32 - 3
    sim.faults.acc32_offset = (sim.faults.acc32_offset + 3) % 2**32  # the counter wraps to 0
    after = meter.snapshot()
    assert after.import_energy_wh == 0.0
    delta = snapshot_delta(before, after, rollover_wh=meter.energy_rollover_wh, instrument="eumd")
    assert delta.rolled_over and delta.wh == 3.0
    sim.faults.acc32_offset = (sim.faults.acc32_offset + 2) % 2**32
    assert meter.snapshot().import_energy_wh == 2.0  # and counting on from there


def test_acc32_zero_in_the_lower_half_is_still_not_implemented(bench: MeterBench) -> None:
    sim = bench.simulator("tcp", "sunspec")
    meter = bench.driver(sim, "sunspec")
    sim.prime_rollover(margin_wh=2**31 + 10)  # a count just below half the range
    assert meter.snapshot().import_energy_wh < 2**31
    sim.faults.acc32_offset = (sim.faults.acc32_offset + 2**31 + 10) % 2**32  # to 0
    with pytest.raises(InstrumentReplyError, match="SunSpec's 'not implemented'"):
        meter.snapshot()


def test_unknown_map_is_unknown_model() -> None:
    with pytest.raises(UnknownModel) as info:
        open_meter("sdm120", "tcp://127.0.0.1:502", name="eumd")
    assert "sdm120" in str(info.value) and "sdm630" in str(info.value)
    assert info.value.instrument == "eumd"


def test_sunspec_driver_on_a_device_without_the_map(bench: MeterBench) -> None:
    sim = bench.simulator("tcp", "sunspec", sunspec_base=50000)
    meter = SunSpecMeter(bench.driver(sim, "sdm630").link, base=40000)
    with pytest.raises(UnsupportedFeature, match='no SunSpec "SunS" marker at 40000'):
        meter.snapshot()


def test_simulator_dropping_every_connection_is_survived(bench: MeterBench) -> None:
    sim = bench.simulator("tcp")
    meter = bench.driver(sim)
    meter.snapshot()
    sim.drop_connections()
    time.sleep(0.05)  # the drop happens on the simulator's loop
    assert meter.snapshot().voltage_v > 0  # the read notices the loss, reconnects, retries
