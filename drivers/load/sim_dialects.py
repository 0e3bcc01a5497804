"""The simulated loads' command sets, one table per dialect, over the coupled model.

:class:`SimInstrument` is the instrument behind the socket: it owns the mode and the
error queue, and it reads and drives the bench model (:class:`LoadModel`, which
:class:`drivers.sim.model.BenchModel` satisfies) for setpoint, power factor, input
and measurements. Its command tables are written independently of the drivers'
declarations, in the instruments' own long/short-form notation, so a typo in a
driver's command string is a test failure and not a mirrored bug.

The error queue behaves like a real one: an unknown header (-113), a bad number
(-120), a value outside the instrument's range (-222), an illegal keyword (-224),
a power factor outside CC/CP mode on the Chroma (-221) each add an entry; it holds
``queue_size`` entries, the last one turning into -350 "Queue overflow" when full;
``SYST:ERR?`` pops the oldest; ``*CLS`` empties it. A query that fails sends no
reply at all, as on a real instrument (the client times out and finds the entry).

Every simulated load has a **communication watchdog** (:attr:`SimInstrument.watchdog_ms`,
0 = off): with no message line from any client for that long, the instrument
switches its input off (:meth:`SimInstrument.watchdog_expired`), and the model sees
the load draw nothing. :class:`drivers.load.sim.LoadSimulator` keeps the time and
can arm it at start (``watchdog_ms=``). Only the generic ``scpi`` table also lets a
client arm it, with ``SYSTem:COMMunicate:WATChdog[:TIMe] <seconds>`` (the rig's
convention, see :mod:`drivers.load.scpi`); the Chroma and ITECH tables keep the
command sets of the real instruments, which have none.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from drivers.kinds import LoadReading
from drivers.load import sim_parser as p
from drivers.registry import Registry


class LoadSettingsView(Protocol):
    @property
    def setpoint_a(self) -> float: ...
    @property
    def power_factor(self) -> float: ...
    @property
    def input_on(self) -> bool: ...


class LoadModel(Protocol):
    """What the simulated load needs from the physical model."""

    def set_load_current(self, amps: float) -> None: ...
    def set_load_power_factor(self, power_factor: float) -> None: ...
    def set_load_input(self, on: bool) -> None: ...
    def load_settings(self) -> LoadSettingsView: ...
    def load_reading(self) -> LoadReading: ...


Handler = Callable[["SimInstrument", str], "str | None"]


@dataclass(frozen=True)
class SimDialect:
    """One simulated instrument family: identity, modes, reply format, command table."""

    name: str
    identity: str
    modes: tuple[str, ...]
    number_format: str
    commands: tuple[tuple[str, Handler], ...]
    pf_modes: tuple[str, ...] | None = None  # modes allowing a PF setting; None: any


class SimInstrument:
    """A simulated load's state and command interpreter (runs on the simulator loop)."""

    def __init__(
        self,
        model: LoadModel,
        dialect: SimDialect,
        *,
        max_current_a: float = 80.0,
        power_factor_range: tuple[float, float] = (0.5, 1.0),
        queue_size: int = 10,
    ) -> None:
        self.model = model
        self.dialect = dialect
        self.max_current_a = max_current_a
        self.power_factor_range = power_factor_range
        self.queue_size = queue_size
        self.mode = "CURR"
        self.power_w = 0.0
        self.errors: deque[tuple[int, str]] = deque()
        self.watchdog_ms = 0
        self.watchdog_trips = 0
        self._fmt = dialect.number_format.format
        self._table = [
            (p.compile_header(pattern.rstrip("?")), pattern.endswith("?"), handler)
            for pattern, handler in dialect.commands
        ]
        self._cache: dict[tuple[str, bool], Handler | None] = {}

    def push_error(self, code: int, message: str) -> None:
        if len(self.errors) >= self.queue_size:
            self.errors[-1] = p.QUEUE_OVERFLOW
        else:
            self.errors.append((code, message))

    def watchdog_expired(self) -> None:
        """No command for :attr:`watchdog_ms`: switch the input off, as the instrument would."""
        self.watchdog_trips += 1
        self.model.set_load_input(False)

    def execute(self, line: str) -> str | None:
        """Run one message line; return its reply line (without terminator), if any."""
        replies: list[str] = []
        for command in line.split(";"):
            if not command.strip():
                continue
            header, query, argument = p.split_command(command)
            try:
                handler = self._lookup(header, query)
                if query and argument:
                    raise p.fail(p.PARAMETER_NOT_ALLOWED)
                reply = handler(self, argument)
            except p.ScpiError as error:
                self.push_error(error.code, error.message)
                return None  # the rest of the message is discarded, no reply
            if reply is not None:
                replies.append(reply)
        return ";".join(replies) if replies else None

    def number(self, value: float) -> str:
        return self._fmt(value)

    def _lookup(self, header: str, query: bool) -> Handler:
        key = (header, query)
        if key not in self._cache:
            tokens = header.split(":")
            self._cache[key] = next(
                (
                    handler
                    for nodes, is_query, handler in self._table
                    if is_query == query and p.header_matches(nodes, tokens)
                ),
                None,
            )
        handler = self._cache[key]
        if handler is None:
            raise p.fail(p.UNDEFINED_HEADER)
        return handler


