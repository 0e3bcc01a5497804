"""One plan, end to end: the world, the steps, the records, the verdict, the safe end.

:func:`execute` is what :func:`rig.runner.api.run_plan` does:

1. open the plan's world (:mod:`rig.runner.world`): fresh bench, services, actors;
2. take one look at the bench (the pilot timeline starts in A), then run the steps
   in order (:mod:`rig.runner.steps`), each becoming a
   :class:`~rig.runner.api.StepOutcome`; the first step that fails or raises ends
   the steps (the rest are ``skipped``);
3. if the vehicle is still plugged in, it unplugs (every session ends in A and is
   closed), and the ESI's outbox is given a minute of bench time to deliver;
4. fetch the services' records (:mod:`rig.runner.fetch`), fill in what the session
   showed (communication, EUMD), and judge (:mod:`rig.runner.judging`);
5. leave the world: safe state confirmed by read-back. A
   :class:`~rig.bench.safe.SafeStateError` there makes the plan an ``error``
   whatever came before;
6. write everything to the results file (:mod:`rig.runner.plan_records`), with the services
   that could not be reached during the plan (:class:`~rig.esi.link.UnreachableLog`).

A stop signal (:func:`~rig.bench.safe.stop_signals`) ends the steps where they are:
the step it hit is recorded ``interrupted``, the rest ``skipped``; the world goes to
safe state; ``plan_end`` records the signal, the step and the safe state read back
(:class:`~rig.results.Interruption`), and :class:`~rig.runner.api.PlanInterrupted`
carries the ``interrupted`` outcome to the caller, which stops the run.

The verdict: ``error`` if the run itself broke (an exception in a step, in the
set-up, the checks or the teardown), ``fail`` if a step did not reach its state or
a measurement failed — or none was recorded — and ``pass`` otherwise. The
:class:`~rig.runner.api.Failure` names the first failing step, or the first
failing measurement with the plan check it answers.
"""

from __future__ import annotations

import logging
import time
import traceback
from pathlib import Path
from typing import Any

from rig.bench.safe_outcome import SafeStateError
from rig.bench.stop_signals import Interrupted, Stop, current_stop
from rig.domain.vocabulary import Communication
from rig.esi.audit import read_audit
from rig.esi.link import Unreachable, UnreachableLog, UtilityProtocol
from rig.esi.outbox import OutboxStuck, Rejected
from rig.plans import Plan
from rig.plans import steps as s
from rig.record import SessionRecord
from rig.results import Interruption, ResultsWriter, SafeStateModel, new_run_id
from rig.results.measurements import Measurement, Verdict, overall_verdict
from rig.runner.acting import StepFailed
from rig.runner.facts import session_facts
from rig.runner.fetch import fetch_services
from rig.runner.judging import Evidence, Judged, judge
from rig.runner.outcome import (
    Failure,
    PlanInterrupted,
    PlanOutcome,
    PlanVerdict,
    Progress,
    ProgressCallback,
    ServiceTarget,
    StepOutcome,
    StepResult,
)
from rig.runner.plan_records import Judgement, PlanRecords
from rig.runner.refusals import fail_on_new_refusals, refusals_measurement
from rig.runner.signals import sync_signals
from rig.runner.source import Located, locate
from rig.runner.steps import run_step, unplug
from rig.runner.waiting import energy_kwh
from rig.runner.world import World, open_world

log = logging.getLogger("rig.runner")
#: Bench time the ESI's outbox gets after the steps to deliver what is left.
DRAIN_S = 60.0


