"""Stop signals mid-charge, on real processes and the wall clock, judged by the model.

``rig sim`` runs as its own process and the plans reach it through a lab-style bench
file (:class:`~rig.bench.labsim.LabSim`), exactly as on a lab bench. Each test starts
``pytest test_plans/sc5_not_communicating.yaml --bench lab.yaml`` (or ``rig demo`` on
several plans) as a subprocess, waits until the model shows current flowing, sends
the signal(s), and then checks what a lab needs:

- the exit status (``128 + signal``, docs/bench.md);
- the printed "safe state confirmed" and the signal;
- the results file: the step ``interrupted``, ``plan_end.interrupted`` with the
  signal and the read-back, ``run_end.interrupted``; no plan after it;
- the HTML report written, saying "interrupted";
- and, from ``rig sim``'s model (not the rig's read-back), load off and pilot A.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rig.bench.labsim import BIN, LabSim

ROOT = Path(__file__).resolve().parents[2]
PLAN = ROOT / "test_plans" / "sc5_not_communicating.yaml"  # charges at once, for 45 min
DEMO_PLANS = "sc5_not_communicating or br01_pev_silent or sc5_not_enrolled"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabSim]:
    with LabSim(tmp_path_factory.mktemp("lab")) as lab:
        yield lab


def start(command: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def pytest_run(lab: LabSim, report: Path) -> subprocess.Popen[str]:
    return start(
        [str(BIN / "pytest"), str(PLAN), "--bench", str(lab.bench_file), "--report",
         str(report), "-p", "no:cacheprovider", "-p", "no:randomly"]
    )  # fmt: skip


def mid_charge(lab: LabSim, process: subprocess.Popen[str], timeout_s: float = 15.0) -> None:
    """Return once the model shows current flowing (plus a moment, well inside the charge)."""
    deadline = time.monotonic() + timeout_s
    while lab.truth()["current_a"] < 1.0:
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline, "the plan never started charging"
        time.sleep(0.05)
    time.sleep(0.3)
    assert lab.truth()["current_a"] > 1.0  # still charging: the signal lands mid-charge


def records(report: Path) -> list[dict[str, Any]]:
    (results,) = report.glob("results-*.jsonl")
    return [json.loads(line) for line in results.read_text("utf-8").splitlines()]


def assert_stopped(
    lab: LabSim, process: subprocess.Popen[str], report: Path, signum: int
) -> tuple[str, list[dict[str, Any]]]:
    output, _ = process.communicate(timeout=20)
    assert process.returncode == 128 + signum, output
    assert lab.is_safe(), lab.truth()  # the physics, not the rig's word
    name = signal.Signals(signum).name
    assert f"stopped by {name}" in output
    assert "safe state confirmed on bench 'lab': load input read back off, pilot read back " \
        "in state A" in output  # fmt: skip
    found = records(report)
    ends = [r for r in found if r["type"] == "plan_end"]
    stopped = ends[-1]["interrupted"]
    assert stopped["signal"] == name
    assert stopped["safe_state"] == {
        "bench": "lab",
        "load_input_on": False,
        "pilot_state": "A",
        "by_watchdog": [],  # both read back, not left to a watchdog
    }
    steps = [r for r in found if r["type"] == "step" and r["plan"] == ends[-1]["plan"]]
    assert stopped["step"] == next(s["index"] for s in steps if s["outcome"] == "interrupted")
    assert steps[stopped["step"]]["kind"] == "charge"
    assert all(s["outcome"] == "skipped" for s in steps[stopped["step"] + 1 :])
    assert found[-1] == {**found[-1], "type": "run_end", "interrupted": name}
    (html,) = report.glob("report-*.html")
    assert "interrupted by " + name in html.read_text("utf-8")
    return output, found


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_stop_signal_mid_charge_leaves_the_bench_safe_and_says_so(
    lab: LabSim, tmp_path: Path, signum: int
) -> None:
    process = pytest_run(lab, tmp_path)
    mid_charge(lab, process)
    process.send_signal(signum)
    output, _ = assert_stopped(lab, process, tmp_path, signum)
    assert "held while stopping" not in output


def test_two_signals_a_millisecond_apart_the_second_is_held_and_reported(
    lab: LabSim, tmp_path: Path
) -> None:
    process = pytest_run(lab, tmp_path)
    mid_charge(lab, process)
    process.send_signal(signal.SIGINT)
    time.sleep(0.001)
    process.send_signal(signal.SIGTERM)
    output, found = assert_stopped(lab, process, tmp_path, signal.SIGINT)
    assert "held while stopping (not acted on): SIGTERM" in output
    assert [r for r in found if r["type"] == "plan_end"][-1]["interrupted"]["held"] == ["SIGTERM"]


def test_rig_demo_stops_the_whole_run_no_next_plan(lab: LabSim, tmp_path: Path) -> None:
    process = start(
        [str(BIN / "rig"), "demo", "--bench", str(lab.bench_file), "--report", str(tmp_path),
         "--", "-k", DEMO_PLANS, "-p", "no:cacheprovider", "-p", "no:randomly"]
    )  # fmt: skip
    mid_charge(lab, process, timeout_s=30.0)
    process.send_signal(signal.SIGTERM)
    _, found = assert_stopped(lab, process, tmp_path, signal.SIGTERM)
    starts = [r["plan"] for r in found if r["type"] == "plan_start"]
    assert starts[-1] == [r for r in found if r["type"] == "plan_end"][-1]["plan"]
    assert len(starts) < 3, "a plan started after the stop"
    time.sleep(0.5)
    assert lab.is_safe()  # nothing re-energised the bench after the exit