# -- handlers shared by every dialect -----------------------------------------------------


def _idn(inst: SimInstrument, _: str) -> str:
    return inst.dialect.identity


def _cls(inst: SimInstrument, _: str) -> None:
    inst.errors.clear()


def _rst(inst: SimInstrument, _: str) -> None:
    inst.mode = "CURR"
    inst.model.set_load_input(False)
    inst.model.set_load_current(0.0)


def _opc(inst: SimInstrument, _: str) -> str:
    return "1"


def _error(inst: SimInstrument, _: str) -> str:
    if not inst.errors:
        return '0,"No error"'
    code, message = inst.errors.popleft()
    return f'{code},"{message}"'


def _set_mode(inst: SimInstrument, argument: str) -> None:
    inst.mode = p.choice(argument, inst.dialect.modes)


def _mode(inst: SimInstrument, _: str) -> str:
    return inst.mode


def _set_current(inst: SimInstrument, argument: str) -> None:
    amps = p.number(argument, minimum=0.0, maximum=inst.max_current_a)
    try:
        inst.model.set_load_current(amps)
    except ValueError:
        raise p.fail(p.OUT_OF_RANGE) from None


def _current(inst: SimInstrument, _: str) -> str:
    return inst.number(inst.model.load_settings().setpoint_a)


def _set_power_factor(inst: SimInstrument, argument: str) -> None:
    allowed = inst.dialect.pf_modes
    if allowed is not None and inst.mode not in allowed:
        raise p.fail(p.SETTINGS_CONFLICT)
    low, high = inst.power_factor_range
    value = p.number(argument, minimum=low, maximum=high)
    try:
        inst.model.set_load_power_factor(value)
    except ValueError:
        raise p.fail(p.OUT_OF_RANGE) from None


def _power_factor(inst: SimInstrument, _: str) -> str:
    return inst.number(inst.model.load_settings().power_factor)


def _set_power(inst: SimInstrument, argument: str) -> None:
    inst.power_w = p.number(argument, minimum=0.0, maximum=inst.max_current_a * 300.0)


def _power(inst: SimInstrument, _: str) -> str:
    return inst.number(inst.power_w)


def _set_input(inst: SimInstrument, argument: str) -> None:
    inst.model.set_load_input(p.boolean(argument))


def _input(inst: SimInstrument, _: str) -> str:
    return "1" if inst.model.load_settings().input_on else "0"


def _set_watchdog(inst: SimInstrument, argument: str) -> None:
    seconds = p.number(argument, minimum=0.0, maximum=3600.0)
    inst.watchdog_ms = round(seconds * 1000)


def _watchdog(inst: SimInstrument, _: str) -> str:
    return inst.number(inst.watchdog_ms / 1000)


def _volts(inst: SimInstrument, _: str) -> str:
    return inst.number(inst.model.load_reading().voltage_v)


def _amps(inst: SimInstrument, _: str) -> str:
    return inst.number(inst.model.load_reading().current_a)


def _watts(inst: SimInstrument, _: str) -> str:
    return inst.number(inst.model.load_reading().power_w)


def _pf_reading(inst: SimInstrument, _: str) -> str:
    return inst.number(inst.model.load_reading().power_factor)


