"""The PEV agent: the vehicle side of a session, played on the pilot and the load.

The vehicle has an identity (its PEV ID), talks to the ESI or not, and wants
energy on its own terms (:class:`rig.plans.model.Pev`). On the bench it is two
instruments: the pilot simulator's vehicle side (states A–E) and the programmable
load standing in for its on-board charger.

What it does:

- **plug in**: pilot A → B;
- **follow the pilot** (:meth:`PevAgent.follow`, on every pilot reading): while the
  EVSE advertises a usable ampacity by PWM, the vehicle asks to charge (B → C) and
  draws ``min(its own maximum, the advertised ampacity)`` — the load follows the
  pilot, within one reading of a change (J-03). When the PWM stops (a DR event
  that stops charging) it stops drawing and goes back to B; on a pilot fault (E,
  F) it stops drawing at once;
- **unplug**: pilot to A from wherever it is — from C that is the abrupt, legal
  mid-session unplug (J-01) — then the load's input off, as the charger loses its
  supply;
- it remembers what it was **told** (BR-12): whether binding succeeded and the
  incentive applies, and the session summary at the end.

It never sleeps: the runner calls it with each pilot reading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from drivers.j1772 import ampacity_from_duty
from drivers.kinds import Load, Pilot, PilotState, PilotStatus
from rig.plans.model import Pev
from rig.record import BindingAnswer, CurrentSample

#: The least current J1772 lets a vehicle draw; less advertised means "do not charge".
MIN_AMPACITY_A = 6.0
_FAULTS = frozenset({PilotState.E, PilotState.F})


@dataclass
class Told:
    """What the ESI told the vehicle (BR-12)."""

    binding: BindingAnswer | None = None
    summary: dict[str, Any] = field(default_factory=dict)


class PevAgent:
    """The vehicle; see the module docstring. ``setpoints`` records every load setpoint."""

    def __init__(self, pev: Pev, pilot: Pilot, load: Load, setpoints: list[CurrentSample]) -> None:
        self.pev = pev
        self.pilot = pilot
        self.load = load
        self.setpoints = setpoints
        self.communicating = pev.communicating
        self.plugged = False
        self.told = Told()
        self._state = PilotState.A
        self._setpoint_a = 0.0
        self._input_on = False

    @property
    def state(self) -> PilotState:
        """The pilot state the vehicle last set (A–E; F for a forced EVSE fault)."""
        return self._state

    @property
    def setpoint_a(self) -> float:
        """The current the vehicle last set its charger to (kept while the input is off)."""
        return self._setpoint_a

    @property
    def input_on(self) -> bool:
        """Whether the vehicle last switched its charger's input on."""
        return self._input_on

    @property
    def drawing_a(self) -> float:
        """The current the vehicle has set its charger to draw (0 with the input off)."""
        return self._setpoint_a if self._input_on else 0.0

    def plug_in(self, t: float) -> None:
        self._set_state(PilotState.B)
        self.plugged = True

    def unplug(self, t: float) -> None:
        self._set_state(PilotState.A)
        self.plugged = False
        self._draw(0.0, t)

    def fault(self, state: PilotState) -> None:
        """Force the pilot to E or F (a shorted pilot, an EVSE fault)."""
        self._set_state(state)

    def follow(self, status: PilotStatus, t: float) -> bool:
        """React to a pilot reading; True when the vehicle changed something."""
        if not self.plugged:
            return False
        if status.state in _FAULTS:
            return self._draw(0.0, t)
        pwm = 0.0 < status.duty_pct < 100.0
        advertised = ampacity_from_duty(status.duty_pct) if pwm else 0.0
        if advertised >= MIN_AMPACITY_A:
            want = min(self.pev.max_current.amps, advertised)
            changed = self._draw(want, t)
            if self._state is not PilotState.C:
                self._set_state(PilotState.C)
                changed = True
            return changed
        changed = self._draw(0.0, t)
        if self._state is PilotState.C:
            self._set_state(PilotState.B)
            changed = True
        return changed

    def _set_state(self, state: PilotState) -> None:
        self.pilot.set_state(state)
        self._state = state

    def _draw(self, amps: float, t: float) -> bool:
        """Draw ``amps`` (0: input off); False when the load already does."""
        changed = False
        if amps > 0.0 and amps != self._setpoint_a:
            self.load.set_current(amps)
            self._setpoint_a = amps
            self.setpoints.append(CurrentSample(t, amps))
            changed = True
        on = amps > 0.0
        if on != self._input_on:
            self.load.set_input(on)
            self._input_on = on
            if not on:
                self.setpoints.append(CurrentSample(t, 0.0))
            changed = True
        return changed
