"""The bench pool on pytest-xdist: each worker its own bench, one summary, one report.

Two simulated benches (copies of ``fixtures/benches/sim.yaml`` under other names) run
real plans with ``pytest -n 2`` in a subprocess, as a lab or CI would type it. The
leases of real benches are checked with lab-style bench files whose instruments
nobody answers for: the plugin's scripted runner (:mod:`plugin.support`) never opens
them, but each worker still takes a real lease (a kernel ``flock``) and records its
bench in its results file; this test process holds a bench's lease the way another
run would. The stop-signal test runs two ``rig sim`` processes reached through
lab-style bench files (:class:`~rig.bench.labsim.LabSim`, wall clock) and judges
safe state from their models.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from plugin.support import Project
from rig.bench.config import load_bench
from rig.bench.labsim import BIN, LabSim, lab_bench_text
from rig.bench.lease import bench_lease
from rig.runner.api import DEFAULT_BENCH

ROOT = Path(__file__).resolve().parents[2]
PLANS = {  # short on the virtual clock
    "sc1-one-minute": "sc1_one_minute.yaml",
    "sc5-not-enrolled": "sc5_not_enrolled.yaml",
    "br01-pev-silent": "br01_pev_silent.yaml",
}


@pytest.fixture(autouse=True)
def private_lease_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Leases of this test only; the workers inherit the variable."""
    leases = tmp_path / "leases"
    monkeypatch.setenv("RIG_LEASE_DIR", str(leases))
    return leases


def simulated_copy(directory: Path, name: str) -> Path:
    path = directory / f"{name}.yaml"
    path.write_text(DEFAULT_BENCH.read_text("utf-8").replace("bench: sim\n", f"bench: {name}\n"))
    return path


def lab_bench(directory: Path, name: str) -> Path:
    """A lab-style bench file of its own addresses (free 127.0.0.1 ports, nothing behind)."""
    ports = []
    for _ in range(3):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            ports.append(probe.getsockname()[1])
    endpoints = {
        "meter": {"modbus_tcp": f"127.0.0.1:{ports[0]}"},
        "load": {"dialect": "chroma63800", "visa": f"TCPIP0::127.0.0.1::{ports[1]}::SOCKET"},
        "pilot": {"channel": f"socket://127.0.0.1:{ports[2]}"},
    }
    path = directory / f"{name}.yaml"
    path.write_text(lab_bench_text(endpoints, name=name), "utf-8")
    return path


def run_records(report: Path) -> list[dict[str, Any]]:
    """The ``run`` record of each results file in ``report``."""
    return [
        json.loads(path.read_text("utf-8").splitlines()[0])
        for path in sorted(report.glob("results-*.jsonl"))
    ]


def test_two_simulated_benches_run_the_plans_with_one_summary_and_one_merged_report(
    tmp_path: Path,
) -> None:
    benches = [simulated_copy(tmp_path, name) for name in ("sim-a", "sim-b")]
    report = tmp_path / "reports"
    command = [str(BIN / "pytest"), *(f"test_plans/{file}" for file in PLANS.values())]
    command += ["-n", "2", "--bench", str(benches[0]), "--bench", str(benches[1])]
    command += ["--report", str(report), "-p", "no:cacheprovider"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    output = done.stdout
    assert done.returncode == 0, output + done.stderr

    # one summary table: every plan once, passed
    for plan_id in PLANS:
        assert len(re.findall(rf"^{plan_id}\s+sc\d\s+pass\s", output, re.MULTILINE)) == 1, output
    assert len(re.findall("compliance summary", output)) == 1
    assert "3 plans: 3 pass" in output

    # each worker leased its own bench, one results file each, of one run
    runs = sorted(run_records(report), key=lambda run: run["worker"])
    assert [(run["worker"], run["bench"]["name"]) for run in runs] == [
        ("gw0", "sim-a"),  # gwN takes the N-th --bench
        ("gw1", "sim-b"),
    ]
    assert len({run["run_id"] for run in runs}) == 1
    for run in runs:
        worker, bench = run["worker"], run["bench"]["name"]
        line = rf"^results: .*-{worker}\.jsonl \({worker}, bench '{bench}'\)$"
        assert re.search(line, output, re.MULTILINE), output
    assert len(re.findall(r"^results: ", output, re.MULTILINE)) == 2

    # one merged HTML report, printed, of every worker's plans
    printed = re.findall(r"^report:\s+(\S+)$", output, re.MULTILINE)
    assert len(printed) == 1
    (html,) = report.glob("report-*.html")
    assert Path(printed[0]) == html
    assert runs[0]["run_id"][:8] in html.name
    page = html.read_text("utf-8")
    assert all(plan_id in page for plan_id in PLANS)


def test_more_workers_than_real_benches_is_refused(project: Project) -> None:
    benches = [lab_bench(project.pytester.path, name) for name in ("lab-a", "lab-b")]
    project.plan("sc1_home")
    result = project.pytester.runpytest("-n", "3", "--bench", benches[0], "--bench", benches[1])
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*-n 3 needs 3 benches, but the pool has 2 (--bench lab-a.yaml --bench lab-b.yaml): "
            "each pytest-xdist worker leases a bench of its own, and 'lab-a', 'lab-b' are real "
            "benches. Give more --bench files or fewer workers (-n 2); only simulated benches "
            "are cloned"
        ]
    )


