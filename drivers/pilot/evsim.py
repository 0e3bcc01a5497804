"""The nsayer ev_sim serial dialect (open-hardware J1772 EV simulator): facts and conversions.

The device (https://github.com/nsayer/ev_sim, "EV Sim Remote") is a vehicle-side
simulator on a USB serial port at 9600 baud, 8N1:

- **Commands** are single characters: ``A`` / ``B`` / ``C`` / ``D`` switch the
  vehicle resistor to open / 2.7 kΩ / 882 Ω / 240 Ω. Nothing else: it cannot set
  the EVSE's duty cycle, cannot short the pilot (E) and is not an EVSE (F). The
  device sends no acknowledgement.
- **Reports**: once a second, one line covering one second of sampling::

      { state_changes=2000, low_count=50000, high_count=100000, low_adc=172, high_adc=844 }

  Firmware variants write ``key: value`` or strict JSON and may add
  ``state: "A"``; :func:`parse_report` accepts all of these.

Conversions (documented by the device's README; ``docs/pilot-protocol.md``):

- level: ``volts = (adc + PILOT_READ_OFFSET) × PILOT_READ_SCALE / 1000`` with
  offset −556 and scale 32 mV per count. 844 → +9.216 V, 172 → −12.288 V.
  Resolution is 32 mV; the 10-bit ADC spans −17.8 V … +14.9 V.
- duty: ``high_count / (high_count + low_count) × 100`` %. With no zero
  crossings the pilot is steady: 100 % if it sat high, 0 % if low.
- frequency: ``state_changes`` counts zero crossings, two per PWM period, in a
  one-second window: ``Hz = state_changes / 2 / window_s``.

The report carries no proximity reading (NaN) and no contactor (None). Where it
carries no state letter, the state is what the measured high level says
(:func:`state_from_level`), not what was last commanded: an EVSE in fault (F,
steady −12 V) must not read as the vehicle's C.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from drivers.kinds import PilotState, PilotStatus
from drivers.pilot.protocol import ProtocolError
from drivers.pilot.readings import check_status

BAUDRATE = 9600
LINE_END = b"\r\n"
REPORT_PERIOD_S = 1.0

#: The one-character commands, and the vehicle resistor each selects (Ω; None = open).
COMMANDS: dict[PilotState, bytes] = {
    PilotState.A: b"A",
    PilotState.B: b"B",
    PilotState.C: b"C",
    PilotState.D: b"D",
}
RESISTOR_OHM: dict[PilotState, float | None] = {
    PilotState.A: None,
    PilotState.B: 2700.0,
    PilotState.C: 882.0,
    PilotState.D: 240.0,
}

PILOT_READ_OFFSET = -556
PILOT_READ_SCALE_MV = 32
ADC_MAX = 1023

REPORT_FIELDS: tuple[str, ...] = ("state_changes", "low_count", "high_count", "low_adc", "high_adc")

#: Lower bound (V) of the high level for each state when the report names none.
STATE_THRESHOLDS_V: tuple[tuple[float, PilotState], ...] = (
    (10.5, PilotState.A),
    (7.5, PilotState.B),
    (4.5, PilotState.C),
    (1.5, PilotState.D),
    (-1.5, PilotState.E),
)


def adc_to_volts(adc: int) -> float:
    return (adc + PILOT_READ_OFFSET) * PILOT_READ_SCALE_MV / 1000.0


def volts_to_adc(volts: float) -> int:
    """The ADC count that reads closest to ``volts`` (clamped to the 10-bit range)."""
    return max(0, min(ADC_MAX, round(volts * 1000.0 / PILOT_READ_SCALE_MV) - PILOT_READ_OFFSET))


def state_from_level(high_v: float) -> PilotState:
    for threshold, state in STATE_THRESHOLDS_V:
        if high_v >= threshold:
            return state
    return PilotState.F


@dataclass(frozen=True)
class Report:
    """One report line as the device sent it (raw counts)."""

    state_changes: int
    low_count: int
    high_count: int
    low_adc: int
    high_adc: int
    state: PilotState | None = None
    min_volts: float | None = None
    max_volts: float | None = None


_PAIR = re.compile(r'\s*"?([A-Za-z_]+)"?\s*[:=]\s*("[^"]*"|[-+0-9.]+|[A-Za-z])\s*')


def _fields(line: str) -> dict[str, str]:
    text = line.strip()
    if not (text.startswith("{") and text.endswith("}")):
        raise ProtocolError(f"ev_sim report must be one {{...}} object: {line!r}")
    try:
        loaded = json.loads(text)
    except ValueError:
        pairs = [p for p in text[1:-1].split(",") if p.strip()]
        fields: dict[str, str] = {}
        for pair in pairs:
            match = _PAIR.fullmatch(pair)
            if match is None:
                raise ProtocolError(f"ev_sim report has a malformed field {pair!r}") from None
            fields[match.group(1)] = match.group(2).strip('"')
        return fields
    if not isinstance(loaded, dict):
        raise ProtocolError(f"ev_sim report is not an object: {line!r}")
    return {str(k): str(v) for k, v in loaded.items()}


def parse_report(line: str) -> Report:
    """Parse one report line; :class:`ProtocolError` if a field is missing or not a count."""
    fields = _fields(line)
    volts = {k: fields.get(k) for k in ("min_volts", "max_volts")}
    needed = REPORT_FIELDS if None in volts.values() else REPORT_FIELDS[:3]
    missing = [k for k in needed if k not in fields]
    if missing:
        raise ProtocolError(f"ev_sim report lacks {', '.join(missing)}: {line!r}")
    counts: dict[str, int] = {}
    for key in REPORT_FIELDS:
        if key not in fields:
            counts[key] = 0
            continue
        try:
            counts[key] = int(fields[key])
        except ValueError:
            raise ProtocolError(f"ev_sim {key}={fields[key]!r} is not an integer") from None
        if counts[key] < 0 or (key.endswith("_adc") and counts[key] > ADC_MAX):
            raise ProtocolError(f"ev_sim {key}={counts[key]} is out of range")
    state = None
    if "state" in fields:
        try:
            state = PilotState(fields["state"].upper())
        except ValueError:
            raise ProtocolError(f"ev_sim state={fields['state']!r} is not A-F") from None
    try:
        min_v = float(volts["min_volts"]) if volts["min_volts"] is not None else None
        max_v = float(volts["max_volts"]) if volts["max_volts"] is not None else None
    except ValueError:
        raise ProtocolError(f"ev_sim min/max_volts not numbers: {line!r}") from None
    return Report(**counts, state=state, min_volts=min_v, max_volts=max_v)


def format_report(report: Report) -> str:
    """The line as the README's firmware writes it (no state, ``key=value``)."""
    fields = ", ".join(f"{key}={getattr(report, key)}" for key in REPORT_FIELDS)
    if report.state is not None:
        fields = f"state={report.state.value}, {fields}"
    return "{ " + fields + " }"


