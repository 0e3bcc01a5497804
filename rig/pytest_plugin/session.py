"""One pytest run of plans: the bench, the services, and the results file they share.

:class:`RunSession` is made once per pytest run (``pytest_configure``) from the
options and kept in ``config.stash[RUN]``. The bench files are read there, so a bad
``--bench`` is a usage error listing every ``file:line:col`` before any plan runs.
Several ``--bench`` files make a bench pool for pytest-xdist workers
(:mod:`rig.pytest_plugin.pool`).

The results file (:mod:`rig.results`) is opened when the first plan runs — a run of
the framework's unit tests writes none — as
``<report dir>/results-<UTC start>-<run id>.jsonl`` (plus ``-<worker>`` under
pytest-xdist, whose workers share the run id). It starts with the ``run`` record:
the bench's identity (:mod:`rig.pytest_plugin.identity`), ``git describe``, the
simulation seed, the operator (``--operator``, else ``$USER``), the approver
(``--approver``) and the host.
The runner appends each plan's records; ``pytest_sessionfinish`` writes ``run_end``.

Before the first plan of a run on a real (not simulated) bench, the run takes the
bench's lease (:mod:`rig.bench.lease`) and keeps it to the end, so no other run can
slip in between two plans. A bench another run holds stops this one at once (exit
4, a usage error) with the holder's pid, host, plan and start time, before anything
is sent to the bench. With a pool, the process takes the first bench it can lease,
starting at its worker's (:func:`rig.pytest_plugin.pool.lease_one`). The plan items
(:mod:`rig.pytest_plugin.items`) call :meth:`RunSession.take_lease` when the run
starts, and only when it has a plan to run.

Stop signals: the first plan of a run installs :func:`rig.bench.safe.stop_signals`
(:meth:`RunSession.stop_signals`) in every pytest process that runs plans — plain
``pytest``, ``rig demo``, each pytest-xdist worker — and ``pytest_unconfigure``
restores the previous handlers; a run of the framework's own tests keeps pytest's.
A run a signal stopped records it in ``run_end`` and exits ``128 + signal`` (130
SIGINT, 143 SIGTERM, 129 SIGHUP), or 3 when safe state could not be confirmed, as
``rig`` does (docs/bench.md).
"""

from __future__ import annotations

import datetime as dt
import os
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from rig.bench.config import BenchConfig, load_bench
from rig.bench.lease import BenchLease
from rig.bench.stop_signals import current_stop, stop_signals
from rig.esi.link import UtilityProtocol
from rig.plans.labtime import LabProfile, load_profile
from rig.pytest_plugin.identity import bench_identity
from rig.pytest_plugin.pool import (
    Controller,
    PoolBench,
    lease_one,
    pool_problem,
    worker_number,
    worker_output,
    workers,
)
from rig.results import (
    ResultsFileError,
    ResultsWriter,
    RunEndRecord,
    RunRecord,
    host_name,
    new_run_id,
    software,
)
from rig.runner.api import DEFAULT_BENCH, ServiceTarget
from rig.services.sep2_tls import ESI_FIELD, Sep2Tls
from rig.yamlfile import YamlFileError


@dataclass(frozen=True)
class PlanRow:
    """One line of the summary table: how one plan ended."""

    plan_id: str
    scenario: str
    requirements: tuple[str, ...]
    verdict: str
    measurements_passed: int
    measurements_total: int
    wall_s: float

    @classmethod
    def from_output(cls, row: dict[str, Any]) -> PlanRow:
        """A row a pytest-xdist worker handed back as plain data."""
        return cls(**{**row, "requirements": tuple(row["requirements"])})


