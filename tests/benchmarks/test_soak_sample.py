"""CI's sample of the safety soak: one abort of each kind, mid-charge, judged by the model.

Runs ``benchmarks/soak_safety.py --aborts 0`` as a subprocess: exception, SIGINT,
SIGTERM, SIGHUP, two signals within 3 ms, SIGKILL, and a dropped and a hung link on
the EUMD, the load and the pilot, each through a random entry point (pytest,
``rig demo``, a script on the bench API) against
``rig sim``'s instruments through a lab-style bench file. These are safety claims,
not timings, so they are asserted: nothing silently live, no false "not
confirmed", every run stopped, and after SIGKILL the watchdogs made the bench safe
within ``watchdog_ms`` + 100 ms. The 300-abort figures are in docs/benchmarks.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "soak_safety.py"


def test_one_abort_of_each_kind_leaves_the_bench_safe(tmp_path: Path) -> None:
    report = tmp_path / "soak.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--aborts", "0", "--json", str(report)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert report.exists(), done.stdout + done.stderr
    document = json.loads(report.read_text("utf-8"))
    summary = document["summary"]
    unsafe = [t for t in document["trials"] if t["outcome"] not in ("safe", "safe by watchdog")]
    assert not unsafe, json.dumps(unsafe, indent=2)[:4000]
    assert summary["aborts"] == 12 and len(summary["by_abort"]) == 12
    assert summary["sigkill_runs"] == summary["sigkill_safe_within_watchdog"] == 1
    assert done.returncode == 0, done.stdout[-2000:]
