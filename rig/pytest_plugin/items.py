"""Plans as pytest items: collect ``test_plans/*.yaml``, run each, report it as a plan.

**Collection.** A ``*.yaml`` file directly in a directory named ``test_plans`` is a
plan file (:data:`PLAN_DIRECTORY`); fragments in its subdirectories
(``test_plans/common/``) and the JSON Schema are not. Each file is loaded with
:func:`rig.plans.load_plan` — pure, nothing touches a bench — and becomes one
:class:`PlanItem` named by its plan ID::

    test_plans/sc4_home_rate.yaml::sc4-home-rate

An invalid plan is a collection error listing every ``file:line:col`` problem,
as is a plan ID that another file already uses, and so is an ID the plan names that
its utility data set does not know (pre-flight, :mod:`rig.runner.preflight`): a
typo'd premise is reported at the plan's line, before anything runs. As with any collection error,
pytest then runs nothing (``--continue-on-collection-errors`` runs the valid plans).

**Lab time.** With ``--profile`` the plan is shortened by its lab-time profile
(:func:`rig.plans.labtime.apply`) before pre-flight, and the item runs that plan;
steps and checks keep their places in the file, so failures still point at them.

**Selection.** Each item carries the marker of its scenario (``sc4``) and one per
requirement it covers (``BR_05``; see :mod:`rig.pytest_plugin.options`), and its
title as a keyword, so ``-m sc4``, ``-m BR_05`` and ``-k roaming`` select plans.

**Running.** A run with a plan to run first takes its bench's lease
(:meth:`~rig.pytest_plugin.session.RunSession.take_lease`; a bench another run holds is
a usage error). :meth:`PlanItem.runtest` runs the plan through the
``pytest_rig_run_plan`` hook (:mod:`rig.pytest_plugin.hookspec`), records the verdict,
scenario, requirements and measurement count as JUnit properties
(``--junitxml``), and raises :class:`~rig.pytest_plugin.failure.PlanFailed` unless
the plan passed; :meth:`PlanItem.repr_failure` then shows the failing step's YAML
with measured against expected values instead of a traceback.

**Stopping.** A stop signal (SIGINT, SIGTERM, SIGHUP; :mod:`rig.pytest_plugin.session`
installs the handler) ends the plan at its step, after safe state
(:class:`~rig.runner.api.PlanInterrupted`): the plan is reported ``interrupted``
and ``session.shouldstop`` ends the run — no next plan re-energises the bench. A
signal held in the tail of a teardown stops the run before the next plan starts.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from rig.bench.lease import BenchInUse
from rig.bench.stop_signals import deliver_stop
from rig.plans import Plan, labtime, load_plans
from rig.plans.loader import load_located
from rig.pytest_plugin.failure import PlanFailed, describe
from rig.pytest_plugin.options import marker_name
from rig.pytest_plugin.pool import PoolInUse
from rig.pytest_plugin.progress import ProgressPrinter
from rig.pytest_plugin.session import RUN, PlanRow, RunSession
from rig.runner.api import (
    PlanInterrupted,
    PlanOutcome,
    ProgressCallback,
    ServiceTarget,
    run_plan,
)
from rig.runner.external_time import read_clock, start_decision
from rig.runner.preflight import id_problems
from rig.runner.world import dataset
from rig.services.cluster import SEP2_SUFFIX
from rig.yamlfile import SourceMap, YamlFileError, issues_at

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr, TracebackStyle

#: Plans are the ``*.yaml`` files directly inside a directory of this name.
PLAN_DIRECTORY = "test_plans"


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """Lease the bench before the first plan runs (:mod:`rig.pytest_plugin.session`)."""
    if session.config.option.collectonly or not any(
        isinstance(item, PlanItem) for item in session.items
    ):
        return
    try:
        session.config.stash[RUN].take_lease()
    except (BenchInUse, PoolInUse) as error:
        session.config.stash[RUN].refused = str(error)
        pytest.exit(str(error), returncode=pytest.ExitCode.USAGE_ERROR)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> PlanFile | None:
    if file_path.suffix == ".yaml" and file_path.parent.name == PLAN_DIRECTORY:
        plan_file: PlanFile = PlanFile.from_parent(parent, path=file_path)
        return plan_file
    return None


class PlanFile(pytest.File):
    """One plan file; it collects one :class:`PlanItem`, or a collection error."""

    def collect(self) -> Iterator[PlanItem]:
        seen = self.config.stash[RUN].plan_files
        file = shown(self.path)
        try:
            plan, sources = load_located(file)
            first = seen.setdefault(plan.plan, file)
            if first != file:
                load_plans([first, file])  # raises the duplicate ID at its position
            profile = self.config.stash[RUN].profile
            if profile is not None:
                plan = labtime.apply(profile, plan)
            preflight(file, plan, sources)
        except YamlFileError as error:
            count = len(error.issues)
            raise self.CollectError(
                f"{error}\n{count} problem{'s' * (count != 1)} in this plan; it was not run"
            ) from None
        yield PlanItem.from_parent(self, name=plan.plan, plan=plan, plan_file=file)


def preflight(file: Path, plan: Plan, sources: SourceMap) -> None:
    """Raise :class:`YamlFileError` at the plan's lines for each ID its data set lacks."""
    try:
        data = dataset(plan.utility_data)
    except YamlFileError as error:
        where = issues_at(file, sources, [(("utility_data",), "its data set cannot be loaded")])
        raise YamlFileError(where + error.issues) from None
    issues = issues_at(file, sources, id_problems(plan, data), at_value=True)
    if issues:
        raise YamlFileError(issues)