@dataclass
class RunSession:
    """What every plan item of one pytest run shares."""

    bench_file: Path
    bench: BenchConfig
    services: ServiceTarget | None
    report_dir: Path
    operator: str
    run_id: str
    worker: str = ""
    rows: list[PlanRow] = field(default_factory=list)
    plan_files: dict[str, Path] = field(default_factory=dict)
    """Plan ID → the file that defined it first (IDs are unique within a run)."""
    allow_expired_calibration: bool = False
    approver: str = ""
    """``--approver``: who is to approve the results (empty: not named)."""
    profile: LabProfile | None = None
    """The lab-time profile (``--profile``) applied to every plan at collection."""
    report_path: Path | None = None
    """The HTML report written at the end of the run (``None`` on xdist workers)."""
    report_error: str = ""
    """Why the HTML report could not be written (a results file that does not read)."""
    utility_protocol: UtilityProtocol | None = None
    """``--utility-protocol``: how the ESI talks to its utility (``None``: the data set's)."""
    pool: list[PoolBench] = field(default_factory=list)
    """Every ``--bench`` given; ``bench_file`` and ``bench`` are the one this process uses."""
    controller: Controller | None = None
    """What the workers handed back, on the controller of a pytest-xdist run."""
    refused: str = ""
    """Why no bench of the pool could be leased, once that happened."""
    _writer: ResultsWriter | None = None
    _lease: BenchLease | None = None
    _chosen: bool = False
    _signals: ExitStack | None = None

    def take_lease(self) -> None:
        """Choose this process's bench of the pool and hold it for the rest of the run.

        A simulated bench is private to its process and needs no lease. Raises
        :class:`BenchInUse` (one bench) or :class:`PoolInUse` when every bench is taken.
        """
        if self._chosen:
            return
        pool = self.pool or [PoolBench(self.bench_file, self.bench)]
        worker = f" {self.worker}" if self.worker else ""
        chosen, self._lease = lease_one(
            pool, worker_number(self.worker), f"pytest run {self.run_id[:8]}{worker}"
        )
        self.bench_file, self.bench, self._chosen = chosen.file, chosen.config, True

    def stop_signals(self) -> None:
        """Install the stop-signal handler for the rest of the run (once; main thread)."""
        if self._signals is None:
            self._signals = ExitStack()
            self._signals.enter_context(stop_signals())

    def release_signals(self) -> None:
        """Restore the signal handlers the run started with."""
        if self._signals is not None:
            self._signals.close()

    @property
    def results_path(self) -> Path | None:
        """The results file, once the first plan has run."""
        return self._writer.path if self._writer is not None else None

    def writer(self) -> ResultsWriter:
        """The results writer, opened (and the ``run`` record written) on first use."""
        if self._writer is None:
            started = dt.datetime.now(dt.UTC)
            worker = f"-{self.worker}" if self.worker else ""
            name = f"results-{started:%Y%m%dT%H%M%SZ}-{self.run_id[:8]}{worker}.jsonl"
            self._writer = ResultsWriter(self.report_dir / name)
            code = software()
            self._writer.write(
                RunRecord(
                    run_id=self.run_id,
                    started_at=started,
                    software_version=code.version,
                    software_dirty=code.dirty,
                    bench=bench_identity(self.bench_file, self.bench),
                    seed=self.bench.simulation.seed if self.bench.simulation else None,
                    operator=self.operator,
                    host=host_name(),
                    worker=self.worker,
                    allowed_expired_calibration=self.allow_expired_calibration,
                    lab_profile=self.profile.name if self.profile is not None else "",
                    approver=self.approver,
                )
            )
        return self._writer

    def close(self, interrupted: str = "") -> None:
        """Write ``run_end`` (with the stop signal, if any) and close the results file, if
        one was opened; free the bench."""
        if self._lease is not None:
            self._lease.release()
            self._lease = None
        if self._writer is not None:
            self._writer.write(
                RunEndRecord(
                    run_id=self.run_id, ended_at=dt.datetime.now(dt.UTC), interrupted=interrupted
                )
            )
            self._writer.close()


RUN = pytest.StashKey[RunSession]()


def expired_calibrations(bench: BenchConfig, today: dt.date) -> list[str]:
    """``role (serial) due DATE`` for each instrument whose calibration is overdue."""
    specs = {**bench.meters(), "load": bench.load, "pilot": bench.pilot}
    return [
        f"{role}{f' ({spec.serial_number})' if spec.serial_number else ''} was due "
        f"{spec.calibration_due.isoformat()}"
        for role, spec in specs.items()
        if spec.calibration_due is not None and spec.calibration_due < today
    ]


def _services(config: pytest.Config) -> ServiceTarget | None:
    utilities: list[str] = config.getoption("utility_url")
    clearinghouse: str | None = config.getoption("clearinghouse_url")
    if not utilities and clearinghouse is None:
        if _client_tls(config) is not None:
            raise pytest.UsageError(
                "--utility-cert/-key/-ca are for external services: give --utility-url"
            )
        return None
    if not utilities or clearinghouse is None:
        raise pytest.UsageError(
            "external services need both --utility-url ID=URL (one per utility) and "
            "--clearinghouse-url URL; give neither to run the embedded services"
        )
    urls = {"clearinghouse": clearinghouse}
    for given in utilities:
        utility, equals, url = given.partition("=")
        if not equals or not utility or not url:
            raise pytest.UsageError(f"--utility-url {given}: expected ID=URL, e.g. HPL=http://…")
        urls[utility] = url
    return ServiceTarget(
        urls=urls,
        clock_offset_s=config.getoption("services_clock_offset"),
        sep2_tls=_client_tls(config),
    )


