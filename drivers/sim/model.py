"""One coupled, deterministic physical model of the charging circuit, on one clock.

Every simulated instrument reads and drives this one model, so what the pilot
shows, what the load draws and what the meters count always agree:

- **Line**: nominal 120 V (cordset) or 240 V (premise EVSE) with seeded noise, and a
  small source impedance so voltage sags with current.
- **EVSE**: advertises ampacity by PWM duty (:mod:`drivers.j1772`); closes its
  contactor ``contactor_close_s`` after the vehicle enters C (or D) with PWM in the
  charging band, opens it ``contactor_open_s`` after the vehicle leaves C/D, the PWM
  leaves the band, or the pilot goes to E or F.
- **Vehicle load**: draws ``min(setpoint, advertised ampacity)`` at its power factor,
  only with its input on and the contactor closed. A change of advertised
  ampacity reaches the load ``load_follow_s`` later (the charger's reaction time).
- **Meters**: the EUMD integrates the PEV's energy with a fixed accuracy-class gain
  error (``bias_pct``) from its starting total; the optional premise revenue meter
  counts the premise base load plus the PEV; the optional reference standard
  (``reference``) counts what the EUMD counts, with its own, much smaller, gain
  error. Instantaneous readings carry seeded noise.
- **Defects** (:mod:`rig.bench.defects`, a bench file's ``defects:`` section): a meter
  gain error beyond its class (``MeterConfig.defect_bias_pct``, never checked against
  the class), an EVSE whose PWM is off the commanded duty (``duty_offset_pct``), pilot
  levels off the J1772 values (``pilot_level_offset_v``); slow contactors and a slow
  load are the timing fields above. All act here, at the wire; nothing else knows.

Time is discrete at ``resolution_s``: within one step the line voltage is constant,
and events (state changes, contactor moves, ampacity changes) fall at their exact
instants, so energy is the exact integral of the piecewise-constant power. Noise
is a pure function of (seed, channel, step) (:mod:`drivers.sim.noise`), so the same
seed gives the same readings however often, and from whichever thread, the
instruments are polled.

The model never reads the wall clock: it advances lazily to ``clock.now()`` on
every call, so on a ``rig.clock.VirtualClock`` an hour of charging costs one
loop iteration per simulated second.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Literal

from drivers.clock import Clock
from drivers.j1772 import HIGH_LEVEL_V, LOW_LEVEL_V, PWM_FREQUENCY_HZ, ampacity_from_duty
from drivers.kinds import LoadReading, PilotState, PilotStatus
from drivers.sim.noise import gaussian

Supply = Literal["cordset_120", "evse_240"]
MeterName = Literal["eumd", "premise", "reference"]

NOMINAL_VOLTAGE_V: dict[str, float] = {"cordset_120": 120.0, "evse_240": 240.0}
CHARGING_STATES = frozenset({PilotState.C, PilotState.D})


@dataclass(frozen=True)
class MeterConfig:
    """How a simulated meter measures: a fixed gain error within its class, and noise."""

    accuracy_pct: float = 0.5
    bias_pct: float = 0.1
    noise_pct: float = 0.02
    start_wh: float = 0.0
    defect_bias_pct: float = 0.0
    """A further gain error injected as a defect: it may take the meter out of class."""

    @property
    def gain(self) -> float:
        """The factor the meter reads the truth with: its bias and any injected defect."""
        return 1.0 + (self.bias_pct + self.defect_bias_pct) / 100.0

    def __post_init__(self) -> None:
        if abs(self.bias_pct) > self.accuracy_pct:
            raise ValueError(
                f"meter bias {self.bias_pct} % is outside its accuracy class ±{self.accuracy_pct} %"
            )
        if self.start_wh < 0:
            raise ValueError(f"meter starting total must be ≥ 0 Wh, got {self.start_wh}")


@dataclass(frozen=True)
class ModelConfig:
    """Everything the physical model needs; a simulated bench file fills it in."""

    seed: int = 1
    supply: Supply = "evse_240"
    line_frequency_hz: float = 60.0
    voltage_noise_v: float = 0.3
    source_impedance_ohm: float = 0.05
    evse_max_a: float = 32.0
    contactor_close_s: float = 1.0
    contactor_open_s: float = 0.05
    load_follow_s: float = 1.0
    load_noise_pct: float = 0.05
    pilot_noise_v: float = 0.04
    proximity_ohm: float = 150.0
    resolution_s: float = 1.0
    eumd: MeterConfig = field(default_factory=MeterConfig)
    premise_meter: MeterConfig | None = None
    premise_base_load_w: float = 1200.0
    reference: MeterConfig | None = None
    duty_offset_pct: float = 0.0
    """Defect: the EVSE's PWM is this far off the duty it was commanded (0 and 100 stay)."""
    pilot_level_offset_v: float = 0.0
    """Defect: the pilot's high level is this far off the J1772 level of its state."""

    @property
    def nominal_voltage_v(self) -> float:
        return NOMINAL_VOLTAGE_V[self.supply]


