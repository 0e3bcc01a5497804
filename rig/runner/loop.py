"""The runner's loop: time passes in ticks, and every tick the actors look at the bench.

Steps are states, not sleeps: the runner moves the bench clock forward tick by
tick — on a virtual clock by advancing it, on a lab bench by sleeping — and on
every tick

1. the EVSE control advertises what is due now (grant, DR, ALM, ``set_ampacity``);
2. the pilot is read (recorded), and the PEV follows it: asks to charge, draws what
   is advertised, stops on a fault;
3. the load is read (recorded); the meters too when their sampling period is up;
4. the ESI cuts a metering interval at each boundary and delivers what its outbox
   has due; at each boundary it also polls the grid signals.

**How long a tick is.** Reading the bench over its real wires costs a few
milliseconds per tick, so the loop samples densely only where something happens
(:class:`Sampling`): after any change the runner made (a duty, a pilot state, a
load setting) it reads every 250 ms until the bench has *settled* (contactor where
the pilot says it should be, load current where pilot and setpoint say), for at
most 6 s (J-03's 5 s follow time plus margin); while a contactor is seen closed
where it must open, at 25, 50, 75, 100, 150 and 200 ms after the change — fine
enough to time J-05's 100 ms opening.
While nothing changes it samples once per ``steady_s`` (60 s of bench clock on
a virtual clock, 1 s on a wall clock). A tick never jumps over something due: a
metering-interval boundary, a grid limit starting or ending, the end of the step.

:meth:`Loop.run_until` is the one way time passes; ``wait_for`` and ``charge``
are both built on it.

**Supervision.** Every tick tells the :class:`~rig.runner.supervision.Supervisor`
what the runner has commanded (before and after the actors act). Inside
:meth:`Loop.supervised` — ``charge`` and ``wait_for`` — each tick also reads the
load's input and has the supervisor judge the look: a bench that is not where the
plan put it raises :class:`~rig.runner.supervision.BenchChanged` at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from drivers.j1772 import ampacity_from_duty
from drivers.kinds import PilotState
from rig.clock import Clock
from rig.esi.session import Esi
from rig.runner.actors.evse import EvseControl
from rig.runner.actors.pev import PevAgent
from rig.runner.recorder import Recorder
from rig.runner.supervision import BenchChanged, Commanded, Seen, Supervisor

_CHARGING = frozenset({PilotState.C, PilotState.D})


@dataclass(frozen=True)
class Sampling:
    """When the loop reads the bench; see the module docstring."""

    after_change_s: tuple[float, ...] = (0.025, 0.05, 0.075, 0.1, 0.15, 0.2)
    settling_s: float = 0.25
    settle_max_s: float = 6.0
    steady_s: float = 60.0
    poll_s: float = 0.1
    """The longest tick while a ``wait_for`` condition is being watched."""
    current_tolerance_a: float = 0.5

    @classmethod
    def for_clock(cls, clock: Clock) -> Sampling:
        return cls() if clock.is_virtual else cls(steady_s=1.0)


class Loop:
    """Ticks of the bench clock with the actors in them; see the module docstring."""

    def __init__(
        self,
        clock: Clock,
        recorder: Recorder,
        pev: PevAgent,
        evse: EvseControl,
        esi: Esi,
        on_boundary: Callable[[], None],
        sampling: Sampling,
        supervisor: Supervisor | None = None,
    ) -> None:
        self.clock = clock
        self.recorder = recorder
        self.pev = pev
        self.evse = evse
        self.esi = esi
        self.on_boundary = on_boundary
        self.sampling = sampling
        self.changed_at = clock.now()
        self._meters_due = -math.inf
        self.supervisor = supervisor or Supervisor()
        self.supervising = False

    def changed(self) -> None:
        """The runner just changed something on the bench: sample densely from now."""
        self.changed_at = self.clock.now()

    def commanded(self) -> Commanded:
        """What the runner has set on the bench, from the actors' own commands."""
        return Commanded(
            pilot_state=self.pev.state,
            advertised_a=self.evse.advertising or 0.0,
            setpoint_a=self.pev.setpoint_a,
            input_on=self.pev.input_on,
        )

    @contextmanager
    def supervised(self) -> Iterator[None]:
        """Judge every look until the block ends (see the module docstring)."""
        before, self.supervising = self.supervising, True
        try:
            yield
        finally:
            self.supervising = before

    def tick(self) -> None:
        """One look at the bench, now (see the module docstring)."""
        now = self.clock.now()
        self.supervisor.note(now, self.commanded())  # what the steps set since the last look
        if self.evse.update(now):
            self.changed()
        status = self.recorder.pilot()
        if self.pev.follow(status, now):
            self.changed()
            self.recorder.pilot()  # the vehicle's own transition, at the instant it made it
        self.recorder.load()
        if now >= self._meters_due:
            self.recorder.meters()
            self._meters_due = now + self.sampling.steady_s
        if self.esi.on_time():
            self.on_boundary()
        self.supervisor.note(now, self.commanded())
        if self.supervising:
            self._judge(now)

    def _judge(self, now: float) -> None:
        pilot, load = self.recorder.last_pilot, self.recorder.last_load
        assert pilot is not None and load is not None
        seen = Seen(
            t=now,
            pilot_state=pilot.state,
            contactor_closed=pilot.contactor_closed,
            load_current_a=load.current_a,
            input_on=self.recorder.load_input(),
            meter=self.recorder.eumd_look,
        )
        change = self.supervisor.look(seen)
        if change is not None:
            raise BenchChanged(change)

    def _may_close(self) -> bool:
        """The last pilot reading allows the contactor closed: C or D with charging PWM."""
        pilot = self.recorder.last_pilot
        if pilot is None:
            return False
        pwm = 0.0 < pilot.duty_pct < 100.0
        return pilot.state in _CHARGING and pwm and ampacity_from_duty(pilot.duty_pct) > 0

    def _opening(self) -> bool:
        """The contactor is seen closed where it must open (J-05: within 100 ms)."""
        pilot = self.recorder.last_pilot
        return pilot is not None and bool(pilot.contactor_closed) and not self._may_close()

    def settled(self) -> bool:
        """Contactor and load current are where the pilot and the setpoint put them."""
        pilot, load = self.recorder.last_pilot, self.recorder.last_load
        if pilot is None or load is None:
            return False
        if bool(pilot.contactor_closed) != self._may_close():
            return False
        expected = 0.0
        if pilot.contactor_closed and self.pev.drawing_a > 0:
            expected = min(self.pev.drawing_a, ampacity_from_duty(pilot.duty_pct))
        return abs(load.current_a - expected) <= self.sampling.current_tolerance_a + 0.02 * expected

    def settle(self) -> bool:
        """Tick densely until the bench has settled after the last change (at most 6 s)."""
        return self.run_until(self.changed_at + self.sampling.settle_max_s, self.settled)

    def _next_delay(self, cap: float) -> float:
        s = self.sampling
        since = self.clock.now() - self.changed_at
        later = [t - since for t in s.after_change_s if t > since + 1e-9]
        if since >= s.settle_max_s or (since >= s.settling_s - 1e-9 and self.settled()):
            delay = s.steady_s  # (one look a settling period after every change, at least)
        elif later and self._opening():
            delay = later[0]
        else:
            delay = s.settling_s
        now = self.clock.now()
        for due in (self.esi.next_wake(), self.evse.next_wake(now)):
            if due is not None and due > now:
                delay = min(delay, due - now)
        return max(min(delay, cap), 1e-3)

    def run_until(
        self,
        deadline: float,
        done: Callable[[], bool] | None = None,
        *,
        cap: float = math.inf,
        horizon: Callable[[], float] | None = None,
        every: Callable[[], None] | None = None,
    ) -> bool:
        """Tick until ``done()`` holds (True) or ``deadline`` passes (False; True without done).

        ``cap`` bounds each tick (``wait_for`` polls at most ``Sampling.poll_s`` apart),
        and so does ``horizon()`` (how soon ``done`` may come true: ``charge … until``
        lands on its energy instead of overshooting by a whole steady tick);
        ``every`` runs after each tick (progress reports).
        """
        self.tick()
        while True:
            if done is not None and done():
                return True
            now = self.clock.now()
            if now >= deadline - 1e-9:
                return done is None
            limit = min(cap, horizon()) if horizon is not None else cap
            self.clock.sleep(min(self._next_delay(limit), deadline - now))
            self.tick()
            if every is not None:
                every()
