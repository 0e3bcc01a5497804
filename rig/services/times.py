"""Instants on the wire, in the database and in the clock, and how they convert.

The wire carries ISO 8601 with a zone (``2026-03-02T17:00:00Z``); the database keeps
**epoch milliseconds** as integers (interval keys must compare exactly, so no
floats); the :class:`~rig.clock.Clock` gives epoch seconds as a float. A naive
datetime never enters: the API models require a zone.
"""

from __future__ import annotations

from datetime import UTC, datetime


def to_ms(moment: datetime) -> int:
    """An aware datetime as integer epoch milliseconds."""
    return round(moment.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    """Epoch milliseconds as an aware UTC datetime."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def from_s(seconds: float) -> datetime:
    """A clock reading (epoch seconds) as an aware UTC datetime."""
    return datetime.fromtimestamp(seconds, tz=UTC)