@dataclass(frozen=True)
class MeterReading:
    """What a simulated meter measures now; the Modbus simulator encodes it into registers."""

    voltage_v: float
    current_a: float
    power_w: float
    frequency_hz: float
    import_wh: float


@dataclass(frozen=True)
class LoadSettings:
    """The programmable load's front-panel settings."""

    setpoint_a: float
    power_factor: float
    input_on: bool


@dataclass(frozen=True)
class ModelEvent:
    """A change in the model at time ``t`` (for timelines and physics tests)."""

    t: float
    name: str
    value: object


@dataclass(frozen=True)
class Truth:
    """The model's exact state, free of measurement error (for tests and the demo)."""

    t: float
    pilot_state: PilotState
    duty_pct: float
    ampacity_a: float
    contactor_closed: bool
    line_voltage_v: float
    current_a: float
    power_w: float
    energy_wh: float
    load_input_on: bool


class BenchModel:
    """The charging circuit: pilot, EVSE contactor, line, vehicle load and meters.

    Thread-safe; every public call first advances the model to ``clock.now()``.
    """

    def __init__(self, config: ModelConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self._lock = threading.RLock()
        self._t = clock.now()
        self._state = PilotState.A
        self._duty = 100.0
        self._contactor = False
        self._contactor_due: tuple[float, bool] | None = None
        self._load_limit_a = 0.0
        self._limit_due: list[tuple[float, float]] = []
        self._setpoint_a = 0.0
        self._power_factor = 1.0
        self._input_on = False
        self._energy_wh = 0.0
        self._base_energy_wh = 0.0
        self.events: list[ModelEvent] = []

    # -- time -------------------------------------------------------------------------

    def _step(self, t: float) -> int:
        return math.floor(t / self.config.resolution_s + 1e-9)

    def _line_voltage(self, step: int, current_a: float) -> float:
        c = self.config
        noise = c.voltage_noise_v * gaussian(c.seed, "line", step)
        return c.nominal_voltage_v + noise - c.source_impedance_ohm * current_a

    def _current(self) -> float:
        if not (self._contactor and self._input_on and self._state in CHARGING_STATES):
            return 0.0
        return min(self._setpoint_a, self._load_limit_a)

    def _next_event_time(self) -> float:
        times = [due for due, _ in self._limit_due[:1]]
        if self._contactor_due is not None:
            times.append(self._contactor_due[0])
        return min(times, default=math.inf)

    def _advance(self) -> None:
        target = self.clock.now()
        res = self.config.resolution_s
        while self._t < target:
            step = self._step(self._t)
            end = min(target, (step + 1) * res, self._next_event_time())
            end = max(end, self._t)
            current = self._current()
            voltage = self._line_voltage(step, current)
            hours = (end - self._t) / 3600.0
            self._energy_wh += voltage * current * self._power_factor * hours
            self._base_energy_wh += self.config.premise_base_load_w * hours
            self._t = end
            self._apply_due_events()

    def _apply_due_events(self) -> None:
        if self._contactor_due is not None and self._contactor_due[0] <= self._t:
            due, closed = self._contactor_due
            self._contactor_due = None
            if closed != self._contactor:
                self._contactor = closed
                self.events.append(ModelEvent(due, "contactor", closed))
        while self._limit_due and self._limit_due[0][0] <= self._t:
            due, limit = self._limit_due.pop(0)
            self._load_limit_a = limit
            self.events.append(ModelEvent(due, "load_limit_a", limit))

    # -- EVSE logic ---------------------------------------------------------------------

    def _ampacity(self) -> float:
        if self._state in (PilotState.E, PilotState.F):
            return 0.0
        return min(ampacity_from_duty(self._duty), self.config.evse_max_a)

    def _update_evse(self) -> None:
        """Schedule contactor moves and load-limit changes after a state or duty change."""
        c = self.config
        wants_closed = self._state in CHARGING_STATES and self._ampacity() > 0.0
        pending = self._contactor_due[1] if self._contactor_due else self._contactor
        if wants_closed and not pending:
            self._contactor_due = (self._t + c.contactor_close_s, True)
        elif not wants_closed and pending:
            self._contactor_due = (self._t + c.contactor_open_s, False)
        self._limit_due.append((self._t + c.load_follow_s, self._ampacity()))
        self._apply_due_events()

    # -- pilot device -------------------------------------------------------------------

    def set_pilot_state(self, state: PilotState) -> None:
        """Vehicle-side state A–E, or F (the EVSE drives a steady −12 V fault)."""
        with self._lock:
            self._advance()
            if state != self._state:
                self._state = PilotState(state)
                self.events.append(ModelEvent(self._t, "pilot_state", self._state))
                self._update_evse()

    def set_duty(self, duty_pct: float) -> None:
        """EVSE-side PWM duty in percent; 100 is a steady +12 V (no PWM)."""
        if not 0.0 <= duty_pct <= 100.0:
            raise ValueError(f"duty cycle must be 0–100 %, got {duty_pct}")
        with self._lock:
            self._advance()
            if 0.0 < duty_pct < 100.0:
                duty_pct = min(max(duty_pct + self.config.duty_offset_pct, 0.1), 99.9)
            if duty_pct != self._duty:
                self._duty = duty_pct
                self.events.append(ModelEvent(self._t, "duty_pct", duty_pct))
                self._update_evse()

    def trip_pilot_watchdog(self) -> None:
        """The pilot device's communication watchdog fired: state A and no PWM, at once.

        Recorded as a ``pilot_watchdog`` event before the state and duty changes it causes.
        """
        with self._lock:
            self._advance()
            self.events.append(ModelEvent(self._t, "pilot_watchdog", "tripped"))
            self.set_pilot_state(PilotState.A)
            self.set_duty(100.0)

    def pilot_status(self) -> PilotStatus:
        """What the pilot simulator measures on the pilot and proximity lines now."""
        with self._lock:
            self._advance()
            c = self.config
            step = self._step(self._t)
            state = self._state
            pwm = 0.0 < self._duty < 100.0 and state not in (PilotState.E, PilotState.F)
            # 0 % duty is the EVSE holding the pilot low: the steady −12 V of state F.
            level_of = PilotState.F if self._duty == 0.0 and state != PilotState.E else state
            high = HIGH_LEVEL_V[level_of] + c.pilot_level_offset_v
            high += c.pilot_noise_v * gaussian(c.seed, "pilot_hi", step)
            if pwm:
                low = LOW_LEVEL_V + c.pilot_noise_v * gaussian(c.seed, "pilot_lo", step)
                duty = round(self._duty + 0.02 * gaussian(c.seed, "duty", step), 2)
                frequency = PWM_FREQUENCY_HZ
            else:
                low, duty, frequency = high, (0.0 if level_of == PilotState.F else 100.0), 0.0
            proximity = math.inf if state == PilotState.A else c.proximity_ohm
            return PilotStatus(
                state=state,
                high_v=round(high, 3),
                low_v=round(low, 3),
                duty_pct=duty,
                frequency_hz=frequency,
                proximity_ohm=proximity,
                contactor_closed=self._contactor,
            )

    # -- programmable load --------------------------------------------------------------

    def set_load_current(self, amps: float) -> None:
        if not 0.0 <= amps <= 100.0:
            raise ValueError(f"load current setpoint must be 0–100 A, got {amps}")
        with self._lock:
            self._advance()
            self._setpoint_a = amps
            self.events.append(ModelEvent(self._t, "load_setpoint_a", amps))

    def set_load_power_factor(self, power_factor: float) -> None:
        if not 0.5 <= power_factor <= 1.0:
            raise ValueError(f"power factor must be 0.5–1.0, got {power_factor}")
        with self._lock:
            self._advance()
            self._power_factor = power_factor

    def set_load_input(self, on: bool) -> None:
        with self._lock:
            self._advance()
            self._input_on = on
            self.events.append(ModelEvent(self._t, "load_input", on))

    def load_settings(self) -> LoadSettings:
        with self._lock:
            return LoadSettings(self._setpoint_a, self._power_factor, self._input_on)

    def load_reading(self) -> LoadReading:
        """What the load measures at its input now (its own, independent noise)."""
        with self._lock:
            self._advance()
            c = self.config
            step = self._step(self._t)
            current = self._current()
            voltage = self._line_voltage(step, current) if self._contactor else 0.0
            gain = 1.0 + c.load_noise_pct / 100.0 * gaussian(c.seed, "load", step)
            measured_i = current * gain
            return LoadReading(
                voltage_v=voltage,
                current_a=measured_i,
                power_w=voltage * measured_i * self._power_factor,
                power_factor=self._power_factor if current > 0 else 1.0,
            )

    # -- meters -------------------------------------------------------------------------

    def meter(self, which: MeterName) -> MeterReading:
        """What the EUMD (``"eumd"``), premise revenue meter (``"premise"``) or reference
        standard (``"reference"``, in series with the EUMD) reads now."""
        with self._lock:
            self._advance()
            c = self.config
            spec = {"eumd": c.eumd, "premise": c.premise_meter, "reference": c.reference}[which]
            if spec is None:
                raise LookupError(f"this bench has no {which} meter")
            step = self._step(self._t)
            current = self._current()
            voltage = self._line_voltage(step, current)
            power = voltage * current * self._power_factor
            energy = self._energy_wh
            if which == "premise":
                power += c.premise_base_load_w
                current = power / voltage
                energy += self._base_energy_wh
            gain = spec.gain
            noise = 1.0 + spec.noise_pct / 100.0 * gaussian(c.seed, which, step)
            frequency = c.line_frequency_hz + 0.01 * gaussian(c.seed, "freq", step)
            return MeterReading(
                voltage_v=voltage * noise,
                current_a=current * gain * noise,
                power_w=power * gain * noise,
                frequency_hz=frequency,
                import_wh=spec.start_wh + energy * gain,
            )

    def truth(self) -> Truth:
        """The exact state now, without measurement error."""
        with self._lock:
            self._advance()
            current = self._current()
            voltage = self._line_voltage(self._step(self._t), current)
            return Truth(
                t=self._t,
                pilot_state=self._state,
                duty_pct=self._duty,
                ampacity_a=self._ampacity(),
                contactor_closed=self._contactor,
                line_voltage_v=voltage,
                current_a=current,
                power_w=voltage * current * self._power_factor,
                energy_wh=self._energy_wh,
                load_input_on=self._input_on,
            )
