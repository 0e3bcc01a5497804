"""J-04 against the reference standard, whole plans: FAIL out of class, INCONCLUSIVE at the edge.

The default simulated bench carries a class 0.05 reference in series with the EUMD
(U ≈ 0.058 %, k=2). An EUMD 1.2× its class out fails, naming both meters; one
inside its class but within U of the limit cannot be decided: the plan is
``inconclusive``, which is not a pass.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from drivers.sim.model import ModelConfig
from rig.bench import simulated
from rig.bench.config import BenchConfig
from rig.results.measurements import Verdict
from rig.runner.api import DEFAULT_BENCH, run_plan
from tests.runner.support import EXAMPLES, write_plan

J04 = "J-04 EUMD accuracy vs reference"


def test_an_eumd_biased_beyond_its_class_fails_naming_the_meter_and_the_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bench file refuses a bias beyond the class, so the simulator is biased here.
    declared = simulated.model_config

    def out_of_class(config: BenchConfig) -> ModelConfig:
        made = declared(config)
        return replace(made, eumd=replace(made.eumd, accuracy_pct=0.6, bias_pct=0.6))

    monkeypatch.setattr(simulated, "model_config", out_of_class)
    plan, path = write_plan(tmp_path, (EXAMPLES / "sc1_home.yaml").read_text(encoding="utf-8"))
    outcome = run_plan(plan, plan_file=path)
    assert outcome.verdict == "fail"
    [j04] = [m for m in outcome.measurements if m.name == J04]
    assert j04.verdict is Verdict.FAIL
    assert j04.message.startswith(
        "FAIL J-04 EUMD accuracy vs reference: EUMD meter EUMD-ALICE-240 (sdm630 @ modbus_tcp "
    )
    # +0.6 % against the reference's +0.01 %, give or take the SDM630's 0.12 Wh steps.
    assert j04.value == pytest.approx(0.59, abs=0.002)
    assert f"{j04.value:+.3f} % vs reference (refstd @ modbus_tcp 127.0.0.1:" in j04.message
    assert "% > 0.5 %: out of class (class ±0.5 %, U = 0.058 % (k=2;" in j04.message
    assert outcome.failure is not None and J04 in outcome.failure.message


def test_an_eumd_at_the_edge_of_its_class_is_inconclusive_not_a_pass(tmp_path: Path) -> None:
    bench = yaml.safe_load(DEFAULT_BENCH.read_text(encoding="utf-8"))
    bench["eumd"]["accuracy_class"] = "C12.20 0.2"
    bench["simulation"]["eumd"]["bias_pct"] = 0.2  # in class, within U of its limit
    bench_file = tmp_path / "edge.yaml"
    bench_file.write_text(yaml.safe_dump(bench), encoding="utf-8")
    plan, path = write_plan(tmp_path, (EXAMPLES / "sc1_home.yaml").read_text(encoding="utf-8"))
    outcome = run_plan(plan, plan_file=path, bench_file=bench_file)
    assert outcome.verdict == "inconclusive"
    assert not outcome.passed
    [j04] = [m for m in outcome.measurements if m.name == J04]
    assert j04.verdict is Verdict.INCONCLUSIVE
    assert j04.uncertainty is not None
    assert j04.uncertainty.tur(-0.2, 0.2) == pytest.approx(3.46, abs=0.01)
    assert outcome.failure is not None and "straddles 0.2 %: cannot tell" in outcome.failure.message