def _measure_all(inst: SimInstrument, _: str) -> str:
    r = inst.model.load_reading()
    n = inst.number
    apparent = r.voltage_v * r.current_a
    return ",".join((n(r.voltage_v), n(r.current_a), n(r.power_w), n(apparent), n(r.power_factor)))


COMMON: tuple[tuple[str, Handler], ...] = (
    ("*IDN?", _idn),
    ("*CLS", _cls),
    ("*RST", _rst),
    ("*OPC?", _opc),
    ("SYSTem:ERRor[:NEXT]?", _error),
)

SCPI = SimDialect(
    name="scpi",
    identity="RIG-SIM,AC-LOAD-SCPI,SIM-0001,1.0",
    modes=("CURRent", "VOLTage", "RESistance", "POWer"),
    number_format="{:+.6E}",
    commands=(
        *COMMON,
        ("[SOURce:]FUNCtion[:MODE]", _set_mode),
        ("[SOURce:]FUNCtion[:MODE]?", _mode),
        ("[SOURce:]CURRent[:LEVel][:IMMediate][:AMPLitude]", _set_current),
        ("[SOURce:]CURRent[:LEVel][:IMMediate][:AMPLitude]?", _current),
        ("INPut[:STATe]", _set_input),
        ("INPut[:STATe]?", _input),
        ("SYSTem:COMMunicate:WATChdog[:TIMe]", _set_watchdog),
        ("SYSTem:COMMunicate:WATChdog[:TIMe]?", _watchdog),
        ("MEASure[:SCALar]:VOLTage[:AC]?", _volts),
        ("MEASure[:SCALar]:CURRent[:AC]?", _amps),
        ("MEASure[:SCALar]:POWer[:AC][:REAL]?", _watts),
        ("MEASure[:SCALar]:POWer[:AC]:PFACtor?", _pf_reading),
    ),
)

CHROMA_63800 = SimDialect(
    name="chroma63800",
    identity="Chroma ATE,63803,SIM-63803-0001,SIM-1.00",
    modes=("CURRent", "POWer", "RESistance", "RLC"),
    number_format="{:.4f}",
    pf_modes=("CURR", "POW"),
    commands=(
        *COMMON,
        ("LOAD:MODE", _set_mode),
        ("LOAD:MODE?", _mode),
        ("LOAD:CURRent", _set_current),
        ("LOAD:CURRent?", _current),
        ("LOAD:PFACtor", _set_power_factor),
        ("LOAD:PFACtor?", _power_factor),
        ("LOAD[:STATe]", _set_input),
        ("LOAD[:STATe]?", _input),
        ("MEASure:VOLTage?", _volts),
        ("MEASure:CURRent?", _amps),
        ("MEASure:POWer[:REAL]?", _watts),
        ("MEASure:POWer:PFACtor?", _pf_reading),
    ),
)

IT8600 = SimDialect(
    name="it8600",
    identity="ITECH Ltd.,IT8615,SIM-IT8615-0001,SIM-1.05",
    modes=("CURRent", "VOLTage", "RESistance", "POWer"),
    number_format="{:.4f}",
    commands=(
        *COMMON,
        ("[SOURce:]FUNCtion", _set_mode),
        ("[SOURce:]FUNCtion?", _mode),
        ("[SOURce:]CURRent[:LEVel][:IMMediate]", _set_current),
        ("[SOURce:]CURRent[:LEVel][:IMMediate]?", _current),
        ("[SOURce:]POWer[:LEVel][:IMMediate]", _set_power),
        ("[SOURce:]POWer[:LEVel][:IMMediate]?", _power),
        ("[SOURce:]PFACtor", _set_power_factor),
        ("[SOURce:]PFACtor?", _power_factor),
        ("INPut[:STATe]", _set_input),
        ("INPut[:STATe]?", _input),
        ("MEASure[:SCALar]?", _measure_all),
    ),
)

#: The simulated loads' command tables by dialect name.
SIM_DIALECTS: Registry[SimDialect] = Registry(
    "simulated load dialect", "drivers.load", simulators=True
)
for _table in (SCPI, CHROMA_63800, IT8600):
    SIM_DIALECTS.add(_table.name, _table)
