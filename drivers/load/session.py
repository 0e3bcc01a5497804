"""A SCPI conversation over any VISA resource, with every failure typed.

:class:`ScpiSession` is the only place in :mod:`drivers.load` that touches pyvisa.
It opens a resource string (``TCPIP0::host::5025::SOCKET``, ``USB0::…::INSTR``,
``GPIB0::5::INSTR``, ``ASRL/dev/ttyUSB0::INSTR``) on the pyvisa-py backend (``@py``)
unless told otherwise, and offers three verbs:

``query(command)``
    One write and one read. This is the hot path: nothing else happens on success,
    so a driver query costs what a plain ``resource.query`` costs.
``write(command)``
    One write, no reply expected.
``setting(command)``
    A write followed by ``SYST:ERR?``. A non-zero entry raises
    :class:`~drivers.errors.InstrumentRejected` naming the instrument, the command
    and every entry drained from the queue. Settings are rare and must not fail
    silently, so they pay one extra round trip; queries do not.

One reply is read before the next command is written (the Chroma 63800 and most
serial instruments need this); :attr:`ScpiSession.lock` keeps it so when a second
thread (the keep-alive, :meth:`ScpiSession.keep_alive`) shares the session.
Timeouts are short (0.5 s by default) so a hung instrument costs well under a
second per try.

Failures map to :mod:`drivers.errors`:

- the VISA timeout → :class:`InstrumentTimeout`, unless the peer has closed the
  socket (pyvisa-py reports an EOF on a socket as a timeout; the session peeks at the
  socket to tell the two apart) → :class:`InstrumentConnectionError`;
- lost link, refused connection, I/O errors → :class:`InstrumentConnectionError`;
- bytes that do not decode as ASCII → :class:`InstrumentReplyError` with the bytes.

After a timeout or a lost link the stream can no longer be trusted (a late or
partial reply may still arrive), so the session marks itself stale and the *next*
call reopens the resource first. The same holds for *any* interruption of a call,
``BaseException`` included: a Ctrl-C (``KeyboardInterrupt``) or an exception raised
by a signal handler while a reply is pending leaves that reply on its way, and
without a reopen every later query would read the reply of the one before it. The
interruption itself is re-raised untouched; only the session is marked stale. The
failed call itself is never retried: the caller decides whether repeating it is safe.
This also lets a safe-state teardown reach an instrument whose connection dropped
mid-session. ``*CLS`` is sent when the session first opens (so old entries are not
blamed on the first setting), not on a reopen: the queue may explain the failure
that forced it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any, TypedDict, Unpack

import pyvisa
from pyvisa import constants
from pyvisa.errors import VisaIOError

from drivers.errors import (
    InstrumentConnectionError,
    InstrumentError,
    InstrumentRejected,
    InstrumentReplyError,
    InstrumentTimeout,
)
from drivers.load import replies
from drivers.load.visa_socket import no_delay, peer_closed

DEFAULT_TIMEOUT_S = 0.5
DEFAULT_BACKEND = "@py"
ERROR_QUERY = "SYST:ERR?"
_MAX_DRAIN = 32

_GARBLED = frozenset(
    {
        constants.StatusCode.error_serial_framing,
        constants.StatusCode.error_serial_parity,
        constants.StatusCode.error_serial_overrun,
    }
)

_managers: dict[str, pyvisa.ResourceManager] = {}


def resource_manager(backend: str = DEFAULT_BACKEND) -> pyvisa.ResourceManager:
    """One shared pyvisa ResourceManager per backend (creating one is not free).

    pyvisa hands every caller of ``ResourceManager("@py")`` the same underlying
    session, so another part of the program closing *its* manager closes ours too;
    a closed one is replaced.
    """
    manager = _managers.get(backend)
    if manager is not None:
        try:
            manager.session  # noqa: B018 -- raises InvalidSession once closed
        except pyvisa.errors.InvalidSession:
            manager = None
    if manager is None:
        manager = _managers[backend] = pyvisa.ResourceManager(backend)
    return manager


class VisaOptions(TypedDict, total=False):
    """How a VISA resource is opened; each has a default (``timeout_s`` 0.5 s,
    ``backend`` ``"@py"``, newline terminations, no ``visa_options`` for pyvisa)."""

    timeout_s: float
    backend: str
    read_termination: str
    write_termination: str
    visa_options: Mapping[str, Any] | None


class ScpiSession:
    """One open VISA resource that speaks SCPI, raising only :mod:`drivers.errors`."""

    def __init__(
        self,
        resource: str,
        *,
        name: str = "load",
        error_query: str = ERROR_QUERY,
        clear_on_open: str | None = "*CLS",
        **visa: Unpack[VisaOptions],
    ) -> None:
        unknown = set(visa) - set(VisaOptions.__annotations__)
        if unknown:
            raise TypeError(f"{name}: unknown VISA options {', '.join(sorted(unknown))}")
        self.resource = resource
        self.name = name
        self.timeout_s = visa.get("timeout_s", DEFAULT_TIMEOUT_S)
        self.error_query = error_query
        self._backend = visa.get("backend", DEFAULT_BACKEND)
        self._terminations = (
            visa.get("read_termination", "\n"),
            visa.get("write_termination", "\n"),
        )
        self._clear_on_open = clear_on_open
        self._visa_options = dict(visa.get("visa_options") or {})
        self._res: Any = None
        self.epoch = 0  # changes whenever the link is opened or found broken
        self._stale = False
        self._closed = False
        # one command and its reply at a time, whichever thread sends it (a keep-alive
        # thread shares the session with the controller); reentrant, as a setting is a
        # write and a query under one hold
        self.lock = threading.RLock()
        self.last_used = time.monotonic()  # when the last command was sent
        self._keep_alive: _KeepAlive | None = None
        self._open()

    # -- the three verbs --------------------------------------------------------

    def query(self, command: str) -> str:
        """Send ``command`` and return its reply, termination stripped."""
        with self.lock, self._resync_if_interrupted():
            res = self._reopen() if self._stale else self._res
            self.last_used = time.monotonic()
            try:
                reply: str = res.query(command)
            except Exception as exc:  # mapped to a typed error, never swallowed
                raise self._failure(exc, command) from exc
            return reply

    def write(self, command: str) -> None:
        """Send ``command``; no reply is read."""
        with self.lock, self._resync_if_interrupted():
            res = self._reopen() if self._stale else self._res
            self.last_used = time.monotonic()
            try:
                res.write(command)
            except Exception as exc:
                raise self._failure(exc, command) from exc

    def setting(self, command: str) -> None:
        """Send ``command``, then raise if the error queue holds an entry."""
        with self.lock:
            self.write(command)
            reply = self.query(self.error_query)
            if reply[:2] == "0," or reply[:3] == "+0,":
                return
            self._check_entry(command, reply)

    def check_errors(self) -> None:
        """Raise :class:`InstrumentRejected` if the error queue is not empty."""
        with self.lock:
            self._check_entry(None, self.query(self.error_query))

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def stale(self) -> bool:
        """True when the next call will reopen the link first (the stream is not trusted)."""
        return self._stale

    # -- keep-alive --------------------------------------------------------------

    def keep_alive(self, period_s: float, command: str = "*OPC?") -> None:
        """Send ``command`` whenever the link has been idle for ``period_s``; 0 stops.

        A daemon thread, serialised with every other command by :attr:`lock`. It
        keeps an instrument's communication watchdog fed while the controller has
        nothing to say (a step charging for minutes) and dies with the process, so
        a killed controller goes silent and the watchdog trips. A failed keep-alive
        is not the controller's error: the session marks itself stale as for any
        failure, and the controller's next command reopens the link.
        """
        old, self._keep_alive = self._keep_alive, None
        if old is not None:
            old.stop()
        if period_s > 0:
            self._keep_alive = _KeepAlive(self, period_s, command)
            self._keep_alive.start()

    # -- lifecycle ---------------------------------------------------------------

    def close(self) -> None:
        self._closed = True
        self.keep_alive(0)
        with self.lock:
            res, self._res = self._res, None
            if res is not None:
                with contextlib.suppress(Exception):  # a dead link must not mask the real error
                    res.close()

    def __enter__(self) -> ScpiSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------

    def _check_entry(self, command: str | None, reply: str) -> None:
        code, _ = replies.error_entry(self.name, self.error_query, reply)
        if code == 0:
            return
        entries = [reply]
        for _ in range(_MAX_DRAIN):
            more = self.query(self.error_query)
            if replies.error_entry(self.name, self.error_query, more)[0] == 0:
                break
            entries.append(more)
        queue = "; ".join(entries)
        what = f"refused {command!r}" if command is not None else "reports errors"
        raise InstrumentRejected(
            self.name, f"{what}: error queue {queue}", sent=command, received=queue
        )

    def _open(self, *, clear: bool = True) -> None:
        read_term, write_term = self._terminations
        timeout_ms = max(1, round(self.timeout_s * 1000))
        try:
            manager = resource_manager(self._backend)
            self._res = manager.open_resource(
                self.resource,
                read_termination=read_term,
                write_termination=write_term,
                timeout=timeout_ms,
                open_timeout=timeout_ms,
                **self._visa_options,
            )
        except Exception as exc:
            raise InstrumentConnectionError(
                self.name, f"cannot open {self.resource!r}: {_describe(exc)}"
            ) from exc
        self._stale = False
        self.epoch += 1
        if "SOCKET" in self.resource.upper():
            no_delay(self._res)
        if clear and self._clear_on_open:
            self.write(self._clear_on_open)

    def _reopen(self) -> Any:
        if self._closed:
            raise InstrumentConnectionError(self.name, "the session is closed")
        old, self._res = self._res, None
        if old is not None:
            with contextlib.suppress(Exception):
                old.close()
        self._open(clear=False)  # keep the queue: it may say why the last call failed
        if "SOCKET" not in self.resource.upper():
            # device clear drops a late reply still queued in the instrument
            with contextlib.suppress(Exception):
                self._res.clear()
        return self._res

    def _mark_stale(self) -> None:
        self._stale = True
        self.epoch += 1

    @contextlib.contextmanager
    def _resync_if_interrupted(self) -> Iterator[None]:
        """Mark the session stale when anything but a typed error leaves the call.

        A typed error has already decided (a timeout marks the stream stale, a
        non-ASCII reply was read whole and does not). Anything else -- Ctrl-C, an
        exception raised by a signal handler, ``SystemExit`` -- may have cut the call
        between its write and its read, or inside a reopen: the reply still on its
        way would answer the next query, so the next call reopens the link.
        """
        try:
            yield
        except InstrumentError:
            raise
        except BaseException:
            self._mark_stale()
            raise

    def _failure(self, exc: Exception, command: str) -> InstrumentError:
        if self._res is None:
            return InstrumentConnectionError(self.name, "the session is closed", sent=command)
        if isinstance(exc, UnicodeDecodeError):
            return InstrumentReplyError(
                self.name, "reply is not ASCII text", sent=command, received=bytes(exc.object)
            )
        self._mark_stale()
        if isinstance(exc, VisaIOError):
            if exc.error_code == constants.StatusCode.error_timeout:
                if peer_closed(self._res):
                    return InstrumentConnectionError(
                        self.name, "the instrument closed the connection", sent=command
                    )
                return InstrumentTimeout(
                    self.name,
                    f"no complete reply within {self.timeout_s:g} s",
                    sent=command,
                )
            if exc.error_code in _GARBLED:
                return InstrumentReplyError(
                    self.name, f"garbled reply: {_describe(exc)}", sent=command
                )
        return InstrumentConnectionError(self.name, f"link failed: {_describe(exc)}", sent=command)


class _KeepAlive(threading.Thread):
    """The thread behind :meth:`ScpiSession.keep_alive`."""

    def __init__(self, session: ScpiSession, period_s: float, command: str) -> None:
        super().__init__(name=f"keep-alive {session.name}", daemon=True)
        self._session = session
        self._period_s = period_s
        self._command = command
        self._stopped = threading.Event()

    def run(self) -> None:
        session, wait = self._session, self._period_s
        while not self._stopped.wait(wait):
            idle = time.monotonic() - session.last_used
            if idle < self._period_s:  # the controller spoke lately: nothing to add
                wait = self._period_s - idle
                continue
            wait = self._period_s
            try:
                with session.lock:
                    if self._stopped.is_set():
                        return
                    session.query(self._command)
            except InstrumentError:
                if session.closed:
                    return

    def stop(self) -> None:
        self._stopped.set()
        if self is not threading.current_thread():
            self.join(timeout=2.0)


def _describe(exc: Exception) -> str:
    if isinstance(exc, VisaIOError):
        return f"{exc.abbreviation} ({exc.description})"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
