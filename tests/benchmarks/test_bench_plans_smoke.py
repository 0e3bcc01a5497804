"""Smoke test for the test-plan benchmark script (no timing assertions).

Runs ``benchmarks/bench_plans.py --quick`` as a subprocess and checks that it exits
0, prints a row for every measurement and writes them all to ``--json``. The
OpenHTF baseline row is there only when ``openhtf`` is importable by the
interpreter the script finds (``/tmp/openhtf-venv`` by default); otherwise the
script must say that it skipped it. Whether a goal is met is the benchmark's
report (docs/benchmarks.md), never a test result.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "bench_plans.py"

#: Every measurement row the script always prints: (JSON key, table label prefix).
ROWS = {
    "suite_wall": "compliance suite wall time",
    "sim_speed": "simulated time per wall second",
    "step_overhead": "framework overhead per no-op step ",
    "step_overhead_cpu": "framework overhead per no-op step, CPU",
    "wait_for_holding": "wait_for already holding",
}
OPENHTF = ("openhtf_phase", "OpenHTF overhead per no-op phase")


@pytest.mark.parametrize(
    "openhtf",
    [[], ["--openhtf-python", sys.executable]],
    ids=["openhtf-if-found", "project-python"],
)
def test_quick_run_reports_every_measurement(tmp_path: Path, openhtf: list[str]) -> None:
    """Every row, whether the OpenHTF baseline is measured or skipped with a note."""
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--json", str(out), *openhtf],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    table = done.stdout.split("\n\n")[1].splitlines()
    assert table[0].split()[:2] == ["measurement", "value"]
    labels = list(ROWS.values())
    measured_htf = any(line.startswith(OPENHTF[1]) for line in table)
    if measured_htf:
        labels.append(OPENHTF[1])
    else:
        assert "OpenHTF row skipped:" in done.stdout, done.stdout
    for label in labels:
        line = next((line for line in table if line.startswith(label)), None)
        assert line is not None, f"no row {label!r} in:\n{done.stdout}"
        assert line.rstrip().endswith((" yes", " NO", " -")), line

    figures = json.loads(out.read_text())
    assert figures["quick"] is True
    assert {"nproc", "python"} <= set(figures["machine"])
    rows = {row["key"]: row for row in figures["rows"]}
    assert set(rows) == set(ROWS) | ({OPENHTF[0]} if measured_htf else set())
    for row in rows.values():
        assert row["value"] >= 0 and row["baseline"] > 0
        assert row["met"] is None or isinstance(row["met"], bool)
    assert figures["plans"], "the quick suite ran no plan"
