"""Keeping a pilot link usable: one request at a time, reopen after a break, heartbeats.

The CAN and serial pilot drivers each own one link (a ``can.Bus``, a serial
port). :class:`LinkKeeper` is what they share around it, following the load's
:class:`~drivers.load.session.ScpiSession`:

- **One request at a time.** Every request runs under one lock, so the heartbeat
  thread never writes between a request and its reply.
- **Stale after any interruption.** A request that ends in anything but an
  answer the driver understood (a timeout, a lost link, garbage, or a
  ``BaseException`` such as ``KeyboardInterrupt`` landing mid-read) marks the link
  stale: a late or partial reply may still be on its way. The next request first
  reopens the link (close, open again), which also resynchronises the stream. A
  refusal from the device (:class:`~drivers.errors.InstrumentRejected`) is an
  answer: the link stays as it is.
- **Retry once through a reopened link** (:meth:`LinkKeeper.retrying`), for
  requests that are safe to repeat (state, duty, status, identity, arming):
  when the link turns out dead during the request, the keeper reopens it and
  sends the request once more. This is what lets safe state
  (:mod:`rig.bench.safe`) reach the device after a cable was pulled and put back.
- **Heartbeats.** While the device's watchdog is armed, a daemon thread sends a
  heartbeat every quarter of the timeout through the same lock; a failed one
  marks the link stale and the next one reopens it. :meth:`LinkKeeper.close`
  stops the thread before the link closes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from drivers.errors import (
    InstrumentConnectionError,
    InstrumentRejected,
    InstrumentReplyError,
    UnsupportedFeature,
)
from drivers.kinds import PilotStatus, Watchdog

log = logging.getLogger("drivers.pilot")

T = TypeVar("T")

#: Heartbeats per watchdog timeout: three can be lost or late before the device trips.
HEARTBEATS_PER_TIMEOUT = 4


class LinkKeeper:
    """The lock, staleness and heartbeat around one link of instrument ``name``.

    ``reopen_link`` lets go of the stale link and opens a new one, ``close_link``
    closes it for good; both act on the driver's own attributes (the driver opens
    its first link itself, in its constructor).
    """

    def __init__(
        self, name: str, reopen_link: Callable[[], None], close_link: Callable[[], None]
    ) -> None:
        self.name = name
        self._reopen_link = reopen_link
        self._close_link = close_link
        self._lock = threading.RLock()
        self._stale = False
        self._closed = False
        self.reopens = 0
        self._beat_stop: threading.Event | None = None
        self._beater: threading.Thread | None = None

    @property
    def stale(self) -> bool:
        return self._stale

    def run(self, request: Callable[[], T]) -> T:
        """Run ``request`` alone on a fresh link; any interruption but a refusal marks it stale."""
        with self._lock:
            if self._closed:
                raise InstrumentConnectionError(self.name, "the driver is closed")
            if self._stale:
                self._reopen()
            try:
                return request()
            except (InstrumentRejected, UnsupportedFeature):
                raise  # the device answered: the link is in step
            except BaseException:
                self._stale = True
                raise

    def retrying(self, request: Callable[[], T]) -> T:
        """:meth:`run`, and once more through a reopened link if the link was lost."""
        try:
            return self.run(request)
        except InstrumentConnectionError as lost:
            if self._closed:
                raise
            log.info("%s: %s; reopening the link and trying once more", self.name, lost)
            return self.run(request)

    def _reopen(self) -> None:
        self._reopen_link()  # raises InstrumentConnectionError; the link stays stale
        self._stale = False
        self.reopens += 1

    # -- heartbeat ----------------------------------------------------------------------------

    def beat_every(self, period_s: float, send: Callable[[], None]) -> None:
        """Call ``send`` under the lock every ``period_s`` until :meth:`stop_beating`."""
        self.stop_beating()
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(period_s):
                try:
                    self.run(send)
                except Exception as error:  # the next beat reopens the link
                    log.debug("%s: heartbeat failed: %s", self.name, error)

        self._beat_stop = stop
        self._beater = threading.Thread(target=beat, name=f"{self.name}-heartbeat", daemon=True)
        self._beater.start()

    def keep_fed(
        self,
        timeout_ms: int,
        heartbeat: Callable[[], None],
        status: Callable[[], PilotStatus],
        sent: str,
    ) -> Watchdog:
        """After the device acknowledged arming ``timeout_ms``: beat, and confirm by status.

        Heartbeats start before the read-back, so even a short timeout is fed from the
        start. If the read-back fails or disagrees, the heartbeats stop again (the
        device then trips: the safe side) and the error is raised.
        """
        if timeout_ms:
            self.beat_every(timeout_ms / 1000.0 / HEARTBEATS_PER_TIMEOUT, heartbeat)
        try:
            reading = status()
            if reading.watchdog_armed != bool(timeout_ms) or reading.watchdog_tripped:
                raise InstrumentReplyError(
                    self.name,
                    f"watchdog set to {timeout_ms} ms but the device reads back "
                    f"armed={reading.watchdog_armed} tripped={reading.watchdog_tripped}",
                    sent=sent,
                    received=repr(reading),
                )
        except BaseException:
            self.stop_beating()
            raise
        if not timeout_ms:
            return Watchdog(
                armed=False,
                timeout_ms=0,
                how="disabled (watchdog_ms: 0): the pilot device stays as it is "
                "if the controller stops",
            )
        period_ms = timeout_ms / HEARTBEATS_PER_TIMEOUT
        return Watchdog(
            armed=True,
            timeout_ms=timeout_ms,
            how=f"the pilot device goes to state A with no PWM after {timeout_ms} ms "
            f"without a frame from the rig (heartbeat every {period_ms:g} ms)",
        )

    @property
    def beating(self) -> bool:
        return self._beater is not None and self._beater.is_alive()

    def stop_beating(self) -> None:
        stop, beater = self._beat_stop, self._beater
        self._beat_stop = self._beater = None
        if stop is not None:
            stop.set()
        if beater is not None and beater is not threading.current_thread():
            beater.join(2.0)

    def close(self) -> None:
        """Stop heartbeats, then close the link; later requests raise a connection error."""
        self.stop_beating()
        with self._lock:
            self._closed = True
            self._close_link()
