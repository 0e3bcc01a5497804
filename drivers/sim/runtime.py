"""The event loop every simulated instrument server runs on.

All simulators (Modbus, SCPI, CAN, serial) are asyncio servers on one loop in one
background thread, so a test or the runner can keep its own synchronous code while
the instruments answer over their wires. :class:`SimLoop` starts that thread,
runs coroutines on it from the caller's thread, and stops it cleanly.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class SimLoop:
    """An asyncio loop in a daemon thread. Use as a context manager or call start/stop."""

    def __init__(self, name: str = "sim-loop") -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("the simulator loop is not running; call start() first")
        return self._loop

    def start(self) -> SimLoop:
        if self._loop is not None:
            return self
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()

        self._thread = threading.Thread(target=run, name=self._name, daemon=True)
        self._thread.start()
        ready.wait()
        self._loop = loop
        return self

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = 10.0) -> T:
        """Run ``coro`` on the simulator loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return

        async def cancel_all() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(cancel_all(), loop).result(10.0)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10.0)
        loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> SimLoop:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
