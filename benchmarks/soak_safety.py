"""Safety soak: abort real runs at random moments and judge the bench by its physics.

Every trial starts ``rig sim`` (wall clock) once per soak, addresses its instruments
through a lab-style bench file with a :class:`~rig.bench.wirefault.WireFault` in front
of the EUMD, the load and the pilot (the load in the generic ``scpi`` dialect, which
has a communication watchdog: :func:`watchdog_bench`), and then, many times over:

1. starts a run through one **entry point** — ``pytest`` on a charging plan,
   ``rig demo`` on several plans (the ``rig`` command that drives a lab bench), or a
   controller script on the :mod:`rig.bench` API;
2. waits for a random moment (half the trials: while current flows; the others:
   anywhere from start-up on, set-up and teardown included);
3. **aborts** it one way — an exception in the controller, SIGINT, SIGTERM, SIGHUP,
   two signals 0–3 ms apart, SIGKILL, or a dropped or hung link on one instrument
   (restored after a moment, or never);
4. judges, from ``rig sim``'s model (``GET /truth``), never from the rig's read-back:

   ============================  ==========================================================
   ``safe``                      at exit the model shows load off and pilot A; the rig did
                                 not claim otherwise
   ``loud, live``                the rig printed SAFE STATE NOT CONFIRMED and the model is
                                 indeed live (honest; the watchdogs must then act)
   ``false not confirmed``       the rig printed NOT CONFIRMED, but the model is safe
   ``silently live``             the model is live at exit and the rig said nothing
   ``did not stop``              the run was still going 30 s after a signal
   ``ended before the abort``    the run had already ended (a broken entry point): the
                                 trial aborted nothing, and the soak fails
   ============================  ==========================================================

   After SIGKILL (and after any live exit) it measures how long the model took to
   show current < 0.5 A and pilot A: the instruments' own watchdogs must get there
   within ``watchdog_ms`` + 100 ms.

Run it (the figures in docs/benchmarks.md came from this command)::

    .venv/bin/python benchmarks/soak_safety.py --aborts 300 --json reports/soak.json

``--aborts N`` spreads N trials over every (entry, abort) pair that applies, in a
seeded random order; ``--aborts 0`` runs one trial of each abort kind mid-charge,
through a random entry point, which is what the test suite does
(``tests/benchmarks/test_soak_sample.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rig.bench.build import open_bench
from rig.bench.config import load_bench
from rig.bench.labsim import BIN, SIM_BENCH, LabSim

ROOT = Path(__file__).resolve().parents[1]
PLAN = ROOT / "test_plans" / "sc5_not_communicating.yaml"  # charges at once, for 45 min
DEMO_PLANS = "sc5_not_communicating or br01_pev_silent or sc5_not_enrolled"
NOT_CONFIRMED = "SAFE STATE NOT CONFIRMED"
WATCHDOG_MS = 1000
STOP_WITHIN_S = 30.0

#: The controller script of the ``api`` entry: a bench opened with the rig.bench API
#: and driven to charge; ``RAISE_AFTER`` makes it raise, as a controller bug would.
API_SCRIPT = """
import os, sys, time
from drivers.kinds import PilotState
from rig.bench.build import open_bench
from rig.bench.config import load_bench
from rig.bench.stop_signals import stop_signals

raise_after = float(os.environ.get("RAISE_AFTER", "0"))
with stop_signals(), open_bench(load_bench(sys.argv[1])) as bench:
    bench.pilot.set_duty(40.0)
    bench.pilot.set_state(PilotState.B)
    bench.pilot.set_state(PilotState.C)
    bench.load.set_current(20.0)
    bench.load.set_input(True)
    started = time.monotonic()
    while True:
        bench.eumd.snapshot()
        time.sleep(0.1)
        if raise_after and time.monotonic() - started > raise_after:
            raise RuntimeError("controller bug (soak)")
