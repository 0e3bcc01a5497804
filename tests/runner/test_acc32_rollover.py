"""A SunSpec EUMD whose acc32 counter wraps during the session bills the session exactly.

The simulated EUMD serves SunSpec with ``TotWh_SF = -1`` (0.1 Wh steps), so its
counter wraps at 2^32 × 0.1 Wh = 429,496,729.6 Wh; it starts 500 Wh below that.
The bench's register type and wrap are only known once the driver has walked the
SunSpec map, which happens at the first read — after the world is built.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from rig.runner.api import DEFAULT_BENCH, run_plan
from tests.runner.support import EXAMPLES, write_plan

WRAP_WH = 2**32 * 0.1


def _sunspec_bench(directory: Path, start_total_wh: float) -> Path:
    bench = yaml.safe_load(DEFAULT_BENCH.read_text(encoding="utf-8"))
    bench["eumd"]["map"] = "sunspec"
    bench["simulation"]["eumd"].update(energy_scale=-1, start_total_wh=start_total_wh)
    path = directory / "sunspec_eumd.yaml"
    path.write_text(yaml.safe_dump(bench), encoding="utf-8")
    return path


def test_a_session_across_the_acc32_wrap_bills_what_the_meter_counted(tmp_path: Path) -> None:
    text = (EXAMPLES / "sc1_home.yaml").read_text(encoding="utf-8")
    plan, path = write_plan(tmp_path, text)
    bench = _sunspec_bench(tmp_path, WRAP_WH - 500.0)
    outcome = run_plan(plan, plan_file=path, bench_file=bench)
    assert outcome.verdict == "pass", outcome.failure
    billed = [m for m in outcome.measurements if m.name == "J-04 billed energy vs EUMD"]
    assert billed and billed[0].passed
    limits = billed[0].limits
    assert limits is not None and limits.low is not None and limits.high is not None
    metered_kwh = (float(limits.low) + float(limits.high)) / 2
    # the billed energy is the EUMD's to the reported Wh: nothing discarded at the wrap
    assert abs(float(str(billed[0].value)) - metered_kwh) < 0.01
    assert metered_kwh > 5.9  # the whole 6 kWh session, not a part of it
