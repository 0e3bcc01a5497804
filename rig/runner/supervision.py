"""Supervision: on every look while a step charges or waits, is the bench as the plan put it?

A step that charges for 26 minutes trusts the bench to stay as the runner left it.
Another process may switch the load off and the pilot to A, the EVSE may trip, the
pilot may go to E or F, the EUMD may stop answering — and a runner that only waits
for the clock would go on printing "26 min left". The supervisor catches that at
the next look and fails the step, naming what changed::

    bench changed under the plan at 00:03:12: pilot C→A; load input went off (expected on)

**What should be comes from the commands, never from the read-back being judged.**
:class:`Commanded` is what the runner itself set: the vehicle's pilot state, its
load setpoint and input, and the EVSE's advertised ampacity. From that alone follow

- the **contactor**: closed exactly when the commanded state is C or D and the
  advertised ampacity is at least 6 A (PWM in the charging band), open otherwise;
- the **current**: ``min(setpoint, advertised)`` — the J1772 duty limit caps what
  the vehicle may draw — with the contactor closed and the input on, else 0 A;
- the **pilot state** and the **load input**: as commanded.

**Transitions take time.** After every change of the commands, the old values stay
acceptable for a while (:class:`Bands`): 1 s for what the runner sets directly and
reads back (pilot state, load input), 6 s for what follows from it (the contactor
closes up to ``contactor_close_s`` later, the load follows a new ampacity within
J-03's 5 s). During that window the current may lie anywhere between the old and
the new expectation. So the supervisor keeps a short history of commanded snapshots
and accepts, for each quantity, what any snapshot in force during its window implies.

**Bands.** The load's current must lie within ``0.5 A + 2 %`` of the expectation
(the loop's own settling band); the EUMD's within that plus its accuracy class. A
meter is judged once per reading, at the time of that reading, so a reading that
stays at hand while the commands change is never judged against later commands.

Faults the plan injects on purpose are commands too: ``pilot_fault: E`` is a
commanded state E (contactor open, nothing drawn), and ``meter_unavailable`` sets
:attr:`Supervisor.meter_silenced`, so the EUMD's silence is expected from then on.
An EUMD that does not answer is a change only once it has been silent
``Bands.meter_silence_s`` (the ESI's patience with a transient).

The supervisor is pure logic: :meth:`Supervisor.note` is told the commands, and
:meth:`Supervisor.look` what was seen; the loop (:mod:`rig.runner.loop`) feeds both
on every tick and raises :class:`BenchChanged` while a step supervises.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from drivers.j1772 import MIN_AMPACITY_A
from drivers.kinds import PilotState

#: States in which the EVSE may close its contactor (with PWM in the charging band).
_CHARGING = frozenset({PilotState.C, PilotState.D})


@dataclass(frozen=True)
class Commanded:
    """What the runner has set on the bench (and which faults it injected on purpose)."""

    pilot_state: PilotState
    advertised_a: float
    """The EVSE's advertised ampacity (0: no PWM)."""
    setpoint_a: float
    input_on: bool

    @property
    def contactor_closed(self) -> bool:
        return self.pilot_state in _CHARGING and self.advertised_a >= MIN_AMPACITY_A

    @property
    def current_a(self) -> float:
        if not (self.contactor_closed and self.input_on):
            return 0.0
        return min(self.setpoint_a, self.advertised_a)


@dataclass(frozen=True)
class MeterLook:
    """One reading of the EUMD: when, whether it answered, and the current it read."""

    t: float
    current_a: float | None
    """``None``: the meter did not answer."""
    error: str = ""


@dataclass(frozen=True)
class Seen:
    """What one look at the bench read (``None``: not read, or the device cannot tell)."""

    t: float
    pilot_state: PilotState
    contactor_closed: bool | None
    load_current_a: float
    input_on: bool | None
    meter: MeterLook | None = None


@dataclass(frozen=True)
class Bands:
    """How far and how long the bench may differ from the commands (see the module)."""

    direct_s: float = 1.0
    """After a command, how long the previous pilot state and load input still pass."""
    follow_s: float = 6.0
    """After a command, how long the previous contactor and current still pass (J-03 + 1 s)."""
    current_a: float = 0.5
    current_pct: float = 2.0
    meter_accuracy_pct: float = 0.0
    """The EUMD's accuracy class, added to its current band."""
    meter_silence_s: float = 0.0
    """How long the EUMD may go unanswered before that is a change: the ESI's patience
    (:func:`rig.esi.session.eumd_patience_s`), so a transient is not a bench fault."""

    def tolerance_a(self, amps: float, pct: float = 0.0) -> float:
        return self.current_a + (self.current_pct + pct) / 100.0 * amps


@dataclass(frozen=True)
class Change:
    """The bench is not where the plan put it: when, and each difference."""

    t: float
    elapsed_s: float
    differences: tuple[str, ...]
    expected: str
    measured: str

    def __str__(self) -> str:
        return f"bench changed under the plan at {_hms(self.elapsed_s)}: " + "; ".join(
            self.differences
        )


class BenchChanged(AssertionError):
    """Raised by the loop while a step supervises and the bench changed under it."""

    def __init__(self, change: Change) -> None:
        super().__init__(str(change))
        self.change = change


def _hms(seconds: float) -> str:
    whole = max(int(seconds), 0)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}"


