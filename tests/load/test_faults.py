"""Every fault gives a clear, typed error naming the instrument, the request and the reply.

Faults are injected into the simulator (no reply, garbage, truncated reply, error-queue
entry, dropped connection) and into its replies (NaN, SCPI's 9.91E37, negative and
out-of-range values); the driver must raise, never return a wrong reading, and the
next call must work again on a clean stream.
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
)
from drivers.load import ScpiLoad, load_class, open_load
from drivers.load.sim import Fault, LoadSimulator
from drivers.load.sim_dialects import SIM_DIALECTS
from load.support import DIALECTS, TEST_TIMEOUT_S, SimBench

MEASURE_COMMAND = {"scpi": "MEAS:VOLT?", "chroma63800": "MEAS:VOLT?", "it8600": "MEAS?"}


def _expected_voltage(bench: SimBench) -> float:
    return round(bench.model.load_reading().voltage_v, 4)


def _charging(bench: SimBench, load: ScpiLoad) -> None:
    """Contactor closed, load drawing, so every reading is non-trivial."""
    from drivers.kinds import PilotState

    bench.model.set_duty(50.0)
    bench.model.set_pilot_state(PilotState.C)
    load.set_current(10.0)
    load.set_input(True)
    bench.clock.advance(5.0)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_no_reply_is_a_timeout_that_costs_one_timeout(bench: SimBench, dialect: str) -> None:
    sim, load = bench.pair(dialect)
    _charging(bench, load)
    sim.inject(Fault.NO_REPLY, match="MEAS")
    started = time.perf_counter()
    with pytest.raises(InstrumentTimeout) as caught:
        load.measure()
    elapsed = time.perf_counter() - started
    assert TEST_TIMEOUT_S * 0.9 <= elapsed < TEST_TIMEOUT_S + 0.3
    assert caught.value.sent == MEASURE_COMMAND[dialect]
    assert caught.value.received is None
    assert dialect in caught.value.instrument and sim.endpoint in caught.value.instrument
    assert load.measure().voltage_v == pytest.approx(_expected_voltage(bench), abs=1e-3)


def test_default_timeout_keeps_a_hung_device_well_under_a_second(bench: SimBench) -> None:
    sim = bench.simulator("chroma63800")
    load = bench.driver(sim, timeout_s=0.5)
    sim.inject(Fault.NO_REPLY)
    started = time.perf_counter()
    with pytest.raises(InstrumentTimeout, match=r"within 0\.5 s"):
        load.identity()
    assert time.perf_counter() - started < 0.8


@pytest.mark.parametrize("dialect", DIALECTS)
def test_garbage_reply_is_a_reply_error_quoting_it(bench: SimBench, dialect: str) -> None:
    sim, load = bench.pair(dialect)
    sim.inject(Fault.GARBAGE, match="MEAS")
    with pytest.raises(InstrumentReplyError) as caught:
        load.measure()
    assert caught.value.received == "#?!garbage"
    assert caught.value.sent == MEASURE_COMMAND[dialect]
    assert "'#?!garbage'" in str(caught.value)
    load.measure()  # the stream is still in step


@pytest.mark.parametrize("dialect", DIALECTS)
def test_truncated_reply_fails_and_leaves_no_stale_bytes(bench: SimBench, dialect: str) -> None:
    sim, load = bench.pair(dialect)
    _charging(bench, load)
    sim.inject(Fault.TRUNCATED, match="MEAS")
    with pytest.raises(InstrumentTimeout) as caught:
        load.measure()
    assert caught.value.sent == MEASURE_COMMAND[dialect]
    # the half reply must not be glued to the next one: the session reconnected
    assert load.measure().voltage_v == pytest.approx(_expected_voltage(bench), abs=1e-3)
    assert load.current_setpoint() == pytest.approx(10.0)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_error_queue_entry_refuses_the_setting(bench: SimBench, dialect: str) -> None:
    sim, load = bench.pair(dialect)
    on_command = load.commands.input_on
    sim.inject(Fault.ERROR, match=on_command, error=(-200, "Execution error"))
    with pytest.raises(InstrumentRejected) as caught:
        load.set_input(True)
    error = caught.value
    assert error.sent == on_command
    assert error.received == '-200,"Execution error"'
    assert f"refused {on_command!r}" in str(error)
    assert load.input_enabled() is False  # the refused command did not take effect
    load.set_input(True)
    assert load.input_enabled() is True


def test_every_queued_entry_is_drained_and_reported(bench: SimBench) -> None:
    sim, load = bench.pair("chroma63800")
    load.session.query("*OPC?")  # the opening *CLS has arrived and will not clear these
    sim.push_error(-310, "System error")
    sim.push_error(-350, "Queue overflow")
    with pytest.raises(InstrumentRejected) as caught:
        load.set_current(1.0)
    assert '-310,"System error"; -350,"Queue overflow"' in str(caught.value)
    assert sim.error_queue() == []
    load.set_current(1.0)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_dropped_connection_is_a_connection_error_then_recovers(
    bench: SimBench, dialect: str
) -> None:
    sim, load = bench.pair(dialect)
    sim.inject(Fault.DROP, match="MEAS")
    with pytest.raises(InstrumentConnectionError, match="closed the connection") as caught:
        load.measure()
    assert caught.value.sent == MEASURE_COMMAND[dialect]
    load.set_input(False)  # a safe-state teardown reaches the instrument again
    assert load.input_enabled() is False


def test_drop_during_a_setting_is_a_connection_error(bench: SimBench) -> None:
    sim, load = bench.pair("it8600")
    sim.inject(Fault.DROP, match="INP:STAT 1")
    with pytest.raises(InstrumentConnectionError):
        load.set_input(True)
    assert load.input_enabled() is False


@pytest.mark.parametrize(
    "reply",
    ["NaN", "nan", "inf", "9.91E37", "9.9E37", "-5.0", "1e9", "", "23O.1", "1,2"],
)
@pytest.mark.parametrize("dialect", ["scpi", "chroma63800"])
def test_impossible_numbers_are_refused(bench: SimBench, dialect: str, reply: str) -> None:
    sim, load = bench.pair(dialect)
    sim.inject(Fault.GARBAGE, match="MEAS:VOLT", reply=reply)
    with pytest.raises(InstrumentReplyError) as caught:
        load.measure()
    assert caught.value.received == reply
    assert caught.value.sent == "MEAS:VOLT?"


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        ("230.0,16.0,3680.0,3680.0", "expected 5"),
        ("230.0,16.0,3680.0,3680.0,0.95,1", "expected 5"),
        ("230.0,16.0,NaN,3680.0,0.95", "outside the plausible range"),
        ("230.0,-16.0,3680.0,3680.0,0.95", "outside the plausible range"),
        ("230.0,16.0,3680.0,3680.0,1.7", "outside the plausible range"),
        ("230.0,16.0,3680.0,3680.0,", "not a number"),
    ],
)
def test_it8600_csv_is_checked_field_by_field(bench: SimBench, reply: str, problem: str) -> None:
    sim, load = bench.pair("it8600")
    sim.inject(Fault.GARBAGE, match="MEAS?", reply=reply)
    with pytest.raises(InstrumentReplyError, match=problem) as caught:
        load.measure()
    assert caught.value.received == reply


@pytest.mark.parametrize("reply", ["", "garbage", ",63803,SN,1.0", "Chroma ATE,,SN,1.0"])
def test_identity_garbage_is_refused(bench: SimBench, reply: str) -> None:
    sim, load = bench.pair("chroma63800")
    sim.inject(Fault.GARBAGE, match="*IDN?", reply=reply)
    with pytest.raises(InstrumentReplyError, match=r"\*IDN\?"):
        load.identity()


@pytest.mark.parametrize("reply", ["2", "yes", "", "1.5"])
def test_input_state_garbage_is_refused(bench: SimBench, reply: str) -> None:
    sim, load = bench.pair("it8600")
    sim.inject(Fault.GARBAGE, match="INP:STAT?", reply=reply)
    with pytest.raises(InstrumentReplyError, match="boolean"):
        load.input_enabled()


def test_garbage_from_the_error_queue_is_a_reply_error(bench: SimBench) -> None:
    sim, load = bench.pair("scpi")
    sim.inject(Fault.GARBAGE, match="SYST:ERR?", reply="OK")
    with pytest.raises(InstrumentReplyError, match="error-queue entry") as caught:
        load.set_input(True)
    assert caught.value.sent == "SYST:ERR?"


def test_non_ascii_reply_is_a_reply_error_with_the_bytes(bench: SimBench) -> None:
    sim, load = bench.pair("scpi")
    sim.inject(Fault.GARBAGE, match="MEAS", reply="\xff\xfe23")
    with pytest.raises(InstrumentReplyError, match="not ASCII") as caught:
        load.measure()
    assert caught.value.received == b"\xff\xfe23\n"


def test_a_failing_query_gets_no_reply_and_leaves_an_entry(bench: SimBench) -> None:
    _, load = bench.pair("chroma63800")
    with pytest.raises(InstrumentTimeout):
        load.session.query("MEAS:BOGUS?")
    with pytest.raises(InstrumentRejected, match="-113"):
        load.session.check_errors()


def test_power_factor_outside_cc_mode_is_a_settings_conflict(bench: SimBench) -> None:
    _, load = bench.pair("chroma63800")
    load.session.setting("LOAD:MODE RES")
    with pytest.raises(InstrumentRejected, match="-221"):
        load.session.setting("LOAD:PFAC 0.9")
    load.constant_current_mode()
    load.set_power_factor(0.9)
    assert load.power_factor_setpoint() == pytest.approx(0.9)


@pytest.mark.parametrize("amps", [float("nan"), float("inf"), -1.0])
def test_impossible_setpoints_never_reach_the_wire(bench: SimBench, amps: float) -> None:
    sim, load = bench.pair("chroma63800")
    load.session.query("*OPC?")  # the opening *CLS has surely arrived
    sim.transcript.clear()
    with pytest.raises(ValueError, match="current setpoint"):
        load.set_current(amps)
    with pytest.raises(ValueError, match="power factor"):
        load.set_power_factor(amps if amps != -1.0 else -1.5)
    load.session.query("*OPC?")
    assert [line for line, _ in sim.transcript] == ["*OPC?"]


def test_nobody_listening_is_a_connection_error(bench: SimBench) -> None:
    sim = bench.simulator("scpi")
    endpoint = sim.endpoint
    sim.stop_on(bench.loop)
    bench.sims.remove(sim)
    with pytest.raises(InstrumentConnectionError) as caught:
        open_load("scpi", endpoint, timeout_s=TEST_TIMEOUT_S)
    assert endpoint in str(caught.value)


def test_unparsable_resource_is_a_connection_error() -> None:
    with pytest.raises(InstrumentConnectionError, match="cannot open 'NOT-A-RESOURCE'"):
        open_load("scpi", "NOT-A-RESOURCE", timeout_s=TEST_TIMEOUT_S)


def test_a_closed_driver_says_so(bench: SimBench) -> None:
    _, load = bench.pair("scpi")
    load.close()
    with pytest.raises(InstrumentConnectionError, match="closed"):
        load.identity()


@pytest.mark.parametrize("name", ["chroma", "it8500", "", "keysight"])
def test_unknown_dialect_is_an_unknown_model(name: str) -> None:
    with pytest.raises(UnknownModel) as caught:
        load_class(name, name="bench load")
    message = str(caught.value)
    assert caught.value.instrument == "bench load"
    assert repr(name) in message and "chroma63800, it8600, scpi" in message
    with pytest.raises(UnknownModel):
        LoadSimulator(object(), name)  # type: ignore[arg-type]


def test_dialect_names_are_normalised() -> None:
    assert load_class(" Chroma63800 ").dialect == "chroma63800"
    assert set(SIM_DIALECTS) == set(DIALECTS)


def test_all_errors_share_the_base_class() -> None:
    for kind in (
        InstrumentConnectionError,
        InstrumentTimeout,
        InstrumentReplyError,
        InstrumentRejected,
        UnknownModel,
    ):
        assert issubclass(kind, InstrumentError)


def test_after_a_reconnect_cc_mode_is_selected_again(bench: SimBench) -> None:
    sim, load = bench.pair("chroma63800")
    load.set_current(5.0)
    sim.inject(Fault.DROP, match="LOAD?")
    with pytest.raises(InstrumentConnectionError):
        load.input_enabled()
    sim.instrument.mode = "RES"  # as if the load had restarted in another mode
    load.set_current(6.0)
    assert sim.instrument.mode == "CURR"
    assert load.current_setpoint() == pytest.approx(6.0)


def test_someone_else_closing_the_visa_manager_does_not_break_opening(bench: SimBench) -> None:
    import pyvisa

    sim, first = bench.pair("scpi")
    pyvisa.ResourceManager("@py").close()  # pyvisa shares one session per backend
    second = bench.driver(sim)
    assert second.identity().model == "AC-LOAD-SCPI"
    first.close()
