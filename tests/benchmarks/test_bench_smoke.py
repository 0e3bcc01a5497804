"""Smoke test for the bench-layer benchmark script (no timing assertions).

Runs ``benchmarks/bench_drivers.py --quick`` as a subprocess, the way ``make bench``
runs the full script, and checks that it exits 0, prints a row for every
measurement and writes them all to ``--json``. Whether a goal is met is the
benchmark's report (docs/benchmarks.md), never a test result.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "bench_drivers.py"

#: Every measurement row the script prints: (JSON key, table label).
ROWS = {
    "meter_sdm630_tcp": "SDM630 snapshot, Modbus TCP",
    "meter_sunspec_tcp": "SunSpec snapshot, Modbus TCP",
    "meter_rtu_9600": "SDM630 snapshot, RTU 9600 baud, line timing",
    "scpi_chroma63800": "Chroma 63800 measure(), SCPI socket",
    "scpi_it8600": "ITECH IT8600 measure(), SCPI socket",
    "charge_sim_speed": "1 h charge, EUMD polled every sim s",
}


def test_quick_run_reports_every_measurement(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    table = done.stdout.split("\n\n")[1].splitlines()
    assert table[0].split()[:2] == ["measurement", "value"]
    for label in ROWS.values():
        line = next((line for line in table if line.startswith(label)), None)
        assert line is not None, f"no row {label!r} in:\n{done.stdout}"
        assert line.rstrip().endswith((" yes", " NO")), line

    figures = json.loads(out.read_text())
    assert figures["quick"] is True
    assert {"nproc", "python"} <= set(figures["machine"])
    rows = {row["key"]: row for row in figures["rows"]}
    assert set(rows) == set(ROWS)
    for row in rows.values():
        assert row["value"] > 0 and row["baseline"] > 0 and row["ratio"] > 0
        assert isinstance(row["met"], bool)