def _client_tls(config: pytest.Config) -> Sep2Tls | None:
    """``--utility-cert/-key/-ca`` as the ESIs' TLS files; all three or none."""
    given = [config.getoption(f"utility_{part}") for part in ("cert", "key", "ca")]
    if not any(given):
        return None
    if not all(given):
        raise pytest.UsageError(
            "mutual TLS needs all of --utility-cert, --utility-key, --utility-ca"
        )
    files = [config.invocation_params.dir / f for f in given]
    missing = [str(f) for f in files if ESI_FIELD not in str(f) and not f.exists()]
    if missing:
        raise pytest.UsageError(f"mutual TLS: no such file: {', '.join(missing)}")
    return Sep2Tls(*files)


def _pool_bench(bench_file: Path, allow_expired: bool) -> PoolBench:
    """One ``--bench`` file, read and its calibrations checked; a usage error if not fit."""
    try:
        bench = load_bench(bench_file)
    except YamlFileError as error:
        raise pytest.UsageError(f"--bench {bench_file}:\n{error}") from None
    overdue = expired_calibrations(bench, dt.date.today())
    if overdue and not allow_expired:
        raise pytest.UsageError(
            f"--bench {bench_file}: calibration overdue: {'; '.join(overdue)}. Recalibrate, "
            "or run with --allow-expired-calibration (recorded in the results and flagged "
            "in the report)"
        )
    return PoolBench(bench_file, bench)


def _session(config: pytest.Config) -> RunSession:
    here = config.invocation_params.dir
    given: list[str] = config.getoption("bench")
    allow_expired: bool = config.getoption("allow_expired_calibration")
    files = [here / name for name in given] or [DEFAULT_BENCH]
    pool = [_pool_bench(file, allow_expired) for file in files]
    problem = pool_problem(pool, max(workers(config), 1))
    if problem is not None:
        raise pytest.UsageError(problem)
    report: str | None = config.getoption("report")
    given_profile: str | None = config.getoption("profile")
    try:
        profile = load_profile(given_profile) if given_profile else None
    except YamlFileError as error:
        raise pytest.UsageError(f"--profile {given_profile}:\n{error}") from None
    workerinput: dict[str, str] = getattr(config, "workerinput", {})
    worker = workerinput.get("workerid", "")
    mine = pool[worker_number(worker) % len(pool)]  # until the lease (take_lease) decides
    return RunSession(
        bench_file=mine.file,
        bench=mine.config,
        services=_services(config),
        report_dir=here / report if report else config.rootpath / "reports",
        operator=config.getoption("operator") or os.environ.get("USER", ""),
        approver=config.getoption("approver") or "",
        run_id=workerinput.get("testrunuid")
        or getattr(config.option, "testrunuid", None)
        or new_run_id(),
        worker=worker,
        allow_expired_calibration=allow_expired,
        profile=profile,
        pool=pool,
        utility_protocol=config.getoption("utility_protocol"),
    )


def pytest_configure(config: pytest.Config) -> None:
    run = config.stash[RUN] = _session(config)
    if workers(config):  # the controller of a pytest-xdist run: the workers run the plans
        config.option.testrunuid = run.run_id  # every worker's results file carries it
        run.controller = Controller()
        config.pluginmanager.register(run.controller, "rig-pool-controller")
        run.controller.forward_signals()


def pytest_unconfigure(config: pytest.Config) -> None:
    if RUN in config.stash:
        run = config.stash[RUN]
        run.release_signals()
        if run.controller is not None:
            run.controller.restore_signals()


def pytest_sessionfinish(session: pytest.Session) -> None:
    stop = current_stop()
    run = session.config.stash[RUN]
    run.close(interrupted=stop.signal if stop is not None else "")
    workeroutput: dict[str, Any] | None = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a pytest-xdist worker: hand the controller its part
        workeroutput["rig"] = worker_output(
            run.rows, run.results_path, "" if run.refused else run.bench.bench, stop, run.refused
        )
    if run.controller is not None:
        run.rows.extend(PlanRow.from_output(row) for row in run.controller.rows)
    from rig.report import write_run_report  # the HTML report of the run (issue 5)

    try:
        run.report_path = write_run_report(run.report_dir, run.run_id, worker=run.worker)
    except ResultsFileError as error:  # the summary table is still printed, with this
        run.report_error = str(error)
    if stop is not None:
        stop.raised = True  # acted on: the run ends here, not re-delivered at unconfigure
        session.exitstatus = stop.exit_code
    elif run.controller is not None and (code := run.controller.exit_code()) is not None:
        session.exitstatus = code
