"""J-02 on the EVSE's side: the pilot carries the duty cycle the EVSE was commanded.

:func:`rig.oracle.electrical.check_ampacity` holds the load to the ampacity the
*measured* duty advertises — and the PEV agent follows the measured duty too. A
pilot generator that drifts, or an EVSE that writes the wrong duty, advertises
more (or less) than the EVSE meant, and the vehicle and that check would agree on
the wrong value. This check closes the loop: every pilot reading is compared with
the duty the EVSE was told to advertise.

**Commanded.** The runner's EVSE actor records each ampacity it commands, at the
instant it commands it (``record.ampacity``; :mod:`rig.runner.actors.evse`). The
duty that advertises it is worked out here again from the J1772 table, not borrowed
from the drivers: under 6 A no PWM (a steady level, 100 %); up to 51 A
``amps / 0.6`` %; up to 80 A ``amps / 2.5 + 64`` %; more is advertised as 80 A.
Before the first command the EVSE advertises nothing (no PWM).

**Measured.** Each pilot reading's duty (``duty_pct``; 100 % or 0 % is no PWM).
Readings in E or F are left out: there the pilot is shorted or held low, whatever
the EVSE commanded (J-01 judges those).

**Rule.** With PWM commanded, the measured duty is within ``duty_tolerance_pct``
(0.5 percentage points: J1772's ±5 µs pulse width at 1 kHz) of it; without, the
reading shows no PWM. A reading within ``duty_settle_s`` of a command may still
show the one before it. The measurement is the worst deviation in percentage points
(no PWM where PWM was commanded, or the reverse, counts as 100).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from drivers.kinds import PilotState
from rig.domain.checks import CheckKind
from rig.record import CurrentSample, PilotSample
from rig.results.measurements import Limits, Measurement

_FAULTS = frozenset({PilotState.E, PilotState.F})
_NO_PWM = 100.0


@dataclass(frozen=True)
class DutyLimits:
    duty_tolerance_pct: float = 0.5
    duty_settle_s: float = 0.5


def commanded_duty(amps: float) -> float:
    """The duty (%) that advertises ``amps`` (the module docstring's table); 100: no PWM."""
    if amps < 6.0:
        return _NO_PWM
    amps = min(amps, 80.0)
    return amps / 0.6 if amps <= 51.0 else amps / 2.5 + 64.0


def _deviation(measured: float, commanded: float) -> float:
    pwm = 0.0 < measured < 100.0
    if commanded == _NO_PWM:
        return 0.0 if not pwm else 100.0
    return abs(measured - commanded) if pwm else 100.0


def check_commanded_duty(
    pilot: Sequence[PilotSample],
    commanded: Sequence[CurrentSample],
    limits: DutyLimits = DutyLimits(),
) -> list[Measurement]:
    """J-02: the worst deviation of a measured duty from the commanded one (module docstring)."""
    times = [c.t for c in commanded]
    duties = [_NO_PWM] + [commanded_duty(c.amps) for c in commanded]
    judged = []  # (deviation, reading, commanded duty)
    for sample in pilot:
        if sample.state in _FAULTS:
            continue
        last = bisect_right(times, sample.t)  # index into duties: the command in force
        first = bisect_right(times, sample.t - limits.duty_settle_s)
        best = min(range(first, last + 1), key=lambda i: _deviation(sample.duty_pct, duties[i]))
        judged.append((_deviation(sample.duty_pct, duties[best]), sample, duties[last]))
    if not judged or not commanded:
        return []
    worst, at, meant = max(judged, key=lambda j: j[0])
    return [
        Measurement.within(
            "J-02 pilot duty against commanded",
            worst,
            "%",
            Limits(high=limits.duty_tolerance_pct),
            requirements=("J-02",),
            answers=CheckKind.ELECTRICAL,
            detail=f"pilot read {at.duty_pct:.2f} % at t={at.t:.3f} s, the EVSE commanded "
            f"{meant:.2f} % ({'no PWM' if meant == _NO_PWM else 'PWM'})",
        )
    ]
