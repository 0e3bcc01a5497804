"""Checks on pilot readings: plausible values, and read-back confirmation of a setting.

Every decoder passes its :class:`~drivers.kinds.PilotStatus` through
:func:`check_status`, so a reading outside :data:`~drivers.pilot.protocol.LIMITS`
(a 30 V pilot, a 150 % duty cycle) is refused instead of reaching a test verdict.

After ``set_state`` or ``set_duty`` the drivers read the status back and call
:func:`confirm_state` / :func:`confirm_duty`: a device that acknowledged a
command but did not apply it is an error, not a pass.
"""

from __future__ import annotations

import math

from drivers.errors import InstrumentReplyError
from drivers.kinds import PilotState, PilotStatus
from drivers.pilot.protocol import LIMITS, ProtocolError

#: States in which the EVSE's PWM is visible on the pilot (E shorts it, F replaces it).
PWM_VISIBLE_STATES = frozenset({PilotState.A, PilotState.B, PilotState.C, PilotState.D})


def check_status(status: PilotStatus) -> PilotStatus:
    """Return ``status`` unchanged, or raise :class:`ProtocolError` naming the bad field."""
    for name, (low, high) in LIMITS.items():
        value = getattr(status, name)
        if name == "proximity_ohm" and (math.isinf(value) or math.isnan(value)):
            continue
        if not (math.isfinite(value) and low <= value <= high):
            raise ProtocolError(f"{name}={value} is outside {low}..{high}")
    return status


def round_duty(duty_pct: float) -> float:
    """``duty_pct`` at the protocol's 0.1 % resolution; ValueError outside 0–100 %."""
    if not (math.isfinite(duty_pct) and 0.0 <= duty_pct <= 100.0):
        raise ValueError(f"duty cycle must be 0–100 %, got {duty_pct}")
    return round(duty_pct * 10.0) / 10.0


def confirm_state(instrument: str, status: PilotStatus, wanted: PilotState, sent: str) -> None:
    """Raise :class:`InstrumentReplyError` unless the device now reports ``wanted``."""
    if status.state != wanted:
        raise InstrumentReplyError(
            instrument,
            f"state set to {wanted.value} but the device reads back {status.state.value}",
            sent=sent,
            received=repr(status),
        )


def confirm_duty(
    instrument: str, status: PilotStatus, wanted_pct: float, tolerance_pct: float, sent: str
) -> None:
    """Raise :class:`InstrumentReplyError` unless the measured PWM matches ``wanted_pct``.

    0 % and 100 % mean "no PWM": confirmed by a frequency of 0. In states E and F
    the PWM cannot be seen on the pilot, so nothing can be confirmed there.
    """
    if status.state not in PWM_VISIBLE_STATES:
        return
    if wanted_pct in (0.0, 100.0):
        ok = status.frequency_hz == 0.0
    else:
        ok = status.frequency_hz > 0.0 and abs(status.duty_pct - wanted_pct) <= tolerance_pct
    if not ok:
        raise InstrumentReplyError(
            instrument,
            f"duty set to {wanted_pct} % but the device measures {status.duty_pct} % "
            f"at {status.frequency_hz} Hz",
            sent=sent,
            received=repr(status),
        )
