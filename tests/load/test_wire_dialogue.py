"""The exact wire dialogue of every driver method, per dialect.

Each test calls one driver method against the simulator and compares the lines the
simulator received (and what it replied) with the dialogue written out here. These
strings are what a real instrument will see: a change to a dialect's command table
must show up as a change to this file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from drivers.load import ScpiLoad
from drivers.load.sim import LoadSimulator
from load.support import SimBench

OK = '0,"No error"'
Dialogue = list[tuple[str, str | None]]


def dialogue(sim: LoadSimulator, load: ScpiLoad, action: Callable[[], Any]) -> Dialogue:
    """What crossed the wire while ``action`` ran (``*OPC?`` fences both ends)."""
    load.session.query("*OPC?")
    sim.transcript.clear()
    action()
    load.session.query("*OPC?")
    lines = list(sim.transcript)
    assert lines[-1] == ("*OPC?", "1")
    return lines[:-1]


def setting(command: str) -> Dialogue:
    return [(command, None), ("SYST:ERR?", OK)]


SETUP: dict[str, dict[str, Dialogue]] = {
    "scpi": {
        "first_current": setting("FUNC CURR") + setting("SOUR:CURR 16.000"),
        "next_current": setting("SOUR:CURR 10.500"),
        "input_on": setting("INP ON"),
        "input_off": setting("INP OFF"),
    },
    "chroma63800": {
        "first_current": setting("LOAD:MODE CURR") + setting("LOAD:CURR 16.000"),
        "next_current": setting("LOAD:CURR 10.500"),
        "power_factor": setting("LOAD:PFAC 0.950"),
        "input_on": setting("LOAD 1"),
        "input_off": setting("LOAD 0"),
    },
    "it8600": {
        "first_current": setting("FUNC CURR") + setting("CURR 16.000"),
        "next_current": setting("CURR 10.500"),
        "power_factor": setting("PFAC 0.950"),
        "input_on": setting("INP:STAT 1"),
        "input_off": setting("INP:STAT 0"),
    },
}


@pytest.mark.parametrize("dialect", sorted(SETUP))
def test_settings(bench: SimBench, dialect: str) -> None:
    sim, load = bench.pair(dialect)
    expected = SETUP[dialect]
    assert dialogue(sim, load, lambda: load.set_current(16.0)) == expected["first_current"]
    assert dialogue(sim, load, lambda: load.set_current(10.5)) == expected["next_current"]
    if "power_factor" in expected:
        assert dialogue(sim, load, lambda: load.set_power_factor(0.95)) == expected["power_factor"]
    else:
        assert dialogue(sim, load, lambda: _unsupported(load)) == []
    assert dialogue(sim, load, lambda: load.set_input(True)) == expected["input_on"]
    assert dialogue(sim, load, lambda: load.set_input(False)) == expected["input_off"]


def _unsupported(load: ScpiLoad) -> None:
    with pytest.raises(Exception, match="no power-factor setting"):
        load.set_power_factor(0.95)


def test_power_factor_first_selects_cc_mode(bench: SimBench) -> None:
    sim, load = bench.pair("chroma63800")
    assert dialogue(sim, load, lambda: load.set_power_factor(0.8)) == setting(
        "LOAD:MODE CURR"
    ) + setting("LOAD:PFAC 0.800")


QUERIES: dict[str, Dialogue] = {
    "scpi": [
        ("*IDN?", "RIG-SIM,AC-LOAD-SCPI,SIM-0001,1.0"),
        ("INP?", "0"),
        ("SOUR:CURR?", "+1.250000E+01"),
    ],
    "chroma63800": [
        ("*IDN?", "Chroma ATE,63803,SIM-63803-0001,SIM-1.00"),
        ("LOAD?", "0"),
        ("LOAD:CURR?", "12.5000"),
        ("LOAD:PFAC?", "1.0000"),
    ],
    "it8600": [
        ("*IDN?", "ITECH Ltd.,IT8615,SIM-IT8615-0001,SIM-1.05"),
        ("INP:STAT?", "0"),
        ("CURR?", "12.5000"),
        ("PFAC?", "1.0000"),
    ],
}


@pytest.mark.parametrize("dialect", sorted(QUERIES))
def test_queries(bench: SimBench, dialect: str) -> None:
    sim, load = bench.pair(dialect)
    load.set_current(12.5)

    def ask() -> None:
        load.identity()
        load.input_enabled()
        load.current_setpoint()
        if load.commands.power_factor_setpoint is not None:
            load.power_factor_setpoint()

    assert dialogue(sim, load, ask) == QUERIES[dialect]


MEASURE: dict[str, list[str]] = {
    "scpi": ["MEAS:VOLT?", "MEAS:CURR?", "MEAS:POW?", "MEAS:POW:PFAC?"],
    "chroma63800": ["MEAS:VOLT?", "MEAS:CURR?", "MEAS:POW:REAL?", "MEAS:POW:PFAC?"],
    "it8600": ["MEAS?"],
}


@pytest.mark.parametrize("dialect", sorted(MEASURE))
def test_measure(bench: SimBench, dialect: str) -> None:
    sim, load = bench.pair(dialect)
    seen: list[Any] = []
    lines = dialogue(sim, load, lambda: seen.append(load.measure()))
    assert [command for command, _ in lines] == MEASURE[dialect]
    assert all(reply is not None for _, reply in lines)
    reading = seen[0]
    if dialect == "it8600":
        assert lines[0][1] is not None
        fields = [float(x) for x in lines[0][1].split(",")]
        assert (reading.voltage_v, reading.current_a, reading.power_w) == tuple(fields[:3])
        assert reading.power_factor == fields[4]
    else:
        values = [float(reply or "nan") for _, reply in lines]
        assert [reading.voltage_v, reading.current_a, reading.power_w, reading.power_factor] == (
            values
        )


@pytest.mark.parametrize("dialect", sorted(MEASURE))
def test_opening_clears_the_status(bench: SimBench, dialect: str) -> None:
    sim = bench.simulator(dialect)
    load = bench.driver(sim)
    load.session.query("*OPC?")
    assert list(sim.transcript) == [("*CLS", None), ("*OPC?", "1")]
