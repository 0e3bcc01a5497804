"""``rig sim``'s model probe: the physical truth a safety test judges by, not a driver's word."""

from __future__ import annotations

from pathlib import Path

from drivers.kinds import PilotState
from rig.bench.build import open_bench
from rig.bench.config import load_bench
from rig.bench.labsim import LabSim


def test_probe_shows_what_the_lab_bench_did_to_the_model(tmp_path: Path) -> None:
    with LabSim(tmp_path) as lab:
        assert lab.truth()["pilot_state"] == "A"
        assert lab.is_safe()
        with open_bench(load_bench(lab.bench_file)) as bench:
            bench.pilot.set_state(PilotState.B)
            bench.load.set_current(10.0)
            bench.load.set_input(True)
            now = lab.truth()
            assert now["pilot_state"] == "B"
            assert now["load_input_on"] is True
        # leaving the bench put it in safe state, as the model sees it
        assert lab.is_safe()
        assert lab.truth()["load_input_on"] is False