def execute(
    plan: Plan,
    *,
    plan_file: Path | None,
    bench_file: Path,
    services: ServiceTarget | None,
    results: ResultsWriter | None,
    run_id: str | None,
    progress: ProgressCallback | None,
    utility_protocol: UtilityProtocol | None = None,
) -> PlanOutcome:
    wall = time.perf_counter()
    report = PlanRecords(results, run_id or new_run_id(), plan, plan_file)
    located = locate(plan.source, {"steps": list(plan.steps), "checks": list(plan.checks)})
    steps_at, checks_at = located["steps"], located["checks"]
    outcomes: list[StepOutcome] = []
    judged: list[Judged] = []
    record: SessionRecord | None = None
    failure: Failure | None = None
    verdict: PlanVerdict = "pass"
    ended: float | None = None
    unreachable = UnreachableLog()
    try:
        with open_world(plan, bench_file, services, utility_protocol) as world:
            unreachable = world.unreachable
            report.begin(world.clock.now(), world.protocol)
            world.loop.on_boundary = lambda: sync_signals(world)
            world.loop.tick()
            failure = _run_steps(world, steps_at, outcomes, report, progress)
            ended = world.clock.now()
            if failure is not None and failure.step_index is not None:
                verdict = "error" if outcomes[failure.step_index].outcome == "error" else "fail"
            record = world.record
            judged = _finish(world)
            ended = world.clock.now()
    except SafeStateError as error:
        verdict = "error"
        failure = Failure(message=str(error), key="safe state")
    except Interrupted:  # safe state is done; what the stop did is in current_stop()
        pass
    except Exception as error:  # the run broke: report it, never raise it
        log.exception("plan %s: run error", plan.plan)
        verdict = "error"
        failure = failure or Failure(
            message=f"{type(error).__name__}: {error}",
            key="run",
            measured="".join(traceback.format_exception_only(error)).strip(),
        )
    stop = current_stop()
    interruption = None
    if stop is not None:
        verdict = "interrupted"
        failure, interruption = _interrupted(stop, outcomes)
    measurements = [m for m, _ in judged]
    if verdict == "pass":
        failure = _check_failure(judged, checks_at, plan)
        verdict = _checked(failure, measurements)
    report.measurements(_filed(judged, plan, checks_at), record, outcomes)
    report.end(
        overall_verdict(measurements) if verdict in ("pass", "inconclusive") else Verdict.FAIL,
        failure.message if failure else "",
        ended,
        interruption,
        unreachable.services(),
    )
    simulated = outcomes[-1].end - outcomes[0].start if outcomes else 0.0
    outcome = PlanOutcome(
        plan_id=plan.plan,
        verdict=verdict,
        measurements=measurements,
        steps=outcomes,
        failure=failure,
        wall_s=time.perf_counter() - wall,
        simulated_s=simulated,
    )
    if stop is not None and stop.signum is not None:
        raise PlanInterrupted(stop.signum, outcome)
    return outcome


def _interrupted(stop: Stop, outcomes: list[StepOutcome]) -> tuple[Failure, Interruption]:
    """The failure and the ``plan_end`` record of a plan a stop signal ended."""
    step = next((o for o in outcomes if o.outcome == "interrupted"), None)
    where = f" at step {step.index + 1} ({step.key})" if step is not None else ""
    what = "; ".join(stop.describe()[1:])
    failure = Failure(
        message=f"interrupted by {stop.signal}{where}; {what}",
        step_index=step.index if step is not None else None,
        key=step.key if step is not None else "interrupted",
        yaml=step.yaml if step is not None else "",
        source=step.source if step is not None else None,
    )
    readback = stop.safe_state
    return failure, Interruption(
        signal=stop.signal,
        step=step.index if step is not None else None,
        safe_state=SafeStateModel(
            bench=readback.bench,
            load_input_on=readback.load_input_on,
            pilot_state=readback.pilot_state,
            by_watchdog=readback.by_watchdog,
        )
        if readback is not None
        else None,
        safe_state_error=str(stop.unsafe) if stop.unsafe is not None else "",
        held=tuple(stop.held),
    )


def _run_steps(
    world: World,
    located: list[Located],
    outcomes: list[StepOutcome],
    report: PlanRecords,
    progress: ProgressCallback | None,
) -> Failure | None:
    """Run the steps in order; the first that fails or raises ends them (rest skipped).

    A stop signal ends them too: that step is ``interrupted``, the rest ``skipped``,
    and the :class:`~rig.bench.safe.Interrupted` is raised again once they are recorded.
    """
    plan, clock = world.plan, world.clock
    failure: Failure | None = None
    interrupted: Interrupted | None = None
    for index, (step, where) in enumerate(zip(plan.steps, located, strict=True)):
        key = step.key()
        start = clock.now()
        if failure is not None:
            outcome = StepOutcome(index, key, where.spot, where.yaml, start, start, "skipped")
            outcomes.append(outcome)
            report.step(outcome)
            continue

        def tell(
            energy: float, left: float, kw: float | None, index: int = index, key: str = key
        ) -> None:
            if progress is not None:
                progress(Progress(plan.plan, index, key, energy, left, kw))

        try:
            refused = len(world.esi.refusals())
            note = run_step(world, step, tell)
            fail_on_new_refusals(world.esi, refused)
            result: tuple[StepResult, str] = ("passed", note)
        except Interrupted as stop:
            interrupted = stop
            result = ("interrupted", str(stop))
            failure = Failure(message=str(stop), step_index=index, key=key)
        except StepFailed as failed:
            result = ("failed", str(failed))
            failure = Failure(
                message=f"step {index + 1} ({key}) failed: {failed}",
                step_index=index,
                key=key,
                yaml=where.yaml,
                source=where.spot,
                expected=failed.expected,
                measured=failed.measured,
            )
        except Exception as error:
            log.exception("plan %s step %d (%s)", plan.plan, index, key)
            result = ("error", f"{type(error).__name__}: {error}")
            failure = Failure(
                message=f"step {index + 1} ({key}) raised {type(error).__name__}: {error}",
                step_index=index,
                key=key,
                yaml=where.yaml,
                source=where.spot,
            )
        outcome = StepOutcome(index, key, where.spot, where.yaml, start, clock.now(), *result)
        outcomes.append(outcome)
        report.step(outcome)
    if interrupted is not None:
        raise interrupted
    return failure


