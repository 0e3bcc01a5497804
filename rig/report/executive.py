"""The executive summary: the report's first page, the one an auditor signs.

Everything on it is worked out from the results files (:class:`~rig.report.model.Report`)
and fits one printed page for any number of plans — lists are of benches, data
sets, instruments and requirement IDs, never of plans:

* **what was tested** — the benches (simulated or lab, file hash), the utility data
  sets and protocols the plans ran on, how many plans and plan files, when, and the
  software that judged them (its version and whether the checkout was modified);
* **the verdict** — overall, and the number of plans per verdict (every verdict
  :class:`~rig.results.measurements.Verdict` has, in its order, so a new one shows
  without a change here);
* **the requirements** — how many of the catalogue's are covered, and which ones
  ended in each verdict other than PASS, and which none covers;
* **the instruments** — per bench, each instrument's identity, serial, accuracy
  class, calibration certificate and due date, flagged when expired;
* **the uncertainty statement** (:mod:`rig.report.uncertainty`);
* **the signature blocks** — operator and approver: name, role, a line for the
  date and one for the signature, to be completed by hand on the printed page.

Names come from the ``run`` records (``--operator``, ``--approver``); ``rig report
--operator/--approver`` names them instead, for a report signed after the run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from rig.report.model import InstrumentView, Report, RunView
from rig.report.uncertainty import statement
from rig.results.measurements import Verdict


@dataclass(frozen=True)
class Signatory:
    """One signature block."""

    role: str
    duty: str
    name: str
    """Empty: not named; the block leaves a line for it."""


@dataclass(frozen=True)
class Signers:
    """Names given when the report is made, over those the results recorded."""

    operator: str = ""
    approver: str = ""


@dataclass(frozen=True)
class Bench:
    """One bench of the report, with the instruments its first run recorded."""

    name: str
    kind: str
    file_sha256: str
    instruments: tuple[InstrumentView, ...]


@dataclass(frozen=True)
class Executive:
    """The values of the summary page."""

    benches: tuple[Bench, ...]
    began: dt.datetime | None
    """The first run's start; ``None`` without a run."""
    ended: dt.datetime | None
    """The last run's end; ``None`` when no run recorded its end."""
    data_sets: tuple[str, ...]
    protocols: tuple[str, ...]
    plan_files: int
    software: tuple[str, ...]
    counts: dict[Verdict, int]
    """Plans per verdict, every verdict named (an auditor reads "INCONCLUSIVE 0" too)."""
    by_verdict: dict[Verdict, tuple[str, ...]]
    """Requirement IDs whose verdict is not PASS, by verdict, in :class:`Verdict`'s order."""
    uncovered: tuple[str, ...]
    uncertainty: str
    signatories: tuple[Signatory, Signatory]


def _distinct(values: Iterable[str]) -> tuple[str, ...]:
    """The non-empty values, each once, sorted."""
    return tuple(sorted({v for v in values if v}))


def software(run: RunView) -> str:
    """``v1.2-3-gabc1234 (modified: uncommitted changes)``, ``… (clean checkout)``, or as is."""
    record = run.results.run
    if record.software_dirty is None:
        return record.software_version
    state = "modified: uncommitted changes" if record.software_dirty else "clean checkout"
    return f"{record.software_version} ({state})"


def _benches(runs: tuple[RunView, ...]) -> tuple[Bench, ...]:
    found: dict[tuple[str, str], Bench] = {}
    for run in runs:
        bench = run.results.run.bench
        kind = "simulated" if bench.simulated else "lab bench"
        found.setdefault(
            (bench.name, bench.file_sha256),
            Bench(bench.name, kind, bench.file_sha256, run.instruments),
        )
    return tuple(found.values())


def _names(given: str, recorded: Iterable[str]) -> str:
    return given or ", ".join(_distinct(recorded))


def executive(report: Report, signers: Signers | None = None) -> Executive:
    """The summary page of ``report``; ``signers`` override the recorded names."""
    given = signers or Signers()
    runs = [r.results.run for r in report.runs]
    starts = [p.results.start for p in report.plans]
    by_verdict = {
        v: tuple(c.requirement for c in report.traceability if c.verdict is v)
        for v in Verdict
        if v is not Verdict.PASS
    }
    ends = [r.results.ended_at for r in report.runs if r.results.ended_at is not None]
    return Executive(
        benches=_benches(report.runs),
        began=min((r.started_at for r in runs), default=None),
        ended=max(ends, default=None),
        data_sets=_distinct(s.utility_data for s in starts),
        protocols=_distinct(s.utility_protocol for s in starts),
        counts={v: report.counts.get(v, 0) for v in Verdict},
        plan_files=len({s.file for s in starts if s.file}),
        software=_distinct(software(r) for r in report.runs),
        by_verdict={v: ids for v, ids in by_verdict.items() if ids},
        uncovered=tuple(c.requirement for c in report.uncovered),
        uncertainty=statement(m for p in report.plans for m in p.results.measurements),
        signatories=(
            Signatory(
                "Test operator",
                "ran the tests and confirms the bench as recorded",
                _names(given.operator, (r.operator for r in runs)),
            ),
            Signatory(
                "Approver",
                "reviewed the results and approves this report",
                _names(given.approver, (r.approver for r in runs)),
            ),
        ),
    )
