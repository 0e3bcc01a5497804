"""A bench pool: several ``--bench`` files shared out to pytest-xdist workers.

``pytest test_plans -n 2 --bench lab-a.yaml --bench lab-b.yaml`` runs the plans on two
benches at once. pytest-xdist's default ``load`` scheduling spreads the plans across
the workers; each worker runs all of its plans on one bench of the pool, which it
leases (:mod:`rig.bench.lease`) before its first plan and keeps to its end:

- worker ``gwN`` tries the pool's benches in turn, starting at the N-th (``gw0`` the
  first ``--bench``, ``gw1`` the second, …, wrapping round), and keeps the first whose
  lease it gets, so a bench another run holds is passed over. When every bench is
  taken the worker is refused with each holder named, and the run stops (exit 4);
- a simulated bench needs no lease — each process starts its own simulators on
  127.0.0.1 — so simulated benches are cloned freely: ``pytest -n 4`` on the default
  simulated bench runs four, and ``gwN`` of a simulated pool takes bench ``N mod size``;
- more workers than benches is a usage error as soon as the pool has a real bench;
  so is the same file given twice.

The controller (the process ``pytest`` started) runs no plan itself
(:class:`Controller`). Each worker writes its own results file
(``results-…-gwN.jsonl``, :mod:`rig.pytest_plugin.session`) and hands its summary rows,
its bench and its stop back in xdist's ``workeroutput`` (:func:`worker_output`); the
controller then prints ONE summary table of every worker's plans, each worker's
results file and bench, and writes ONE HTML report merged from all the files
(:func:`rig.report.write_run_report`). It passes its run ID to the workers as xdist's
``--testrunuid``, so every file of the run carries the same one.

Stop signals: every worker installs :func:`rig.bench.safe.stop_signals` as a plain
pytest run does. The controller forwards each SIGINT, SIGTERM or SIGHUP it receives
to every local worker and waits for them, so ``kill -TERM <controller>`` (a CI runner's
cancel) puts every bench in safe state; the run then ends with the workers' stop
reports and their ``128 + signal`` exit status (3 if a bench's safe state could not be
confirmed). Ctrl-C in a terminal signals the workers directly as well; each then
reports the controller's copy as held. A stop the controller decides on its own
(``-x``, a worker refused its bench) reaches a worker in mid-plan as SIGINT from
execnet, after 5 s, and the worker goes to safe state.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from rig.bench.config import BenchConfig
from rig.bench.lease import BenchInUse, BenchLease, bench_lease
from rig.bench.stop_signals import EXIT_UNSAFE, STOP_SIGNALS, Interrupted, Stop, signal_name


@dataclass(frozen=True)
class PoolBench:
    """One bench of the pool: its file, and the configuration read from it."""

    file: Path
    config: BenchConfig


class PoolInUse(RuntimeError):
    """Every bench of the pool is leased by another run."""

    def __init__(self, refusals: Sequence[BenchInUse]) -> None:
        super().__init__(
            f"every bench of the pool ({len(refusals)}) is in use:\n"
            + "\n".join(f"- {refusal}" for refusal in refusals)
        )


def workers(config: pytest.Config) -> int:
    """How many pytest-xdist workers this run starts: 0 without xdist (or with ``-n 0``)."""
    if hasattr(config, "workerinput") or getattr(config.option, "dist", "no") == "no":
        return 0
    return len(getattr(config.option, "tx", None) or [])


def worker_number(worker: str) -> int:
    """The number of a pytest-xdist worker ID (``gw3`` → 3); 0 for the controller (``""``)."""
    return int(worker.removeprefix("gw")) if worker else 0


def pool_problem(pool: Sequence[PoolBench], worker_count: int) -> str | None:
    """Why ``pool`` cannot serve ``worker_count`` workers, or ``None`` when it can."""
    files = [bench.file for bench in pool]
    twice = sorted({str(file) for file in files if files.count(file) > 1})
    if twice:
        return f"--bench {', '.join(twice)} given twice: each bench of a pool is one bench"
    real = [bench for bench in pool if not bench.config.simulated]
    if real and worker_count > len(pool):
        given = " ".join(f"--bench {bench.file.name}" for bench in pool)
        return (
            f"-n {worker_count} needs {worker_count} benches, but the pool has {len(pool)} "
            f"({given}): each pytest-xdist worker leases a bench of its own, and "
            f"{', '.join(repr(bench.config.bench) for bench in real)} "
            f"{'is a real bench' if len(real) == 1 else 'are real benches'}. Give more --bench "
            f"files or fewer workers (-n {len(pool)}); only simulated benches are cloned"
        )
    return None


def lease_one(
    pool: Sequence[PoolBench], first: int, holder: str
) -> tuple[PoolBench, BenchLease | None]:
    """The first bench of ``pool``, from index ``first`` on, that this process can have.

    A simulated bench is taken as it is (no lease); a real one only with its lease,
    returned taken. Raises the :class:`BenchInUse` of a one-bench pool, and
    :class:`PoolInUse` naming every holder when a larger pool is all taken.
    """
    refusals: list[BenchInUse] = []
    for offset in range(len(pool)):
        bench = pool[(first + offset) % len(pool)]
        if bench.config.simulated:
            return bench, None
        try:
            return bench, bench_lease(bench.config, holder).acquire()
        except BenchInUse as refused:
            refusals.append(refused)
    if len(refusals) == 1:
        raise refusals[0]
    raise PoolInUse(refusals)


def worker_output(
    rows: Sequence[Any], results: Path | None, bench: str, stop: Stop | None, refused: str
) -> dict[str, Any]:
    """What a worker hands the controller at its end (plain data, for execnet).

    ``bench`` is the name of the bench it ran on (``""`` when it was refused one).
    """
    return {
        "rows": [asdict(row) for row in rows],
        "results": str(results) if results is not None else None,
        "bench": bench,
        "refused": refused,
        "stop": None
        if stop is None
        else {"signal": stop.signal, "exit_code": stop.exit_code, "describe": stop.describe()},
    }


@dataclass(frozen=True)
class WorkerEnd:
    """One worker's end, as the controller shows it."""

    worker: str
    bench: str
    results: Path | None
    stop_signal: str
    stop_exit_code: int
    stop_describe: tuple[str, ...]


