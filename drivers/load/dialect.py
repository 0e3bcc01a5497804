"""How a load dialect is declared, and the one driver class that speaks them all.

A dialect is data, in the pymeasure spirit: a :class:`LoadCommands` value lists the
exact command strings an instrument family understands, and a subclass of
:class:`ScpiLoad` does nothing but name itself and declare them::

    class Chroma63800(ScpiLoad):
        dialect = "chroma63800"
        commands = LoadCommands(constant_current="LOAD:MODE CURR", ...)

:class:`ScpiLoad` implements the :class:`drivers.kinds.Load` protocol once, on top
of :class:`~drivers.load.session.ScpiSession`:

- every *setting* (mode, current, power factor, input) is a write followed by an
  error-queue check, so a refused command raises
  :class:`~drivers.errors.InstrumentRejected` at once;
- constant-current mode is selected before the first current or power-factor
  setting, again after the session had to reopen the link (the instrument may have
  restarted), and on demand with :meth:`ScpiLoad.constant_current_mode`; a power
  factor only applies in CC mode on these loads;
- a dialect without a power-factor command raises
  :class:`~drivers.errors.UnsupportedFeature` instead of pretending;
- readings are measured either by one query per quantity
  (:class:`SeparateQueries`) or by one query returning a CSV list
  (:class:`CsvQuery`), and every value is range-checked
  (:class:`ReadingLimits`).

**Communication watchdog.** :meth:`ScpiLoad.arm_watchdog` arms the instrument's own
watchdog where the dialect declares one (:attr:`LoadCommands.watchdog`, a setting in
seconds): with no command for the timeout, the load switches its input off by
itself, so a controller that is killed or loses power cannot leave it drawing. A
dialect without one says so in :attr:`ScpiLoad.no_watchdog`, and a load that refuses
the declared command is reported as unarmed, never as armed. Either way, for any
timeout above 0 the session sends a harmless keep-alive query
(:attr:`LoadCommands.keep_alive`) whenever the link has been idle for a third of the
timeout: a live controller never trips a watchdog, whether the driver armed it or the
bench did (the simulated load armed at start, a link-watching interlock box).

Setpoints are range-checked by the driver only for what no instrument could mean
(NaN, infinity, a negative current, a power factor outside [-1, 1]); the
instrument's own rating is the instrument's to enforce through its error queue.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Unpack

from drivers.errors import InstrumentRejected, UnsupportedFeature
from drivers.kinds import Identity, LoadReading, Watchdog
from drivers.load import replies
from drivers.load.session import ScpiSession, VisaOptions


@dataclass(frozen=True)
class SeparateQueries:
    """One query per measured quantity, each replying with one number."""

    voltage: str
    current: str
    power: str
    power_factor: str


@dataclass(frozen=True)
class CsvQuery:
    """One query replying with a comma-separated list of numbers.

    ``fields`` names each position in the reply: ``"voltage"``, ``"current"``,
    ``"power"``, ``"power_factor"``, or ``None`` for a field the driver ignores
    (its presence is still checked, so a cut-off list is caught).
    """

    command: str
    fields: tuple[str | None, ...]


@dataclass(frozen=True)
class LoadCommands:
    """The command strings of one dialect. ``{amps}``, ``{pf}`` and ``{seconds}`` are filled in."""

    constant_current: str
    set_current: str
    current_setpoint: str
    input_on: str
    input_off: str
    input_state: str
    measure: SeparateQueries | CsvQuery
    set_power_factor: str | None = None
    power_factor_setpoint: str | None = None
    identify: str = "*IDN?"
    clear_status: str = "*CLS"
    error_query: str = "SYST:ERR?"
    watchdog: str | None = None  # communication watchdog timeout, s; 0 disables
    keep_alive: str = "*OPC?"  # a harmless query that feeds a watchdog


@dataclass(frozen=True)
class ReadingLimits:
    """Plausible ranges; a reply outside one is an error, never a reading.

    RMS voltage and current cannot be negative; the small negative allowance covers
    the zero offset some loads show with the input off. Power is real power drawn.
    """

    voltage_v: tuple[float, float] = (-0.5, 1000.0)
    current_a: tuple[float, float] = (-0.05, 1000.0)
    power_w: tuple[float, float] = (-50.0, 1.0e6)
    power_factor: tuple[float, float] = (-1.0, 1.0)
    setpoint_a: tuple[float, float] = (0.0, 1000.0)


class ScpiLoad:
    """A programmable AC load over SCPI; subclasses declare :attr:`commands`.

    ``resource`` is any VISA resource string; ``name`` labels errors (the dialect
    and resource are added); ``visa_options`` go to pyvisa's ``open_resource``
    (for example ``{"baud_rate": 115200}`` for ASRL).
    """

    dialect: ClassVar[str] = ""
    commands: ClassVar[LoadCommands]
    limits: ClassVar[ReadingLimits] = ReadingLimits()
    current_format: ClassVar[str] = "{amps:.3f}"
    power_factor_format: ClassVar[str] = "{pf:.3f}"
    watchdog_format: ClassVar[str] = "{seconds:.3f}"
    no_watchdog: ClassVar[str] = "this dialect declares no communication watchdog"
    """What covers the bench instead, for a dialect without a watchdog command."""

    def __init__(self, resource: str, *, name: str = "load", **visa: Unpack[VisaOptions]) -> None:
        self.name = name
        self.resource = resource
        commands = self.commands
        self.session = ScpiSession(
            resource,
            name=f"{name} [{self.dialect} at {resource}]",
            error_query=commands.error_query,
            clear_on_open=commands.clear_status,
            **visa,
        )
        self._label = self.session.name
        self._cc_mode_on = 0  # session.epoch when CC mode was last selected; 0: never
        measure = commands.measure
        if isinstance(measure, CsvQuery):
            where = {f: i for i, f in enumerate(measure.fields) if f is not None}
            v, i, p, pf = (where[f] for f in ("voltage", "current", "power", "power_factor"))
            self._csv_index = (v, i, p, pf)

    # -- Instrument ---------------------------------------------------------------

    def identity(self) -> Identity:
        command = self.commands.identify
        return replies.identity(self._label, command, self.session.query(command))

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> ScpiLoad:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- settings -----------------------------------------------------------------

    def constant_current_mode(self) -> None:
        """Select constant-current mode (done for you before the first setpoint)."""
        self.session.setting(self.commands.constant_current)
        self._cc_mode_on = self.session.epoch

    def set_current(self, amps: float) -> None:
        """Constant-current setpoint in A rms."""
        if not (math.isfinite(amps) and amps >= 0.0):
            raise ValueError(f"{self._label}: current setpoint must be finite and >= 0 A")
        if self._cc_mode_on != self.session.epoch:
            self.constant_current_mode()
        value = self.current_format.format(amps=amps)
        self.session.setting(self.commands.set_current.format(amps=value))

    def set_power_factor(self, power_factor: float) -> None:
        """Power factor in constant-current mode; :class:`UnsupportedFeature` if none."""
        template = self.commands.set_power_factor
        if template is None:
            raise UnsupportedFeature(
                self._label, f"the {self.dialect} dialect has no power-factor setting"
            )
        if not (math.isfinite(power_factor) and -1.0 <= power_factor <= 1.0):
            raise ValueError(f"{self._label}: power factor must be within [-1, 1]")
        if self._cc_mode_on != self.session.epoch:
            self.constant_current_mode()
        value = self.power_factor_format.format(pf=power_factor)
        self.session.setting(template.format(pf=value))

    def set_input(self, on: bool) -> None:
        """Switch the load input on (drawing) or off."""
        self.session.setting(self.commands.input_on if on else self.commands.input_off)

    def arm_watchdog(self, timeout_ms: int) -> Watchdog:
        """Arm the load's communication watchdog for ``timeout_ms``; 0 disables it.

        Also starts (or, for 0, stops) the keep-alive that feeds it, one
        :attr:`LoadCommands.keep_alive` query after ``timeout_ms / 3`` of silence.
        """
        if timeout_ms < 0:
            raise ValueError(f"{self._label}: watchdog timeout must be >= 0 ms")
        self.session.keep_alive(0)
        template = self.commands.watchdog
        result = Watchdog(armed=False, timeout_ms=timeout_ms, how=self.no_watchdog)
        if template is not None:
            seconds = self.watchdog_format.format(seconds=timeout_ms / 1000)
            command = template.format(seconds=seconds)
            try:
                self.session.setting(command)
            except InstrumentRejected as refused:
                how = f"the load {refused.problem}: it has no communication watchdog"
                result = Watchdog(armed=False, timeout_ms=timeout_ms, how=how)
            else:
                how = (
                    f"input off after {timeout_ms} ms without a command ({command!r})"
                    if timeout_ms
                    else f"communication watchdog disabled ({command!r})"
                )
                result = Watchdog(armed=timeout_ms > 0, timeout_ms=timeout_ms, how=how)
        if timeout_ms > 0:
            self.session.keep_alive(timeout_ms / 3000, self.commands.keep_alive)
        return result

    # -- queries --------------------------------------------------------------------

    def input_enabled(self) -> bool:
        command = self.commands.input_state
        return replies.flag(self._label, command, self.session.query(command))

    def current_setpoint(self) -> float:
        """The constant-current setpoint the instrument holds, in A."""
        command = self.commands.current_setpoint
        low, high = self.limits.setpoint_a
        return replies.number(self._label, command, self.session.query(command), low, high)

    def power_factor_setpoint(self) -> float:
        """The power-factor setting the instrument holds."""
        command = self.commands.power_factor_setpoint
        if command is None:
            raise UnsupportedFeature(
                self._label, f"the {self.dialect} dialect has no power-factor setting"
            )
        low, high = self.limits.power_factor
        return replies.number(self._label, command, self.session.query(command), low, high)

    def measure(self) -> LoadReading:
        """Voltage, current, real power and power factor at the load input."""
        measure = self.commands.measure
        if isinstance(measure, SeparateQueries):
            return LoadReading(
                voltage_v=self._number(measure.voltage, self.limits.voltage_v),
                current_a=self._number(measure.current, self.limits.current_a),
                power_w=self._number(measure.power, self.limits.power_w),
                power_factor=self._number(measure.power_factor, self.limits.power_factor),
            )
        reply = self.session.query(measure.command)
        fields = reply.split(",")
        v, i, p, pf = self._csv_index
        try:  # the happy path: four floats, then one chained comparison each
            reading = LoadReading(
                float(fields[v]), float(fields[i]), float(fields[p]), float(fields[pf])
            )
        except (ValueError, IndexError):
            return self._csv_failure(measure, reply)
        lim = self.limits
        if (
            len(fields) == len(measure.fields)
            and lim.voltage_v[0] <= reading.voltage_v <= lim.voltage_v[1]
            and lim.current_a[0] <= reading.current_a <= lim.current_a[1]
            and lim.power_w[0] <= reading.power_w <= lim.power_w[1]
            and lim.power_factor[0] <= reading.power_factor <= lim.power_factor[1]
        ):
            return reading
        return self._csv_failure(measure, reply)

    def _csv_failure(self, measure: CsvQuery, reply: str) -> LoadReading:
        """Re-read a rejected CSV reply field by field to raise the precise error."""
        command, label, lim = measure.command, self._label, self.limits
        fields = replies.csv_fields(label, command, reply, len(measure.fields))
        bounds = (lim.voltage_v, lim.current_a, lim.power_w, lim.power_factor)
        for position, (low, high) in zip(self._csv_index, bounds, strict=True):
            replies.number(label, command, reply, low, high, field=fields[position])
        raise AssertionError("unreachable: the fast path refused a valid reply")

    def _number(self, command: str, bounds: tuple[float, float]) -> float:
        return replies.number(self._label, command, self.session.query(command), *bounds)