def to_status(report: Report, window_s: float = REPORT_PERIOD_S) -> PilotStatus:
    """Convert a report into a checked :class:`PilotStatus` (see the module docstring)."""
    high_v = report.max_volts if report.max_volts is not None else adc_to_volts(report.high_adc)
    low_v = report.min_volts if report.min_volts is not None else adc_to_volts(report.low_adc)
    if report.state_changes == 0:
        duty = 100.0 if high_v > 0.0 else 0.0
        frequency = 0.0
    else:
        samples = report.high_count + report.low_count
        if samples == 0:
            raise ProtocolError("ev_sim report shows crossings but no samples")
        duty = 100.0 * report.high_count / samples
        frequency = report.state_changes / 2.0 / window_s
    return check_status(
        PilotStatus(
            state=report.state or state_from_level(high_v),
            high_v=high_v,
            low_v=low_v,
            duty_pct=duty,
            frequency_hz=frequency,
            proximity_ohm=math.nan,
            contactor_closed=None,
        )
    )


def from_status(status: PilotStatus, *, with_state: bool = False, samples: int = 150_000) -> Report:
    """What the device would report for ``status`` over a one-second window (for the simulator)."""
    if status.frequency_hz > 0.0:
        high_count = round(samples * status.duty_pct / 100.0)
        changes = round(2.0 * status.frequency_hz)
    else:
        high_count = samples if status.high_v > 0.0 else 0
        changes = 0
    return Report(
        state_changes=changes,
        low_count=samples - high_count,
        high_count=high_count,
        low_adc=volts_to_adc(status.low_v),
        high_adc=volts_to_adc(status.high_v),
        state=status.state if with_state else None,
    )
