"""Typed instrument errors: every failure names the instrument, what was sent and what came back.

A driver never returns a reading it does not trust. When a reply is garbage,
truncated, out of range, a device reports an error, the link times out or drops,
the driver raises one of these. The message is meant for a lab engineer at the
bench, so it says which instrument, the exact request and the exact reply.
"""

from __future__ import annotations


def _show(payload: str | bytes | None) -> str:
    if payload is None:
        return "nothing"
    if isinstance(payload, bytes):
        return payload.hex(" ") if payload else "0 bytes"
    return repr(payload)


class InstrumentError(Exception):
    """Base class: an instrument did not do or say what the driver needed."""

    def __init__(
        self,
        instrument: str,
        problem: str,
        *,
        sent: str | bytes | None = None,
        received: str | bytes | None = None,
    ) -> None:
        self.instrument = instrument
        self.problem = problem
        self.sent = sent
        self.received = received
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.instrument}: {self.problem}"
        if self.sent is not None or self.received is not None:
            text += f" (sent {_show(self.sent)}, received {_show(self.received)})"
        return text


class InstrumentConnectionError(InstrumentError):
    """The instrument could not be reached, or the link was lost."""


class InstrumentTimeout(InstrumentError):
    """The instrument did not answer in time."""


class InstrumentReplyError(InstrumentError):
    """The reply was garbage, truncated, or a value that cannot be a real reading."""


class InstrumentRejected(InstrumentError):
    """The instrument refused the request (SCPI error queue entry, Modbus exception code)."""


class UnsupportedFeature(InstrumentError):
    """This instrument model or dialect cannot do what was asked."""


class UnknownModel(InstrumentError):
    """A bench file named a dialect, register map or model the drivers do not know."""