def _finish(world: World) -> list[Judged]:
    """Close the session, let the outbox deliver, fetch the records and judge."""
    esi, record = world.esi, world.record
    if world.pev.plugged:
        unplug(world)
    try:
        esi.outbox.drain(DRAIN_S)
    except OutboxStuck as stuck:
        log.warning("plan %s: %s", world.plan.plan, stuck)
    record.intervals = list(esi.intervals)
    communication = record.facts.communication
    if world.plan.pev.communicating and esi.communication == "failed":
        communication = Communication.FAILED
    record.facts = session_facts(record.facts, communication, esi.eumd_available)
    raw = fetch_services(world)
    utility_audit = _esi_calls(world)
    evidence = Evidence(
        binding_state=esi.state,
        refusal=esi.refusal,
        pev_id=esi.pev_id,
        told=world.pev.told,
        interval_s=esi.interval_s,
        esi_audit=read_audit(esi.audit.path) if esi.audit.path.exists() else [],
        utility_audit=utility_audit,
        raw_session=raw,
        energy_kwh=energy_kwh(world) if world.recorder.first_eumd else None,
        grant_delay_s=esi.start_delay_s,
        published=world.published,
        protocol=world.protocol,
    )
    judged = judge(world.plan, record, world.place.data.tariffs, evidence)
    refused = refusals_measurement(esi)
    return judged if refused is None else [(refused, None), *judged]


def _filed(judged: list[Judged], plan: Plan, checks: list[Located]) -> list[Judgement]:
    """Each measurement with the step it answers, or else its plan check's YAML.

    An oracle measurement answering a step (a grid limit, :class:`~rig.plans.steps.SetsLimit`)
    belongs to the first step of that kind.
    """
    filed = []
    for m, index in judged:
        step = next(
            (
                i
                for i, x in enumerate(plan.steps)
                if isinstance(x, s.SetsLimit) and x.kind == m.answers
            ),
            None,
        )
        source = checks[index].yaml if index is not None and step is None else ""
        filed.append(Judgement(m, step, source))
    return filed


def _esi_calls(world: World) -> list[dict[str, Any]] | None:
    """The utility's own audit log of the calls this ESI made (None: unreadable)."""
    operator = world.operator(world.place.utility.id)
    try:
        entries = operator.get("/audit", limit=10_000)
    except (Unreachable, Rejected):
        return None
    finally:
        operator.close()
    return [e for e in entries if world.place.esi_id in str(e["caller"])]


def _checked(failure: Failure | None, measurements: list[Measurement]) -> PlanVerdict:
    """A plan whose steps passed: ``pass``, ``fail``, or ``inconclusive`` (no FAIL, but a
    measurement the bench could not decide)."""
    if failure is None:
        return "pass"
    if overall_verdict(measurements) is Verdict.INCONCLUSIVE:
        return "inconclusive"
    return "fail"


def _check_failure(judged: list[Judged], checks: list[Located], plan: Plan) -> Failure | None:
    """The first failing measurement, with the plan check it answers; or none recorded."""
    if not judged:
        return Failure(message="the plan recorded no measurement", key="checks")
    failing = [(m, index) for m, index in judged if not m.passed]
    if not failing:
        return None
    failing.sort(key=lambda judged: judged[0].verdict is not Verdict.FAIL)  # FAIL first
    first, index = failing[0]
    more = f" (and {len(failing) - 1} more failing)" if len(failing) > 1 else ""
    where = checks[index] if index is not None else None
    return Failure(
        message=f"{first.message}{more}",
        key=plan.checks[index].key() if index is not None else "oracle",
        yaml=where.yaml if where else "",
        source=where.spot if where else None,
        expected=_expected(first),
        measured=str(first.value),
    )


def _expected(m: Measurement) -> str:
    if m.mode == "equals":
        return str(m.expected)
    return m.limits.describe(m.unit) if m.limits else ""
