"""A bench file's ``defects:`` section: only simulated benches, out-of-class bias only there,
and each defect reaches the simulator model or the services' front door."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.kinds import PilotState
from drivers.sim.model import BenchModel
from rig.bench.config import load_bench
from rig.bench.simulated import model_config
from rig.clock import VirtualClock
from rig.services.faults import LostReply, ServiceDefects
from rig.yamlfile import YamlFileError
from tests.bench.test_bench_file import GOOD, issues, write

SIM = Path(__file__).parents[2] / "fixtures" / "benches" / "sim.yaml"


def simulated(tmp_path: Path, defects: str) -> Path:
    path = tmp_path / "bench.yaml"
    path.write_text(SIM.read_text("utf-8") + "\ndefects:\n" + defects, "utf-8")
    return path


def test_an_out_of_class_bias_is_a_defect_the_section_may_inject(tmp_path: Path) -> None:
    config = load_bench(simulated(tmp_path, "  eumd_bias_pct: 0.6\n  contactor_close_s: 8\n"))
    assert config.defect_names == ("eumd_bias_pct=0.6", "contactor_close_s=8.0")
    model = model_config(config)
    assert model.eumd.bias_pct == 0.1 and model.eumd.defect_bias_pct == 0.6
    assert model.eumd.gain == pytest.approx(1.007)
    assert model.contactor_close_s == 8.0 and model.load_follow_s == 1.0


def test_outside_the_section_the_bias_is_still_refused(tmp_path: Path) -> None:
    text = SIM.read_text("utf-8").replace("bias_pct: 0.1 ", "bias_pct: 0.6 ")
    with pytest.raises(YamlFileError, match="outside the meter's accuracy class"):
        load_bench(write(tmp_path, text))


def test_a_real_bench_has_no_defects(tmp_path: Path) -> None:
    found = issues(tmp_path, GOOD + "defects: {duty_offset_pct: 2}\n")
    assert [i.where for i in found] == ["defects"]


def test_without_the_section_nothing_is_injected() -> None:
    config = load_bench(SIM)
    assert config.defect_names == ()
    model = model_config(config)
    assert (model.eumd.defect_bias_pct, model.duty_offset_pct, model.pilot_level_offset_v) == (
        0.0,
        0.0,
        0.0,
    )


def test_service_defects_are_handed_to_the_services(tmp_path: Path) -> None:
    text = "  lost_intervals: [2]\n  duplicated_intervals: [3]\n  reply_lost: {count: 2}\n"
    config = load_bench(simulated(tmp_path, text))
    assert config.defects is not None
    wanted = ServiceDefects(frozenset({2}), frozenset({3}), LostReply(2, "/intervals", "POST"))
    assert config.defects.services() == wanted
    assert ServiceDefects.from_json(wanted.to_json()) == wanted
    assert "reply_lost={count: 2, path: /intervals, method: POST}" in config.defect_names


def test_duty_offset_and_pilot_levels_act_in_the_model(tmp_path: Path) -> None:
    config = load_bench(simulated(tmp_path, "  duty_offset_pct: -3\n  pilot_level_offset_v: 1.5\n"))
    model = BenchModel(model_config(config), VirtualClock(0.0))
    model.set_pilot_state(PilotState.B)
    model.set_duty(50.0)
    assert model.truth().duty_pct == 47.0  # commanded 50 %, the PWM is 3 % short
    assert model.pilot_status().high_v == pytest.approx(9.0 + 1.5, abs=0.2)