def shown(path: Path) -> Path:
    """``path`` as messages show it: relative to the working directory when inside it."""
    here = Path.cwd()
    return path.relative_to(here) if path.is_relative_to(here) else path


class PlanItem(pytest.Item):
    """One plan, run on the bench as one test; ``plan_file`` is its file as shown."""

    def __init__(self, *, plan: Plan, plan_file: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plan = plan
        self.plan_file = plan_file
        self.services: ServiceTarget | None = None
        """The external services this plan runs against, on a clock that agrees with theirs."""
        self.add_marker(plan.scenario)
        for requirement in plan.covers:
            self.add_marker(marker_name(requirement))
        self.extra_keyword_matches.add(plan.title)

    def runtest(self) -> None:
        run = self.config.stash[RUN]
        run.stop_signals()
        deliver_stop()  # a signal held since the last plan: stop before this one starts
        self.services = self._external_services(run)
        started = time.monotonic()
        try:
            outcome: PlanOutcome = self.ihook.pytest_rig_run_plan(
                item=self, run=run, progress=self._progress()
            )
        except PlanInterrupted as stopped:  # the bench is safe and the records written
            outcome = stopped.outcome
            self.session.shouldstop = f"plan {outcome.plan_id} {stopped}"
        except Exception:
            self._record(run, "error", 0, 0, time.monotonic() - started)
            raise
        passed = sum(m.passed for m in outcome.measurements)
        self._record(run, outcome.verdict, passed, len(outcome.measurements), outcome.wall_s)
        if not outcome.passed:
            raise PlanFailed(outcome)

    def _external_services(self, run: RunSession) -> ServiceTarget | None:
        """The run's external services; a plan with a ``start`` their clocks do not read is
        skipped with the reason (:mod:`rig.runner.external_time`)."""
        if run.services is None or self.plan.start is None:
            return run.services
        readings = [  # the JSON services' clocks; a 2030.5 server shares its utility's
            read_clock(service, url)
            for service, url in run.services.urls.items()
            if not service.endswith(SEP2_SUFFIX)
        ]
        offset, reason = start_decision(self.plan.start, readings)
        if offset is None:
            pytest.skip(reason)
        return replace(run.services, clock_offset_s=offset)

    def _record(self, run: RunSession, verdict: str, passed: int, total: int, wall: float) -> None:
        """The plan's line in the summary table, and its JUnit properties."""
        self.user_properties += [
            ("verdict", verdict),
            ("scenario", self.plan.scenario),
            ("requirements", " ".join(self.plan.covers)),
            ("measurements", f"{passed}/{total}"),
        ]
        run.rows.append(
            PlanRow(
                self.plan.plan,
                self.plan.scenario,
                tuple(self.plan.covers),
                verdict,
                passed,
                total,
                wall,
            )
        )

    def _progress(self) -> ProgressCallback:
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        capture = self.config.pluginmanager.get_plugin("capturemanager")
        if reporter is None or capture is None or self.config.get_verbosity() < 0:
            return lambda progress: None

        def write_line(line: str) -> None:
            with capture.global_and_fixture_disabled():
                reporter.write_line(line)

        return ProgressPrinter(write_line, every_s=float(self.config.getini("rig_progress_every")))

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: TracebackStyle | None = None,
    ) -> str | TerminalRepr:
        if isinstance(excinfo.value, PlanFailed):
            return describe(excinfo.value.outcome)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, self.name


@pytest.hookimpl(trylast=True)
def pytest_rig_run_plan(item: PlanItem, run: RunSession, progress: ProgressCallback) -> PlanOutcome:
    return run_plan(
        item.plan,
        plan_file=item.plan_file,
        bench_file=run.bench_file,
        services=item.services,
        results=run.writer(),
        run_id=run.run_id,
        progress=progress,
        utility_protocol=run.utility_protocol,
    )
