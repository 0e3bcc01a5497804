"""The plan suite over IEEE 2030.5: every plan of ``test_plans/`` passes with the ESI
speaking 2030.5 to its utility (issue 12, item 7).

The test run collects ``test_plans/`` over the JSON API (the data set's protocol);
this test runs the same suite once more in a child pytest with
``--utility-protocol ieee2030.5``, so CI holds both protocols to the same plans,
checks and oracle. The child writes its results into a throw-away directory.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_plan_passes_over_ieee_2030_5(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "test_plans",
            "-q",
            "-p",
            "no:cacheprovider",
            "--utility-protocol",
            "ieee2030.5",
            "--report",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and "failed" not in run.stdout
