"""Energy totals and replies a meter cannot really have sent are refused, over the real wire.

Against the simulated meter on its Modbus TCP and RTU wires: a total beyond the
register's range (1e33 Wh was once accepted), a total that grew faster than the
bench's maximum power allows in the time between two reads, and a well-formed reply
carrying the wrong function code. Each refusal is an ``InstrumentReplyError`` naming
the meter, the frame sent and the bytes received.
"""

from __future__ import annotations

import pytest

from drivers.errors import InstrumentReplyError
from drivers.meter.sdm630 import MAX_ENERGY_KWH
from drivers.meter.sim_faults import WireFault
from tests.meter.conftest import START_WH, MeterBench

MAPS = ("sdm630", "sunspec")
MAX_POWER_W = 7400.0  # a 32 A single-phase bench; the model draws about 3.8 kW at 16 A


def _assert_names_the_exchange(error: InstrumentReplyError) -> None:
    assert error.instrument == "eumd"
    assert isinstance(error.sent, bytes) and error.sent
    assert isinstance(error.received, bytes) and error.received


@pytest.mark.parametrize("framing", ["tcp", "rtu"])
def test_an_sdm630_total_beyond_its_register_range_is_refused(
    bench: MeterBench, framing: str
) -> None:
    sim = bench.simulator(framing)  # type: ignore[arg-type]
    meter = bench.driver(sim, "sdm630")
    sim.faults.energy_offset_wh = 1e33
    with pytest.raises(InstrumentReplyError, match=r"register's range \(9999999\.9 kWh\)") as e:
        meter.snapshot()
    _assert_names_the_exchange(e.value)
    assert "import_energy_wh" in str(e.value) and "0x0048" in str(e.value)


def test_the_top_of_the_sdm630_range_is_still_a_reading(bench: MeterBench) -> None:
    sim = bench.simulator()
    meter = bench.driver(sim, "sdm630")
    sim.faults.energy_offset_wh = MAX_ENERGY_KWH * 1000 - START_WH - 10_000
    assert meter.snapshot().import_energy_wh == pytest.approx(MAX_ENERGY_KWH * 1000, rel=1e-6)


def test_a_sunspec_acc32_total_cannot_leave_its_range(bench: MeterBench) -> None:
    """1e13 Wh does not fit 32 bits: the counter wraps, and the reading stays in range."""
    sim = bench.simulator("tcp", "sunspec")
    meter = bench.driver(sim, "sunspec")
    sim.faults.energy_offset_wh = 1e13
    snapshot = meter.snapshot()
    assert meter.energy_rollover_wh is not None
    assert 0 < snapshot.import_energy_wh < meter.energy_rollover_wh


@pytest.mark.parametrize("framing", ["tcp", "rtu"])
@pytest.mark.parametrize("map_name", MAPS)
def test_a_reply_with_the_wrong_function_code_is_refused(
    bench: MeterBench, framing: str, map_name: str
) -> None:
    sim = bench.simulator(framing, map_name)  # type: ignore[arg-type]
    meter = bench.driver(sim, map_name)
    meter.snapshot()  # SunSpec discovery done on a healthy wire
    sim.faults.inject(WireFault.WRONG_FUNCTION)  # until cleared: the retry sees it too
    asked, answered = (4, 3) if map_name == "sdm630" else (3, 4)
    with pytest.raises(InstrumentReplyError, match=f"function code {answered} .*not {asked}") as e:
        meter.snapshot()
    _assert_names_the_exchange(e.value)
    sim.faults.clear_wire()
    sim.faults.inject(WireFault.WRONG_FUNCTION, times=1)
    assert meter.snapshot().import_energy_wh > 0  # one bad reply: retried on a fresh link


@pytest.mark.parametrize("map_name", MAPS)
def test_an_energy_step_beyond_max_power_is_refused(bench: MeterBench, map_name: str) -> None:
    sim = bench.simulator("tcp", map_name)
    meter = bench.driver(sim, map_name, clock=bench.clock, max_power_w=MAX_POWER_W)
    first = meter.snapshot().import_energy_wh
    bench.clock.advance(60.0)
    second = meter.snapshot().import_energy_wh  # 60 s at 3.8 kW: about 64 Wh, allowed
    assert 50.0 < second - first < 80.0
    sim.faults.energy_offset_wh = 500.0  # 500 Wh in no time: 7.4 kW could add 4.1 Wh
    with pytest.raises(InstrumentReplyError, match=r"jumped 50\d(\.\d+)? Wh in 0 s") as e:
        meter.snapshot()
    _assert_names_the_exchange(e.value)
    assert "7400 W with a 2 s margin" in str(e.value)
    sim.faults.energy_offset_wh = 0.0
    bench.clock.advance(1.0)
    assert meter.snapshot().import_energy_wh >= second  # the refused total was no reference


@pytest.mark.parametrize("map_name", MAPS)
def test_the_step_rule_follows_the_stated_maximum(bench: MeterBench, map_name: str) -> None:
    """The model really draws 3.8 kW: a bench declared as 1 kW must refuse its growth."""
    sim = bench.simulator("tcp", map_name)
    meter = bench.driver(sim, map_name, clock=bench.clock, max_power_w=1000.0)
    meter.snapshot()
    bench.clock.advance(600.0)  # about 640 Wh; 1 kW allows 167 Wh
    with pytest.raises(InstrumentReplyError, match="jumped"):
        meter.snapshot()


def test_a_sunspec_roll_over_is_not_a_jump(bench: MeterBench) -> None:
    sim = bench.simulator("tcp", "sunspec")
    meter = bench.driver(sim, "sunspec", clock=bench.clock, max_power_w=MAX_POWER_W)
    sim.prime_rollover(20.0)
    before = meter.snapshot().import_energy_wh
    bench.clock.advance(60.0)  # about 64 Wh: the acc32 counter wraps on the way
    after = meter.snapshot().import_energy_wh
    assert after < before


def test_without_a_clock_no_step_rule_applies(bench: MeterBench) -> None:
    sim = bench.simulator()
    meter = bench.driver(sim, "sdm630")
    first = meter.snapshot().import_energy_wh
    sim.faults.energy_offset_wh = 500.0
    assert meter.snapshot().import_energy_wh > first + 400


def test_an_impossible_maximum_is_refused(bench: MeterBench) -> None:
    sim = bench.simulator()
    with pytest.raises(ValueError, match="max_power_w"):
        bench.driver(sim, "sdm630", clock=bench.clock, max_power_w=0.0)