@dataclass
class _Span:
    """A commanded snapshot and the bench-clock span it was in force."""

    since: float
    commanded: Commanded
    until: float = math.inf


class Supervisor:
    """Commands in, looks judged; see the module docstring.

    Elapsed times in messages count from ``origin`` (by default, the first note).
    """

    def __init__(self, bands: Bands | None = None, origin: float | None = None) -> None:
        self.bands = bands or Bands()
        self.origin = origin
        self.meter_silenced = False
        """Set by the ``meter_unavailable`` step: the EUMD's silence is commanded."""
        self._spans: list[_Span] = []
        self._meter_judged_t = -math.inf
        self._meter_silent_since: float | None = None

    def note(self, t: float, commanded: Commanded) -> None:
        """The commands in force at ``t`` (call on every look; only changes are kept)."""
        if self.origin is None:
            self.origin = t
        if self._spans and self._spans[-1].commanded == commanded:
            return
        if self._spans:
            self._spans[-1].until = t
        self._spans.append(_Span(t, commanded))
        keep = t - 10 * self.bands.follow_s
        while len(self._spans) > 1 and self._spans[0].until < keep:
            self._spans.pop(0)

    def _within(self, t: float, window_s: float) -> list[Commanded]:
        """Every commanded snapshot in force at some time in ``[t - window_s, t]``."""
        return [s.commanded for s in self._spans if s.since <= t + 1e-9 and s.until > t - window_s]

    def look(self, seen: Seen) -> Change | None:
        """Judge one look against the commands; ``None`` when the bench is as commanded."""
        if not self._spans:
            return None
        now = self._spans[-1].commanded
        b = self.bands
        differences = list(self._direct(seen, self._within(seen.t, b.direct_s), now))
        following = self._within(seen.t, b.follow_s)
        if seen.contactor_closed is not None and seen.contactor_closed not in {
            c.contactor_closed for c in following
        }:
            moved = "closed" if seen.contactor_closed else "opened"
            differences.append(f"contactor {moved} (expected {_open(now.contactor_closed)})")
        off = _outside("load current", seen.load_current_a, following, b.tolerance_a, now)
        if off:
            differences.append(off)
        differences += self._meter(seen.meter)
        if not differences:
            return None
        return Change(
            t=seen.t,
            elapsed_s=seen.t - (self.origin if self.origin is not None else seen.t),
            differences=tuple(differences),
            expected=_describe_commanded(now),
            measured=_describe_seen(seen),
        )

    def _direct(self, seen: Seen, accepted: list[Commanded], now: Commanded) -> Iterable[str]:
        if seen.pilot_state not in {c.pilot_state for c in accepted}:
            yield f"pilot {now.pilot_state}→{seen.pilot_state}"
        if seen.input_on is not None and seen.input_on not in {c.input_on for c in accepted}:
            went = "on" if seen.input_on else "off"
            yield f"load input went {went} (expected {'on' if now.input_on else 'off'})"

    def _meter(self, meter: MeterLook | None) -> Iterable[str]:
        """The EUMD's reading, judged once, against the commands at the time it was read."""
        if meter is None or meter.t <= self._meter_judged_t:
            return
        self._meter_judged_t = meter.t
        following = self._within(meter.t, self.bands.follow_s)
        if self.meter_silenced or not following:  # silenced on purpose; read before any command
            return
        if meter.current_a is None:
            if self._meter_silent_since is None:
                self._meter_silent_since = meter.t
            silent_s = meter.t - self._meter_silent_since
            if silent_s >= self.bands.meter_silence_s:
                lasting = f" for {silent_s:.0f} s" if silent_s else ""
                yield f"EUMD stopped answering{lasting} ({meter.error or 'no reply'})"
            return
        self._meter_silent_since = None

        def band(amps: float) -> float:
            return self.bands.tolerance_a(amps, self.bands.meter_accuracy_pct)

        off = _outside("EUMD current", meter.current_a, following, band, following[-1])
        if off:
            yield off


def _outside(
    name: str,
    amps: float,
    accepted: list[Commanded],
    tolerance: Callable[[float], float],
    now: Commanded,
) -> str:
    """A difference if ``amps`` lies outside every accepted expectation's band, else ''."""
    expected = [c.current_a for c in accepted]
    low = min(x - tolerance(x) for x in expected)
    high = max(x + tolerance(x) for x in expected)
    if math.isfinite(amps) and low <= amps <= high:
        return ""
    return f"{name} {amps:.2f} A outside {low:.2f}–{high:.2f} A (commanded {now.current_a:.1f} A)"


def _open(closed: bool) -> str:
    return "closed" if closed else "open"


def _describe_commanded(c: Commanded) -> str:
    return (
        f"pilot {c.pilot_state}, contactor {_open(c.contactor_closed)}, "
        f"load input {'on' if c.input_on else 'off'}, {c.current_a:.1f} A"
    )


def _describe_seen(seen: Seen) -> str:
    parts = [f"pilot {seen.pilot_state}"]
    if seen.contactor_closed is not None:
        parts.append(f"contactor {_open(seen.contactor_closed)}")
    if seen.input_on is not None:
        parts.append(f"load input {'on' if seen.input_on else 'off'}")
    parts.append(f"{seen.load_current_a:.2f} A")
    if seen.meter is not None:
        parts.append(
            "EUMD silent" if seen.meter.current_a is None else f"EUMD {seen.meter.current_a:.2f} A"
        )
    return ", ".join(parts)