def test_the_same_bench_twice_is_refused(project: Project) -> None:
    bench = lab_bench(project.pytester.path, "lab-a")
    result = project.pytester.runpytest("-n", "2", "--bench", bench, "--bench", bench)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*lab-a.yaml given twice: each bench of a pool is one bench"])


def test_simulated_benches_are_cloned_for_more_workers(project: Project) -> None:
    for number in range(2):
        project.plan(f"sc1_plan_{number}")
    result = project.pytester.runpytest("-n", "2", "--report", "reports")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    runs = run_records(project.pytester.path / "reports")
    assert {run["bench"]["name"] for run in runs} == {"sim"}
    assert sorted(run["worker"] for run in runs) == ["gw0", "gw1"]


def test_a_worker_passes_over_a_bench_in_use_and_leases_a_free_one(project: Project) -> None:
    benches = [lab_bench(project.pytester.path, name) for name in ("lab-a", "lab-b", "lab-c")]
    for number in range(4):
        project.plan(f"sc1_plan_{number}")
    with bench_lease(load_bench(benches[0]), "another run"):  # gw0's first choice
        result = project.pytester.runpytest(
            "-n", "2", *(f"--bench={bench}" for bench in benches), "--report", "reports"
        )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    runs = run_records(project.pytester.path / "reports")
    assert sorted(run["bench"]["name"] for run in runs) == ["lab-b", "lab-c"]
    result.stdout.fnmatch_lines(["4 plans: 4 pass"])


def test_a_pool_all_in_use_is_refused_naming_each_holder(project: Project) -> None:
    benches = [lab_bench(project.pytester.path, name) for name in ("lab-a", "lab-b")]
    project.plan("sc1_home")
    with (
        bench_lease(load_bench(benches[0]), "run A"),
        bench_lease(load_bench(benches[1]), "run B"),
    ):
        result = project.pytester.runpytest(
            "-n", "2", "--bench", benches[0], "--bench", benches[1], "--report", "reports"
        )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    output = result.stdout.str() + result.stderr.str()
    assert "every bench of the pool (2) is in use" in output, output
    assert "bench 'lab-a' is in use" in output and "running 'run A'" in output
    assert "bench 'lab-b' is in use" in output and "running 'run B'" in output
    assert not list((project.pytester.path / "reports").glob("results-*.jsonl"))


def test_a_sigterm_to_the_controller_stops_every_worker_in_safe_state(tmp_path: Path) -> None:
    report = tmp_path / "reports"
    with LabSim(tmp_path, name="lab-a") as lab_a, LabSim(tmp_path, name="lab-b") as lab_b:
        command = [str(BIN / "pytest"), "test_plans/sc5_not_communicating.yaml"]
        command += ["test_plans/br01_pev_silent.yaml", "-n", "2", "--report", str(report)]
        command += ["--bench", str(lab_a.bench_file), "--bench", str(lab_b.bench_file)]
        controller = subprocess.Popen(
            [*command, "-p", "no:cacheprovider"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 120
        while min(lab_a.truth()["current_a"], lab_b.truth()["current_a"]) < 1.0:
            assert controller.poll() is None, controller.communicate()[0]
            assert time.monotonic() < deadline, "the plans never charged on both benches"
            time.sleep(0.1)
        controller.send_signal(signal.SIGTERM)  # the controller only, as a CI runner's cancel
        output, _ = controller.communicate(timeout=60)
        assert controller.returncode == 128 + signal.SIGTERM, output
        assert lab_a.is_safe() and lab_b.is_safe(), (lab_a.truth(), lab_b.truth())
    assert "forwarded to the workers: SIGTERM" in output
    for worker, bench in (("gw0", "lab-a"), ("gw1", "lab-b")):
        assert f"{worker}: SIGTERM received: run stopped" in output
        assert f"{worker}: safe state confirmed on bench '{bench}'" in output
    assert "2 plans: 2 interrupted" in output
    (html,) = report.glob("report-*.html")
    assert "interrupted by SIGTERM" in html.read_text("utf-8")
