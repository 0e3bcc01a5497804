"""One bench, one run: the lease refuses a second holder at once and recovers a dead one's.

The holders are real processes (the lease is a kernel ``flock``, so a thread of this
process would share it); the end-to-end test runs two pytest processes against
``rig sim``'s instruments through a lab-style bench file, and judges "the first run
is still charging" from the simulator's model.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from rig.bench.config import load_bench
from rig.bench.labsim import BIN, LabSim
from rig.bench.lease import BenchInUse, BenchLease, bench_addresses, bench_lease

ROOT = Path(__file__).resolve().parents[2]
CHARGING_PLAN = ROOT / "test_plans" / "sc5_not_communicating.yaml"  # charges at once


@pytest.fixture(autouse=True)
def private_lease_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    leases = tmp_path / "leases"
    monkeypatch.setenv("RIG_LEASE_DIR", str(leases))
    return leases


def hold_in_child(addresses: list[str], plan: str) -> subprocess.Popen[str]:
    """A process that takes the lease, says so on stdout, and holds it until killed."""
    script = textwrap.dedent(
        f"""
        import sys, time
        from rig.bench.lease import BenchLease
        lease = BenchLease("lab-x", {addresses!r}, {plan!r}).acquire()
        print("held", flush=True)
        time.sleep(600)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "held"
    return child


def test_a_second_holder_is_refused_and_told_who_holds_it() -> None:
    child = hold_in_child(["load TCPIP0::10.0.0.21::5025::SOCKET"], "plan SC1-HOME")
    try:
        lease = BenchLease(
            "lab-y", ["pilot can pcan 1", "load TCPIP0::10.0.0.21::5025::SOCKET"], "me"
        )
        with pytest.raises(BenchInUse) as refused:
            lease.acquire()
        assert refused.value.holder is not None
        assert refused.value.holder.pid == child.pid
        assert f"pid {child.pid}" in str(refused.value)
        assert "plan SC1-HOME" in str(refused.value)
        # all or nothing: the free address was not kept either
        BenchLease("other", ["pilot can pcan 1"], "third").acquire().release()
    finally:
        child.kill()
        child.wait()


def test_a_dead_holders_lease_is_recovered(caplog: pytest.LogCaptureFixture) -> None:
    addresses = ["meter modbus_tcp 10.0.0.5:502 unit 1"]
    child = hold_in_child(addresses, "plan killed")
    child.send_signal(signal.SIGKILL)
    child.wait()
    with (
        caplog.at_level(logging.WARNING, logger="rig.bench.lease"),
        BenchLease("lab-x", addresses, "next run"),
    ):
        pass
    assert f"pid {child.pid}" in caplog.text and "recovered a stale lease" in caplog.text


def test_the_lease_is_reentrant_within_one_process_and_freed_after_the_last_release() -> None:
    addresses = ["load GPIB0::5::INSTR"]
    outer = BenchLease("lab", addresses, "run").acquire()
    inner = BenchLease("lab", addresses, "plan").acquire()  # next plan opens while one closes
    inner.release()
    outer.release()
    child = hold_in_child(addresses, "after")  # free again for another process
    child.kill()
    child.wait()


def test_two_bench_files_naming_one_load_exclude_each_other(tmp_path: Path) -> None:
    example = ROOT / "fixtures" / "benches" / "lab-example.yaml"
    config = load_bench(example)
    renamed = tmp_path / "renamed.yaml"
    text = example.read_text("utf-8").replace(f"bench: {config.bench}", "bench: renamed-bench")
    renamed.write_text(text, "utf-8")
    assert load_bench(renamed).bench == "renamed-bench"
    assert f"load {config.load.describe()}" in bench_addresses(config)
    with bench_lease(config, "first"):
        child = subprocess.run(
            [sys.executable, "-c", _TRY_LEASE, str(renamed)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert child.returncode == 3, child.stderr
    assert "bench 'renamed-bench' is in use" in child.stdout and "'first'" in child.stdout


_TRY_LEASE = """
import sys
from rig.bench.config import load_bench
from rig.bench.lease import BenchInUse, bench_lease
try:
    bench_lease(load_bench(sys.argv[1]), "second").acquire()
except BenchInUse as error:
    print(error)
    sys.exit(3)
"""


def test_a_second_pytest_run_is_refused_at_once_and_the_first_keeps_charging(
    tmp_path: Path,
) -> None:
    with LabSim(tmp_path) as lab:
        bench = str(lab.bench_file)
        first = subprocess.Popen(
            [str(BIN / "pytest"), str(CHARGING_PLAN), "--bench", bench,
             "--report", str(tmp_path / "a"), "-p", "no:cacheprovider", "-q"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while lab.truth()["current_a"] < 1.0:
                assert first.poll() is None and time.monotonic() < deadline, "never charged"
                time.sleep(0.1)
            started = time.monotonic()
            second = subprocess.run(
                [str(BIN / "pytest"), str(CHARGING_PLAN), "--bench", bench,
                 "--report", str(tmp_path / "b"), "-p", "no:cacheprovider", "-q"],
                capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            refused_in_s = time.monotonic() - started
            truth = lab.truth()
        finally:
            first.send_signal(signal.SIGINT)
            first.wait(timeout=60)
    output = second.stdout + second.stderr
    assert second.returncode == pytest.ExitCode.USAGE_ERROR, output
    assert f"pid {first.pid}" in output and "is in use" in output
    assert refused_in_s < 30
    assert truth["load_input_on"] and truth["current_a"] > 1.0 and truth["pilot_state"] == "C"
