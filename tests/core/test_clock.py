"""The clock: virtual time moves only when told, wall time can be shifted."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from rig.clock import Clock, VirtualClock, WallClock, to_datetime, to_seconds


def test_virtual_clock_moves_only_when_slept() -> None:
    clock = VirtualClock(datetime(2026, 1, 1, tzinfo=UTC))
    start = clock.now()
    assert clock.now() == start
    clock.sleep(3600.0)
    assert to_datetime(clock.now()) == datetime(2026, 1, 1, 1, tzinfo=UTC)


def test_virtual_clock_never_goes_backwards() -> None:
    clock = VirtualClock(100.0)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1.0)
    assert clock.advance_to(50.0) == 100.0
    assert clock.advance_to(150.0) == 150.0


def test_virtual_clock_is_consistent_across_threads() -> None:
    clock = VirtualClock(0.0)

    def tick() -> None:
        for _ in range(1000):
            clock.advance(1.0)

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clock.now() == 2000.0


def test_wall_clock_offset_shifts_now() -> None:
    plain, shifted = WallClock(), WallClock(offset_s=7200.0)
    assert shifted.now() - plain.now() == pytest.approx(7200.0, abs=1.0)
    assert not plain.is_virtual


def test_both_clocks_satisfy_the_protocol() -> None:
    assert isinstance(WallClock(), Clock)
    assert isinstance(VirtualClock(), Clock)


def test_naive_datetimes_are_utc() -> None:
    assert to_seconds(datetime(1970, 1, 1, 0, 1)) == 60.0
