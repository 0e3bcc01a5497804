"""Links that drop or hang under a live lab bench, judged by ``rig sim``'s model.

Each test energises a lab-style bench (``rig sim`` plus a bench file with no
``simulation:`` section, wall clock) through a :class:`~rig.bench.wirefault.WireFault`
on one instrument, pulls that instrument's cable (drop) or freezes it (hang), and
checks what the bench really did: a brief drop is ridden out by the drivers' reopen,
so safe state is confirmed; a link that stays dead makes safe state fail loudly,
and the instrument's own watchdog makes the bench safe within ``watchdog_ms`` + 100 ms.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from drivers.kinds import PilotState
from rig.bench.build import open_bench
from rig.bench.config import load_bench
from rig.bench.labsim import LabSim
from rig.bench.safe import Bench, SafeStateError

WATCHDOG_MS = 1000  # the bench file's default


def energise(bench: Bench) -> None:
    bench.pilot.set_state(PilotState.B)
    bench.pilot.set_duty(26.7)  # 16 A advertised
    bench.pilot.set_state(PilotState.C)
    bench.load.set_current(10.0)
    bench.load.set_input(True)


def wait_for_current(lab: LabSim, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while lab.truth()["current_a"] < 1.0:
        assert time.monotonic() < deadline, f"never charged: {lab.truth()}"
        time.sleep(0.05)


@pytest.mark.parametrize("role", ["pilot", "load"])
def test_a_brief_drop_during_teardown_is_ridden_out_and_safe_state_confirmed(
    tmp_path: Path, role: str
) -> None:
    with LabSim(tmp_path, wire_faults=True) as lab:
        fault = lab.faults[role]
        with open_bench(load_bench(lab.bench_file)) as bench:
            energise(bench)
            wait_for_current(lab)
            fault.drop()
            threading.Timer(0.3, fault.restore).start()
        # the with block confirmed safe state by read-back (it would have raised otherwise)
        assert lab.is_safe(), lab.truth()


def test_a_hung_pilot_fails_safe_state_loudly_and_its_watchdog_makes_the_bench_safe(
    tmp_path: Path,
) -> None:
    with LabSim(tmp_path, wire_faults=True) as lab:
        bench = open_bench(load_bench(lab.bench_file))
        bench.confirm_timeout_s = 1.5
        with pytest.raises(SafeStateError) as failed, bench:
            energise(bench)
            wait_for_current(lab)
            lab.faults["pilot"].hang()
            hung = time.monotonic()
        assert "pilot" in str(failed.value)
        # the load went off through its own link; the pilot box trips on its own
        deadline = hung + (WATCHDOG_MS + 100) / 1000.0
        while lab.truth()["pilot_state"] != "A":
            assert time.monotonic() < deadline, f"pilot not in A by its watchdog: {lab.truth()}"
            time.sleep(0.01)
        assert lab.is_safe()
        assert lab.truth()["duty_pct"] == pytest.approx(100.0)
