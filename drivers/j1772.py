"""SAE J1772 control-pilot arithmetic: duty cycle ↔ ampacity, and nominal pilot levels.

The EVSE advertises the current a vehicle may draw by the duty cycle of a 1 kHz
±12 V square wave on the pilot (requirement J-02):

=================  ==========================================
duty cycle         meaning
=================  ==========================================
under 3 %          no charging allowed
3 % – 7 %          5 %: digital communication required
8 % – 10 %         6 A
10 % – 85 %        duty × 0.6 A
85 % – 96 %        (duty − 64) × 2.5 A  (51 A … 80 A)
97 % – 100 %       no charging allowed (100 % is a steady +12 V: no PWM)
=================  ==========================================

The vehicle pulls the high level down with its resistors (state A open, B 2.74 kΩ,
C 882 Ω, D 246 Ω); the low level stays at −12 V behind the vehicle's diode.
"""

from __future__ import annotations

from drivers.kinds import PilotState

PWM_FREQUENCY_HZ = 1000.0
MIN_AMPACITY_A = 6.0
MAX_AMPACITY_A = 80.0

#: Nominal pilot high level (V) per state, at the vehicle's resistor.
HIGH_LEVEL_V: dict[PilotState, float] = {
    PilotState.A: 12.0,
    PilotState.B: 9.0,
    PilotState.C: 6.0,
    PilotState.D: 3.0,
    PilotState.E: 0.0,
    PilotState.F: -12.0,
}

#: Nominal low level (V) while PWM runs; the diode holds it at −12 V.
LOW_LEVEL_V = -12.0


def ampacity_from_duty(duty_pct: float) -> float:
    """Amps a vehicle may draw at ``duty_pct``; 0 where the duty allows no AC charging."""
    if 8.0 <= duty_pct < 10.0:
        return 6.0
    if 10.0 <= duty_pct <= 85.0:
        return duty_pct * 0.6
    if 85.0 < duty_pct <= 96.0:
        return (duty_pct - 64.0) * 2.5
    return 0.0


def duty_from_ampacity(amps: float) -> float:
    """The duty cycle (%) that advertises ``amps``; 100 % (no PWM) below 6 A.

    Values above 80 A are advertised as 80 A (96 %).
    """
    if amps < MIN_AMPACITY_A:
        return 100.0
    amps = min(amps, MAX_AMPACITY_A)
    if amps <= 51.0:
        return amps / 0.6
    return amps / 2.5 + 64.0