"""

SIGNALS = {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM, "SIGHUP": signal.SIGHUP}
ABORTS = [
    "exception",
    "SIGINT",
    "SIGTERM",
    "SIGHUP",
    "two signals",
    "SIGKILL",
    *(f"{how} {role}" for how in ("drop", "hang") for role in ("eumd", "load", "pilot")),
]
ENTRIES = ["pytest", "rig demo", "api"]


def applies(entry: str, abort: str) -> bool:
    """Only the controller script can be made to raise on cue."""
    return abort != "exception" or entry == "api"


@dataclass
class Trial:
    entry: str
    abort: str
    moment: str
    outcome: str = ""
    exit_code: int | None = None
    live_at_exit: bool = False
    said_not_confirmed: bool = False
    safe_after_ms: float | None = None
    """From the kill (SIGKILL) or the exit (a live exit) to the model showing safe."""
    notes: list[str] = field(default_factory=list)


def command(entry: str, lab: LabSim, report_dir: Path) -> list[str]:
    bench = str(lab.bench_file)
    if entry == "pytest":
        return [str(BIN / "pytest"), str(PLAN), "--bench", bench, "--report", str(report_dir),
                "-p", "no:cacheprovider", "-q"]  # fmt: skip
    if entry == "rig demo":
        return [str(BIN / "rig"), "demo", "--bench", bench, "--report", str(report_dir),
                "--", "-k", DEMO_PLANS, "-p", "no:cacheprovider", "-q"]  # fmt: skip
    return [sys.executable, "-c", API_SCRIPT, bench]


def wait_for_current(lab: LabSim, process: subprocess.Popen[bytes], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and process.poll() is None:
        if lab.truth()["current_a"] > 1.0:
            return True
        time.sleep(0.05)
    return False


def time_to_safe(lab: LabSim, since: float, limit_s: float = 5.0) -> float | None:
    """Milliseconds from ``since`` (monotonic) until the model shows safe, or ``None``."""
    while time.monotonic() - since < limit_s:
        if lab.is_safe():
            return (time.monotonic() - since) * 1000.0
        time.sleep(0.005)
    return None


def run_trial(lab: LabSim, trial: Trial, rng: random.Random, work: Path) -> Trial:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if trial.abort == "exception":
        env["RAISE_AFTER"] = f"{rng.uniform(0.2, 3.0):.2f}"
    output = work / "run.log"
    with output.open("wb") as log:
        process = subprocess.Popen(
            command(trial.entry, lab, work), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            env=env, start_new_session=True,
        )  # fmt: skip
        try:
            abort_at = _pick_moment(lab, process, trial, rng)
            if process.poll() is not None and trial.abort != "exception":
                # nothing left to abort (the exception trial ends itself: that is its abort)
                trial.outcome, trial.exit_code = "ended before the abort", process.returncode
            else:
                _abort(lab, process, trial, rng, abort_at)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            for fault in lab.faults.values():
                fault.restore()
    text = output.read_text("utf-8", errors="replace")
    trial.said_not_confirmed = NOT_CONFIRMED in text
    if trial.outcome == "":
        trial.outcome = _judge(trial)
    if trial.outcome not in ("safe",):
        trial.notes.append(text[-2000:])
    return trial


def _pick_moment(
    lab: LabSim, process: subprocess.Popen[bytes], trial: Trial, rng: random.Random
) -> float:
    if trial.moment == "charging" and not wait_for_current(lab, process, 60.0):
        trial.notes.append("never charged within 60 s; aborted when it stopped waiting")
    time.sleep(rng.uniform(0.0, 2.0) if trial.moment == "charging" else rng.uniform(0.0, 5.0))
    return time.monotonic()


def _abort(
    lab: LabSim,
    process: subprocess.Popen[bytes],
    trial: Trial,
    rng: random.Random,
    abort_at: float,
) -> None:
    abort = trial.abort
    if abort == "SIGKILL":
        process.kill()
        process.wait()
        trial.exit_code = process.returncode
        trial.safe_after_ms = time_to_safe(lab, abort_at)
        ok = trial.safe_after_ms is not None and trial.safe_after_ms <= WATCHDOG_MS + 100
        trial.outcome = "safe by watchdog" if ok else "live after kill"
        return
    if abort in SIGNALS or abort == "two signals":
        first = SIGNALS.get(abort, signal.SIGINT)
        _send(process, first)
        if abort == "two signals":
            time.sleep(rng.uniform(0.0, 0.003))
            _send(process, rng.choice([signal.SIGINT, signal.SIGTERM]))
    elif abort != "exception":
        how, role = abort.split()
        fault = lab.faults[role]
        fault.drop() if how == "drop" else fault.hang()
        if rng.random() < 0.5:
            time.sleep(rng.uniform(0.2, 1.5))
            fault.restore()
            trial.notes.append("link restored")
        time.sleep(3.0)  # let the run notice (or recover); then end it as a person would
        if process.poll() is None:
            _send(process, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_WITHIN_S)
    except subprocess.TimeoutExpired:
        trial.outcome = "did not stop"
        return
    exited = time.monotonic()
    trial.exit_code = process.returncode
    trial.live_at_exit = not lab.is_safe()
    if trial.live_at_exit:
        trial.safe_after_ms = time_to_safe(lab, exited)


def _send(process: subprocess.Popen[bytes], signum: int) -> None:
    if process.poll() is None:
        os.kill(process.pid, signum)


def _judge(trial: Trial) -> str:
    if trial.live_at_exit:
        return "loud, live" if trial.said_not_confirmed else "silently live"
    return "false not confirmed" if trial.said_not_confirmed else "safe"


def plan_trials(count: int, rng: random.Random, kinds: list[str] | None) -> list[Trial]:
    """``count`` trials over every applicable (entry, abort) pair; 0: one of each abort."""
    kinds = kinds or ABORTS
    if count == 0:
        entries = {a: rng.choice([e for e in ENTRIES if applies(e, a)]) for a in kinds}
        return [Trial(entries[a], a, "charging") for a in kinds]
    pairs = [(e, a) for a in kinds for e in ENTRIES if applies(e, a)]
    rng.shuffle(pairs)
    trials = []
    for index in range(count):
        entry, abort = pairs[index % len(pairs)]
        trials.append(Trial(entry, abort, rng.choice(["charging", "anywhere"])))
    return trials


def summarise(trials: list[Trial]) -> dict[str, Any]:
    outcomes = Counter(t.outcome for t in trials)
    kills = [t.safe_after_ms for t in trials if t.abort == "SIGKILL"]
    within = [ms for ms in kills if ms is not None and ms <= WATCHDOG_MS + 100]
    return {
        "aborts": len(trials),
        "outcomes": dict(outcomes),
        "silently_live": outcomes["silently live"],
        "false_not_confirmed": outcomes["false not confirmed"],
        "did_not_stop": outcomes["did not stop"],
        "ended_before_the_abort": outcomes["ended before the abort"],
        "sigkill_runs": len(kills),
        "sigkill_safe_within_watchdog": len(within),
        "sigkill_worst_ms": max((ms for ms in kills if ms is not None), default=None),
        "by_abort": {
            abort: dict(Counter(t.outcome for t in trials if t.abort == abort))
            for abort in sorted({t.abort for t in trials})
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--aborts", type=int, default=300, help="aborted runs (0: one of each kind, mid-charge)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kind", action="append", choices=ABORTS, help="only these aborts")
    parser.add_argument("--json", type=Path, help="write every trial and the summary here")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    trials = plan_trials(args.aborts, rng, args.kind)
    with tempfile.TemporaryDirectory(prefix="soak-") as scratch:
        work = Path(scratch)
        with LabSim(work, sim_yaml=watchdog_bench(work), wire_faults=True) as lab:
            for number, trial in enumerate(trials, 1):
                run_trial(lab, trial, rng, work)
                print(f"[{number:>3}/{len(trials)}] {trial.entry:<15} {trial.abort:<12} "
                      f"{trial.moment:<9} -> {trial.outcome}"
                      + (f" ({trial.safe_after_ms:.0f} ms)" if trial.safe_after_ms else ""),
                      flush=True)  # fmt: skip
                if _settle(lab):
                    trial.notes.append("bench left live: reset by hand before the next trial")
    summary = summarise(trials)
    print(json.dumps(summary, indent=2))
    if args.json:
        document = {"summary": summary, "trials": [asdict(t) for t in trials]}
        args.json.write_text(json.dumps(document, indent=2), "utf-8")
    bad = summary["silently_live"] + summary["false_not_confirmed"] + summary["did_not_stop"]
    bad += summary["ended_before_the_abort"]
    late = summary["sigkill_runs"] - summary["sigkill_safe_within_watchdog"]
    return 1 if bad or late else 0


def watchdog_bench(work: Path) -> Path:
    """The simulated bench with a load whose dialect has a communication watchdog.

    The rig's generic ``scpi`` dialect arms one (``SYST:COMM:WATC``); the Chroma
    63800 and ITECH IT8600 have none (docs/loads.md), so on them a load link that
    stays dead is, honestly, SAFE STATE NOT CONFIRMED and the E-stop loop covers it.
    The soak measures a bench where every driven instrument has a watchdog.
    """
    bench = work / "soak-sim.yaml"
    text = SIM_BENCH.read_text("utf-8").replace("dialect: chroma63800", "dialect: scpi", 1)
    bench.write_text(text, "utf-8")
    return bench


def _settle(lab: LabSim) -> bool:
    """Between trials: the next one starts from a safe bench, whatever this one left.

    Waits (bounded) for the model to show safe, as the watchdogs should leave it; if it
    does not, a lab technician's reset (the bench opened and closed through the rig's
    API, which puts it in safe state) so one bad trial does not taint the next.
    Returns whether that reset was needed.
    """
    deadline = time.monotonic() + (WATCHDOG_MS + 2000) / 1000.0
    while time.monotonic() < deadline:
        if lab.is_safe():
            return False
        time.sleep(0.05)
    with open_bench(load_bench(lab.bench_file)):
        pass
    return True


if __name__ == "__main__":
    sys.exit(main())
