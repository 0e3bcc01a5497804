"""Electrical conformance from the recorded timelines: J-01, J-02, J-03, J-05, J-06.

Every check reads only the session record's pilot, contactor and load timelines,
as measured, and the J1772 / IEC 61851-1 figures below — implemented here again,
not borrowed from the drivers, so a driver that misreads the standard cannot
vouch for itself.

**J-01 state sequence.** Pilot states run A (unplugged) → B (connected) → C
(charging) → B → A; D is charging with ventilation and counts as C; C→A (unplugged
while charging) is abrupt but legal. A→C/D skips the connection and is illegal. A
session starts and ends in A (the safe state). On E (pilot shorted) or F (EVSE
fault) charging stops *at once*: the contactor is open within the J-05 opening time
and the load draws no current from then on while the fault lasts.

**J-02 ampacity.** The ampacity the measured duty advertises (table below). The
load may never draw more than that plus the current measurement tolerance, except
that after a drop it gets the J-03 follow time: during that window the earlier,
higher ampacity still counts.

=================  ==================================================
duty cycle         ampacity
=================  ==================================================
under 3 %          none (no charging)
3 % – 8 %          none (5 %: digital communication required)
8 % – 10 %         6 A
10 % – 85 %        duty × 0.6 A
85 % – 96 %        (duty − 64) × 2.5 A
96 % – 97 %        80 A
over 97 %          none (no charging; 100 % is a steady level, no PWM)
=================  ==================================================

**J-03 follow.** After the advertised ampacity drops (by more than the current
tolerance), the load's current is at or below the new value within ``follow_s``
(5 s, the commonly cited figure; a plan may set another).

**J-05 contactor timing.** Closed within 3 s of the moment the pilot is in C (or D)
*with* PWM in the charging band; open within 100 ms of the pilot leaving C (or D);
never closing while the pilot is not in C or D.

**J-06 pilot levels.** The high level per state within the default tolerances, the
low level within −12.60…−11.40 V while PWM runs, and the PWM frequency 1 kHz ± 2 %.
Each is recorded as the *worst* sample: the one closest to (or furthest beyond) its
limits, so the measurement shows the margin the session actually had.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise

from drivers.kinds import PilotState
from rig.domain.checks import CheckKind
from rig.record import ContactorSample, LoadSample, PilotSample
from rig.results.measurements import Limits, Measurement

A, B, C, D, E, F = (PilotState(s) for s in "ABCDEF")
CHARGING = frozenset({C, D})
FAULTS = frozenset({E, F})
_ILLEGAL = frozenset({(A, C), (A, D)})
_J01 = ("J-01",)
RULES = ("J-01", "J-02", "J-03", "J-05", "J-06")


def _default_levels() -> dict[PilotState, tuple[float, float]]:
    return {A: (11.40, 12.60), B: (8.36, 9.56), C: (5.48, 6.49), D: (2.62, 3.25)}


@dataclass(frozen=True)
class ElectricalLimits:
    follow_s: float = 5.0
    contactor_close_s: float = 3.0
    contactor_open_s: float = 0.1
    current_tolerance_a: float = 0.5
    """How far a load current reading may sit above the truth (its measurement accuracy)."""
    high_levels_v: dict[PilotState, tuple[float, float]] = field(default_factory=_default_levels)
    low_level_v: tuple[float, float] = (-12.60, -11.40)
    frequency_hz: float = 1000.0
    frequency_tolerance_pct: float = 2.0


def ampacity_a(duty_pct: float) -> float:
    """The J-02 table of the module docstring."""
    if duty_pct < 8.0 or duty_pct > 97.0:
        return 0.0
    if duty_pct < 10.0:
        return 6.0
    if duty_pct <= 85.0:
        return duty_pct * 0.6
    if duty_pct <= 96.0:
        return (duty_pct - 64.0) * 2.5
    return 80.0


def _pwm_running(sample: PilotSample) -> bool:
    return 0.0 < sample.duty_pct < 100.0


def _index_at(times: Sequence[float], t: float) -> int:
    """Index of the sample in force at ``t`` (the last at or before it); −1 before the first."""
    return bisect_right(times, t) - 1


def _runs(pilot: Sequence[PilotSample]) -> list[tuple[PilotState, float, float]]:
    """The state sequence: each state, when it was first seen, and when the next began."""
    if not pilot:
        return []
    starts: list[tuple[PilotState, float]] = []
    for sample in pilot:
        if not starts or starts[-1][0] != sample.state:
            starts.append((sample.state, sample.t))
    ends = [t for _, t in starts[1:]] + [pilot[-1].t]
    return [(state, t, end) for (state, t), end in zip(starts, ends, strict=True)]


class _Contactor:
    """The contactor timeline as a step function."""

    def __init__(self, samples: Sequence[ContactorSample]) -> None:
        self.samples = samples
        self.times = [c.t for c in samples]

    def closed_at(self, t: float) -> bool:
        index = _index_at(self.times, t)
        return index >= 0 and self.samples[index].closed

    def first(self, closed: bool, after: float, until: float) -> float | None:
        """When it is first seen ``closed`` (or open) in ``[after, until]``; None if never."""
        if self.closed_at(after) is closed:
            return after
        start = _index_at(self.times, after) + 1
        return next(
            (c.t for c in self.samples[start:] if c.t <= until and c.closed is closed), None
        )


Delay = tuple[float, float | None]
"""When something was asked for, and how long it took (None: it never happened)."""


def _timing(
    name: str, requirement: str, delays: Sequence[Delay], limit: float, what: str
) -> list[Measurement]:
    """The worst of several response times against ``limit``; none to judge: no measurement."""
    if not delays:
        return []
    at, worst = max(delays, key=lambda d: float("inf") if d[1] is None else d[1])
    took = "never happened" if worst is None else f"took {worst:.3f} s"
    return [
        Measurement.within(
            name,
            worst,
            "s",
            Limits(high=limit),
            requirements=(requirement,),
            detail=f"{what} at t={at:.3f} s {took}, limit {limit} s",
        )
    ]


def _worst(name: str, values: Sequence[float], unit: str, low: float, high: float) -> Measurement:
    """The value closest to (or furthest beyond) ``[low, high]``, judged against it."""
    worst = min(values, key=lambda v: min(v - low, high - v))
    return Measurement.within(name, worst, unit, Limits(low, high), requirements=("J-06",))


# --------------------------------------------------------------------- J-01


def check_state_sequence(
    pilot: Sequence[PilotSample],
    contactor: Sequence[ContactorSample],
    load: Sequence[LoadSample],
    limits: ElectricalLimits = ElectricalLimits(),
) -> list[Measurement]:
    """J-01: a legal sequence from A to A, and charging stopped at once on E or F."""
    runs = _runs(pilot)
    if not runs:
        return [
            Measurement.none_of(
                "J-01 pilot state sequence", ["no pilot samples"], "problems", requirements=_J01
            )
        ]
    sequence = " ".join(state for state, _, _ in runs)
    problems = [
        f"{a}→{b} at t={t:.3f} s is not a J1772 transition"
        for (a, _, _), (b, t, _) in pairwise(runs)
        if (a, b) in _ILLEGAL
    ]
    if runs[0][0] is not A:
        problems.insert(0, f"starts in {runs[0][0]}, expected A")
    if runs[-1][0] is not A:
        problems.append(f"ends in {runs[-1][0]}, expected A (the safe state)")
    problems = [f"{sequence}: {p}" for p in problems]
    measurements = [
        Measurement.none_of("J-01 pilot state sequence", problems, "problems", requirements=_J01)
    ]
    faults = [(state, t, end) for state, t, end in runs if state in FAULTS]
    if not faults:
        return measurements
    switch = _Contactor(contactor)
    measurements += _timing(
        "J-01 contactor opens on E/F",
        "J-01",
        [(t, _minus(switch.first(False, t, end), t)) for _, t, end in faults],
        limits.contactor_open_s,
        "opening on E/F",
    )
    drawing = [
        f"load drew {s.current_a:.2f} A at t={s.t:.3f} s during {state}"
        for state, t, end in faults
        for s in load
        if t + limits.contactor_open_s <= s.t < end and s.current_a > limits.current_tolerance_a
    ]
    measurements.append(
        Measurement.none_of("J-01 load current during E/F", drawing, "readings", requirements=_J01)
    )
    return measurements


def _minus(later: float | None, earlier: float) -> float | None:
    return None if later is None else later - earlier


# --------------------------------------------------------------------- J-02, J-03


def check_ampacity(
    pilot: Sequence[PilotSample],
    load: Sequence[LoadSample],
    limits: ElectricalLimits = ElectricalLimits(),
) -> list[Measurement]:
    """J-02 (never above advertised, with the follow window) and J-03 (follow after a drop)."""
    if not pilot or not load:
        return []
    times = [p.t for p in pilot]
    ampacity = [ampacity_a(p.duty_pct) for p in pilot]
    excess: list[tuple[float, LoadSample, float]] = []
    for sample in load:
        # The ampacity in force just before the follow window opened still counts.
        first = max(bisect_left(times, sample.t - limits.follow_s) - 1, 0)
        last = _index_at(times, sample.t)
        allowed = max(ampacity[first : last + 1]) if last >= 0 else 0.0
        excess.append((sample.current_a - allowed, sample, allowed))
    worst, at, allowed = max(excess, key=lambda e: e[0])
    measurements = [
        Measurement.within(
            "J-02 load current above advertised",
            worst,
            "A",
            Limits(high=limits.current_tolerance_a),
            requirements=("J-02",),
            detail=f"load drew {at.current_a:.2f} A at t={at.t:.3f} s, advertised {allowed:.2f} A",
        )
    ]
    return measurements + _timing(
        "J-03 load follows ampacity drop",
        "J-03",
        _follow_delays(pilot, ampacity, load, limits),
        limits.follow_s,
        "following the ampacity drop",
    )


def _follow_delays(
    pilot: Sequence[PilotSample],
    ampacity: Sequence[float],
    load: Sequence[LoadSample],
    limits: ElectricalLimits,
) -> list[Delay]:
    """For each drop of advertised ampacity: how long until the load was at or below it."""
    load_times = [s.t for s in load]
    delays: list[Delay] = []
    for (before, now), sample in zip(pairwise(ampacity), pilot[1:], strict=True):
        if now >= before - limits.current_tolerance_a:
            continue
        later = load[_index_at(load_times, sample.t - 1e-9) + 1 :]
        followed = next(
            (s.t for s in later if s.current_a <= now + limits.current_tolerance_a), None
        )
        if followed is not None:
            delays.append((sample.t, followed - sample.t))
        elif later and later[-1].t - sample.t > limits.follow_s:
            delays.append((sample.t, None))
    return delays


# --------------------------------------------------------------------- J-05


def check_contactor(
    pilot: Sequence[PilotSample],
    contactor: Sequence[ContactorSample],
    limits: ElectricalLimits = ElectricalLimits(),
) -> list[Measurement]:
    """J-05: close within 3 s of C with PWM, open within 100 ms of leaving C, never outside C."""
    if not pilot or not contactor:
        return []
    switch = _Contactor(contactor)
    end = max(pilot[-1].t, contactor[-1].t)
    requests: list[tuple[float, float]] = []  # (from, until): C or D with PWM in the band
    since: float | None = None
    for sample in pilot:
        wants = sample.state in CHARGING and ampacity_a(sample.duty_pct) > 0
        if wants and since is None:
            since = sample.t
        elif not wants and since is not None:
            requests.append((since, sample.t))
            since = None
    if since is not None:
        requests.append((since, end))
    closes: list[Delay] = []
    for start, until in requests:
        closed = switch.first(True, start, until)
        if closed is not None or until - start > limits.contactor_close_s:
            closes.append((start, _minus(closed, start)))
    opens = [
        (t, _minus(switch.first(False, t, end), t))
        for (state, _, _), (following, t, _) in pairwise(_runs(pilot))
        if state in CHARGING and following not in CHARGING and switch.closed_at(t)
    ]
    times = [p.t for p in pilot]
    outside = [
        f"contactor closed at t={c.t:.3f} s in state {state}"
        for previous, c in pairwise([ContactorSample(float("-inf"), False), *contactor])
        if c.closed and not previous.closed
        for state in [pilot[max(_index_at(times, c.t), 0)].state]
        if state not in CHARGING
    ]
    return [
        *_timing(
            "J-05 contactor close time", "J-05", closes, limits.contactor_close_s, "closing on C"
        ),
        *_timing(
            "J-05 contactor open time", "J-05", opens, limits.contactor_open_s, "opening after C"
        ),
        Measurement.none_of(
            "J-05 contactor closed outside C", outside, "closings", requirements=("J-05",)
        ),
    ]


# --------------------------------------------------------------------- J-06


def check_pilot_levels(
    pilot: Sequence[PilotSample], limits: ElectricalLimits = ElectricalLimits()
) -> list[Measurement]:
    """J-06: worst high level per state, worst low level and frequency while PWM runs."""
    measurements = []
    for state, (low, high) in limits.high_levels_v.items():
        levels = [p.high_v for p in pilot if p.state is state]
        if levels:
            measurements.append(_worst(f"J-06 pilot high level in {state}", levels, "V", low, high))
    pwm = [p for p in pilot if _pwm_running(p) and p.state not in FAULTS]
    if pwm:
        spread = limits.frequency_hz * limits.frequency_tolerance_pct / 100
        measurements += [
            _worst("J-06 pilot low level", [p.low_v for p in pwm], "V", *limits.low_level_v),
            _worst(
                "J-06 pilot frequency",
                [p.frequency_hz for p in pwm],
                "Hz",
                limits.frequency_hz - spread,
                limits.frequency_hz + spread,
            ),
        ]
    return measurements


def check_electrical(
    pilot: Sequence[PilotSample],
    contactor: Sequence[ContactorSample],
    load: Sequence[LoadSample],
    limits: ElectricalLimits = ElectricalLimits(),
    rules: Collection[str] = RULES,
) -> list[Measurement]:
    """The electrical checks of this module for ``rules`` on one session's timelines.

    Each answers the plan's ``electrical`` check, which chooses the rules judged.
    """
    measurements = [
        *check_state_sequence(pilot, contactor, load, limits),
        *check_ampacity(pilot, load, limits),
        *check_contactor(pilot, contactor, limits),
        *check_pilot_levels(pilot, limits),
    ]
    return [
        replace(m, answers=CheckKind.ELECTRICAL)
        for m in measurements
        if set(m.requirements) & set(rules)
    ]
