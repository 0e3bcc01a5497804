"""How values read in the report: numbers, limits, times — as text.

Values are shown as the record holds them: decimals (money, kWh) exactly as
written, floats to six significant digits, ``—`` for nothing measured. These are
text, not markup: the templates escape them (:mod:`rig.report.render`).
"""

from __future__ import annotations

import datetime as dt
import json

from pydantic import JsonValue

from rig.results import LimitsModel


def value(v: JsonValue) -> str:
    """A recorded value as text: ``—`` for null, floats to 6 significant digits."""
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, list | dict):
        return json.dumps(v, separators=(",", ":"), ensure_ascii=False)
    return str(v)


def with_unit(v: JsonValue, unit: str) -> str:
    return f"{value(v)} {unit}" if unit and v is not None else value(v)


def bounds(low: JsonValue, high: JsonValue, unit: str) -> str:
    """``[low, high] unit``, ``≤ high``, ``≥ low``, or empty when neither is set."""
    suffix = f" {unit}" if unit else ""
    if low is not None and high is not None:
        return f"[{value(low)}, {value(high)}]{suffix}"
    if high is not None:
        return f"≤ {value(high)}{suffix}"
    if low is not None:
        return f"≥ {value(low)}{suffix}"
    return ""


def limits(lim: LimitsModel | None, unit: str) -> str:
    return bounds(lim.low, lim.high, unit) if lim is not None else ""


def marginal(lim: LimitsModel | None, unit: str) -> str:
    return bounds(lim.marginal_low, lim.marginal_high, unit) if lim is not None else ""


def moment(t: dt.datetime) -> str:
    """An aware time in UTC, to the second: ``2026-03-02 16:00:00Z``."""
    return f"{t.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S}Z"


def since(later: str, earlier: dt.datetime) -> str:
    """``later`` (a :func:`moment`) without its date when it is ``earlier``'s date."""
    day = moment(earlier)[:11]
    return later.removeprefix(day) if later.startswith(day) else later


def clock(t: dt.datetime) -> str:
    """The time of day only, UTC: ``16:00:00``."""
    return t.astimezone(dt.UTC).time().isoformat("seconds")


def minute(t: dt.datetime) -> str:
    """The time of day, UTC, to the minute when on one (an interval's edge): ``16:15``."""
    on_minute = t.second == 0 and t.microsecond == 0
    return clock(t)[:5] if on_minute else clock(t)


def duration(seconds: float) -> str:
    """``42 s``, ``12 min 5 s``, ``2 h 30 min``."""
    whole = round(seconds)
    if whole < 60:
        return f"{seconds:.3g} s" if seconds < 10 else f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