@dataclass
class Controller:
    """The controller side of an xdist run: gathers what the workers hand back.

    Registered as a plugin on the controller only (pytest-xdist's hooks exist then).
    """

    rows: list[dict[str, Any]] = field(default_factory=list)
    ends: list[WorkerEnd] = field(default_factory=list)
    pids: dict[str, int] = field(default_factory=dict)
    """Local workers' process IDs, by worker ID: where stop signals are forwarded."""
    forwarded: list[str] = field(default_factory=list)
    """The stop signals the controller received and forwarded, in order."""
    _previous: dict[int, Any] = field(default_factory=dict)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_newgateway(self, gateway: Any) -> None:
        spec = gateway.spec
        if spec.popen and not spec.via:  # a process of this host: its pid is ours to signal
            self.pids[gateway.id] = gateway._rinfo().pid  # xdist's own terminal reporter's call

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        output: dict[str, Any] = getattr(node, "workeroutput", {}).get("rig") or {}
        worker: str = node.gateway.id
        self.pids.pop(worker, None)
        if not output:
            return
        self.rows.extend(output["rows"])
        stop = output["stop"] or {"signal": "", "exit_code": 0, "describe": []}
        self.ends.append(
            WorkerEnd(
                worker=worker,
                bench=output["bench"],
                results=Path(output["results"]) if output["results"] else None,
                stop_signal=stop["signal"],
                stop_exit_code=stop["exit_code"],
                stop_describe=tuple(stop["describe"]),
            )
        )
        if output["refused"]:
            pytest.exit(f"{worker}: {output['refused']}", returncode=pytest.ExitCode.USAGE_ERROR)

    def forward_signals(self) -> None:
        """Forward stop signals to the workers until :meth:`restore_signals` (main thread)."""
        if threading.current_thread() is threading.main_thread():
            self._previous = {
                signum: signal.signal(signum, self._forward) for signum in STOP_SIGNALS
            }

    def restore_signals(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    def _forward(self, signum: int, frame: FrameType | None) -> None:
        if not self.pids:  # no worker running: stop here, as pytest would
            raise Interrupted(signum)
        self.forwarded.append(signal_name(signum))
        for pid in self.pids.values():
            try:
                os.kill(pid, signum)
            except ProcessLookupError:  # ended since its last report
                continue

    def exit_code(self) -> int | None:
        """The run's exit status after a stop: 3 if any bench was left unconfirmed, else
        the first worker's ``128 + signal``, else the controller's; ``None`` if none."""
        codes = [end.stop_exit_code for end in self.ends if end.stop_signal]
        if EXIT_UNSAFE in codes:
            return EXIT_UNSAFE
        if codes:
            return codes[0]
        if self.forwarded:
            return 128 + signal.Signals[self.forwarded[0]].value
        return None
