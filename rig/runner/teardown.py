"""The rest of a plan's teardown, once safe state is confirmed: in the background.

Closing the drivers, stopping the simulators and the services takes another ~0.3 s
after the bench is confirmed safe; :func:`close_later` does it on a background
thread while the next plan starts, and :func:`finish_teardowns` waits for it (the
interpreter too, at exit).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from typing import Any

log = logging.getLogger("rig.runner")
#: Where the rest of a teardown runs once safe state is confirmed (joined at exit).
_CLEANUP = ThreadPoolExecutor(max_workers=4, thread_name_prefix="rig-teardown")
_PENDING: list[Future[None]] = []


def close_later(parts: Iterable[AbstractContextManager[Any]]) -> None:
    """Exit each of ``parts`` on the background thread."""
    _PENDING[:] = [f for f in _PENDING if not f.done()]
    _PENDING.extend(_CLEANUP.submit(_quietly, part) for part in parts)


def _quietly(part: AbstractContextManager[Any]) -> None:
    try:
        part.__exit__(None, None, None)
    except Exception:  # safe state was confirmed before; this is only cleanup
        log.exception("teardown after safe state")


def finish_teardowns() -> None:
    """Wait until the drivers, simulators and services of every finished plan are closed.

    :func:`~rig.runner.api.run_plan` returns as soon as the bench is confirmed safe;
    the rest of its teardown (~0.3 s) overlaps the next plan. Call this before
    checking for leftover threads or ports; the interpreter also waits for it at exit.
    """
    while _PENDING:
        _PENDING.pop().result()
