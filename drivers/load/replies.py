"""Reading what a SCPI load says back, and refusing what cannot be true.

Every reply a driver turns into a number, a flag or an identity passes through one
of these small functions. They are deliberately cheap (one ``float()`` and one
chained comparison on the happy path) because they sit on the hot query path, and
deliberately strict, because a bench must never act on a silently wrong reading:

- garbage (``"#?!x"``), an empty or cut-off reply, the wrong number of CSV fields
  → :class:`~drivers.errors.InstrumentReplyError`;
- ``NaN``, ``inf``, SCPI's own "not a number" ``9.91E37`` and overflow ``9.9E37``,
  and any value outside the physically plausible range given by the caller
  → :class:`~drivers.errors.InstrumentReplyError`.

The range check ``low <= value <= high`` is false for NaN, so one comparison
catches both. Every error carries the command sent and the reply received.
"""

from __future__ import annotations

import re

from drivers.errors import InstrumentReplyError
from drivers.kinds import Identity

_ERROR_ENTRY = re.compile(r'\s*([+-]?\d+)\s*(?:,\s*"?(.*?)"?)?\s*$')

ON_WORDS = frozenset({"1", "ON", "+1"})
OFF_WORDS = frozenset({"0", "OFF", "+0"})


def number(
    instrument: str,
    sent: str,
    reply: str,
    low: float,
    high: float,
    field: str | None = None,
) -> float:
    """``reply`` (or one ``field`` of it) as a float within ``[low, high]``.

    Anything else is a reply error that quotes the whole reply.
    """
    try:
        value = float(reply if field is None else field)
    except ValueError:
        what = "reply" if field is None else f"field {field!r}"
        raise InstrumentReplyError(
            instrument, f"{what} is not a number", sent=sent, received=reply
        ) from None
    if low <= value <= high:
        return value
    raise InstrumentReplyError(
        instrument,
        f"value {value!r} is outside the plausible range [{low:g}, {high:g}]",
        sent=sent,
        received=reply,
    )


def flag(instrument: str, sent: str, reply: str) -> bool:
    """A SCPI boolean reply (``1``/``0``/``ON``/``OFF``) as a bool."""
    word = reply.strip().upper()
    if word in ON_WORDS:
        return True
    if word in OFF_WORDS:
        return False
    raise InstrumentReplyError(instrument, "reply is not a SCPI boolean", sent=sent, received=reply)


def csv_fields(instrument: str, sent: str, reply: str, count: int) -> list[str]:
    """``reply`` split at commas, exactly ``count`` fields (a cut-off list has fewer)."""
    fields = reply.split(",")
    if len(fields) != count:
        raise InstrumentReplyError(
            instrument,
            f"expected {count} comma-separated fields, got {len(fields)}",
            sent=sent,
            received=reply,
        )
    return fields


def identity(instrument: str, sent: str, reply: str) -> Identity:
    """An IEEE 488.2 ``*IDN?`` reply: manufacturer, model, serial, firmware.

    The standard asks for exactly four fields. Some firmware puts commas in its
    version string, so fields after the fourth are kept as part of the firmware.
    Fewer than two non-empty leading fields (no manufacturer or no model) is garbage.
    """
    fields = [field.strip() for field in reply.split(",")]
    if len(fields) < 2 or not fields[0] or not fields[1] or not reply.isprintable():
        raise InstrumentReplyError(
            instrument,
            "reply is not an *IDN? identity (manufacturer,model,serial,firmware)",
            sent=sent,
            received=reply,
        )
    fields += [""] * (4 - len(fields))
    return Identity(
        manufacturer=fields[0],
        model=fields[1],
        serial=fields[2],
        firmware=",".join(fields[3:]),
    )


def error_entry(instrument: str, sent: str, reply: str) -> tuple[int, str]:
    """A ``SYST:ERR?`` entry such as ``-222,"Data out of range"`` as (code, message)."""
    match = _ERROR_ENTRY.match(reply)
    if match is None:
        raise InstrumentReplyError(
            instrument,
            'reply is not an error-queue entry (code,"message")',
            sent=sent,
            received=reply,
        )
    return int(match.group(1)), match.group(2) or ""
