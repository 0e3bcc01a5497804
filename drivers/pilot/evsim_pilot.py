"""Driver for the nsayer ev_sim (open-hardware J1772 EV simulator), serial at 9600 8N1.

Bench file::

    pilot:
      dialect: ev_sim
      url: /dev/ttyACM0          # or socket://127.0.0.1:PORT for the simulator

The device streams a report every second and takes one-character commands with
no reply (see :mod:`drivers.pilot.evsim`). So this driver keeps a reader thread
that holds the newest report line and when it arrived:

- ``status()`` returns the newest report if it is fresh (younger than 1.5 report
  periods), else waits up to 1.5 periods (+0.25 s jitter) for the next one. A
  silent device costs that wait (1.75 s on the real one: it cannot be asked).
- ``set_state(s)`` sends the letter, then waits (up to 2.5 periods + 0.25 s) for
  the *second* report after it (the first may straddle the change) and confirms
  it: by the report's ``state`` field when the firmware sends one, else by
  classifying the pilot high level.
  Only A–D exist; E, F and ``set_duty`` raise
  :class:`~drivers.errors.UnsupportedFeature`.

The ev_sim has no communication watchdog: :meth:`EvSimPilot.arm_watchdog` arms
nothing and says so (``Watchdog(armed=False, ...)``), so ``rig bench check`` can
warn that only the lab's E-stop and interlock loop cover a dead controller.
"""

from __future__ import annotations

import threading
import time
from typing import ClassVar

from drivers.errors import (
    InstrumentConnectionError,
    InstrumentError,
    InstrumentReplyError,
    InstrumentTimeout,
    UnsupportedFeature,
)
from drivers.kinds import Identity, PilotState, PilotStatus, Watchdog
from drivers.pilot import evsim
from drivers.pilot.link import SerialLink
from drivers.pilot.protocol import ProtocolError
from drivers.pilot.readings import confirm_state
from drivers.pilot.registry import DIALECTS, PilotTransport

IDENTITY = Identity(manufacturer="nsayer", model="ev_sim")
NO_WATCHDOG = Watchdog(
    armed=False,
    timeout_ms=0,
    how="nsayer ev_sim has no communication watchdog; it holds the last state letter "
    "if the controller dies: wire the bench's E-stop/interlock loop to cut the EVSE's "
    "supply (see docs/bench.md)",
)
_READ_SLICE_S = 0.05
#: Slack on top of the report period for scheduling jitter (threads, OS, the device).
JITTER_S = 0.25


@DIALECTS.register("ev_sim")
class EvSimPilot:
    """The nsayer ev_sim over ``serial.serial_for_url(url)``."""

    transport: ClassVar[PilotTransport] = "serial"

    def __init__(
        self,
        name: str = "pilot",
        *,
        url: str,
        baudrate: int = evsim.BAUDRATE,
        report_period_s: float = evsim.REPORT_PERIOD_S,
        window_s: float = evsim.REPORT_PERIOD_S,
    ) -> None:
        self.name = name
        self.report_period_s = report_period_s
        self.window_s = window_s
        self._link = SerialLink(name, url, baudrate=baudrate, timeout_s=_READ_SLICE_S)
        self._changed = threading.Condition()
        self._latest: tuple[float, str] | None = None
        self._count = 0
        self._error: InstrumentError | None = None
        self._stop = threading.Event()
        self._reader = threading.Thread(
            target=self._read_forever, name=f"{name}-reader", daemon=True
        )
        self._reader.start()

    # -- reader thread ----------------------------------------------------------------------

    def _read_forever(self) -> None:
        port = self._link.port
        buffer = bytearray()
        while not self._stop.is_set():
            try:
                chunk = port.read(max(1, port.in_waiting))
            except Exception as exc:  # any failure of a port that is not being closed
                if not self._stop.is_set():
                    self._publish_error(
                        InstrumentConnectionError(
                            self.name,
                            f"link to {self._link.url} lost: {exc}",
                            received=bytes(buffer) or None,
                        )
                    )
                return
            buffer.extend(chunk)
            while (end := buffer.find(b"\n")) >= 0:
                line = buffer[:end].decode("ascii", errors="replace").strip()
                del buffer[: end + 1]
                if line:
                    self._publish(line)

    def _publish(self, line: str) -> None:
        with self._changed:
            self._latest = (time.monotonic(), line)
            self._count += 1
            self._changed.notify_all()

    def _publish_error(self, error: InstrumentError) -> None:
        with self._changed:
            self._error = error
            self._changed.notify_all()

    # -- reports ----------------------------------------------------------------------------

    def _line_after(self, before: int, reports: int, sent: str | None) -> str:
        """The newest report once ``reports`` more than ``before`` have come (0: a fresh one).

        Waits ``reports`` periods (at least one) plus half a period and
        :data:`JITTER_S`, then gives up with :class:`InstrumentTimeout`.
        """
        period = self.report_period_s
        fresh_s = 1.5 * period
        wait_s = max(reports, 1) * period + 0.5 * period + JITTER_S

        def ready() -> bool:
            if self._error is not None:
                return True
            if reports:
                return self._count >= before + reports
            return self._latest is not None and time.monotonic() - self._latest[0] <= fresh_s

        with self._changed:
            self._changed.wait_for(ready, timeout=wait_s)
            if self._error is not None:
                raise self._error
            if not ready() or self._latest is None:
                newest = (
                    f"the newest is {time.monotonic() - self._latest[0]:.2f} s old"
                    if self._latest
                    else "none ever came"
                )
                raise InstrumentTimeout(
                    self.name,
                    f"{self._count - before} of {max(reports, 1)} reports within {wait_s:.2f} s; "
                    + newest,
                    sent=sent,
                    received=None,
                )
            return self._latest[1]

    def _status_of(self, line: str, sent: str | None) -> tuple[PilotStatus, evsim.Report]:
        try:
            report = evsim.parse_report(line)
            return evsim.to_status(report, self.window_s), report
        except ProtocolError as exc:
            raise InstrumentReplyError(self.name, str(exc), sent=sent, received=line) from exc

    # -- Pilot ------------------------------------------------------------------------------

    def identity(self) -> Identity:
        """The ev_sim has no identity query; the dialect names the device."""
        return IDENTITY

    def status(self) -> PilotStatus:
        return self._status_of(self._line_after(0, 0, None), None)[0]

    def set_state(self, state: PilotState) -> None:
        wanted = PilotState(state)
        if wanted not in evsim.COMMANDS:
            raise UnsupportedFeature(
                self.name, f"the ev_sim sets vehicle states A-D only, not {wanted.value}"
            )
        command = evsim.COMMANDS[wanted]
        with self._changed:
            before = self._count
        self._link.write(command, sent=command.decode())
        # the first report after the command may straddle the change: take the second
        line = self._line_after(before, 2, command.decode())
        status, _ = self._status_of(line, command.decode())
        confirm_state(self.name, status, wanted, command.decode())

    def set_duty(self, duty_pct: float) -> None:
        raise UnsupportedFeature(
            self.name, "the ev_sim is vehicle-side only: it cannot set the EVSE's PWM duty"
        )

    def arm_watchdog(self, timeout_ms: int) -> Watchdog:
        """Nothing to arm: the ev_sim has no watchdog (``timeout_ms`` is not sent anywhere)."""
        return NO_WATCHDOG

    def close(self) -> None:
        self._stop.set()
        self._link.close()
        self._reader.join(1.0)

    def __enter__(self) -> EvSimPilot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
