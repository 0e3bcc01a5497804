"""Hold the services' records to the oracle's expectations, one measurement per question.

Each function here takes what the oracle expects (:mod:`rig.oracle.payer`,
:mod:`~rig.oracle.tariff`, :mod:`~rig.oracle.netting`, :mod:`~rig.oracle.settlement`)
and what the utility or clearinghouse recorded (:class:`~rig.record.ServiceRecords`),
and returns :class:`~rig.results.measurements.Measurement` objects. A failing measurement
*names the difference* in words a lab engineer can act on:

- ``payer ACC-HOST-2, expected ACC-PEV-1``
- ``interval 3: billed rate 0.31 USD/kWh at on_peak, expected 0.12 at off_peak``
- ``interval 2026-11-25T21:15+00:00 missing from bill``
- ``interval 2026-11-25T21:15+00:00 billed twice``

The clearinghouse's records of a roaming session are held to the oracle's in
:mod:`rig.oracle.compare_roaming`.

The bill is compared in three independent ways so that one defect cannot hide
behind another: *coverage* (every metered interval billed exactly once, found from
the lines' time spans alone), *rate per interval piece* (the line covering each
piece carries the expected rate and period), and *lines and totals* (each line's
energy and amount, and the session's totals, to the cent).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from itertools import pairwise

from rig.domain.checks import CheckKind as Kind
from rig.oracle.payer import Treatment
from rig.oracle.tariff import ExpectedBill
from rig.record import (
    BillLine,
    BindingAnswer,
    MeteringInterval,
    UtilitySession,
)
from rig.results.measurements import Measurement, Value

PAYER_KINDS = frozenset({"charge", "roaming"})
_NETTING = Kind.PREMISE_NETTING  # the check each netting measurement answers


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="minutes")


def equal(
    name: str,
    measured: Value,
    expected: Value,
    requirements: Sequence[str],
    what: str,
    answers: Kind,
) -> Measurement:
    """Equality measurement whose failure reads ``<what> <measured>, expected <expected>``."""
    return Measurement.equals(
        name,
        measured,
        expected,
        requirements=requirements,
        detail=f"{what} {measured}, expected {expected}",
        answers=answers,
    )


# --------------------------------------------------------------------- who pays


#: Requirements that assert a fact about the session: cited only when it is so.
_ASSERTING = {"BR-01": "communication or validation failed", "BR-04": "the EUMD was unavailable"}


def _decision_requirements(
    treatment: Treatment, binding: BindingAnswer, eumd_lost: bool
) -> Measurement:
    """The utility cites the requirement that decided, and none asserting what did not happen."""
    cited = binding.requirement_ids
    problems = []
    if treatment.cites not in cited:
        problems.append(f"does not cite {treatment.cites}")
    for rid, claim in _ASSERTING.items():
        happened = treatment.cites == rid or (rid == "BR-04" and eumd_lost)
        if rid in cited and not happened:
            problems.append(f"cites {rid} ({claim}), which did not happen")
    return Measurement.none_of(
        "decision requirements",
        [
            f"the utility's decision ({', '.join(cited)}: {binding.reason!r}) {p}, "
            f"expected {treatment.rule}"
            for p in problems
        ],
        "problems",
        requirements=treatment.requirements,
        answers=Kind.PAYER,
    )


def compare_treatment(
    treatment: Treatment,
    session: UtilitySession | None,
    binding: BindingAnswer | None,
    *,
    eumd_lost: bool = False,
) -> list[Measurement]:
    """Payer, tariff, incentive and flag on the utility's session; what the PEV was told.

    The decision's labels too: the scenario on the session record, and — from the
    binding answer — the requirements the utility cites (the row's deciding one, and
    neither BR-01 nor BR-04 unless communication/validation failed or the EUMD was
    unavailable, ``eumd_lost``), so a right payer for a wrong reason fails.

    Each measurement evidences the treatment's requirements, plus BR-12 where the
    PEV was told a binding outcome (or should have been) and BR-04 on the flag only
    where the EUMD was unavailable: a session that did not exercise a rule does not
    count as evidence for it in the traceability matrix.
    """
    req = treatment.requirements
    told_bound = binding.bound if binding is not None else False
    told_incentive = binding.incentive if binding is not None else False
    # BR-12 only where the PEV was (or should have been) told something at binding.
    told = (*req, "BR-12") if binding is not None or treatment.bound else req
    measurements = [
        equal("binding indicated", told_bound, treatment.bound, told, "bound", Kind.BINDING),
        equal(
            "incentive indicated",
            told_incentive,
            treatment.incentive,
            told,
            "incentive told",
            Kind.PEV_NOTIFIED,
        ),
    ]
    if binding is not None and binding.requirement_ids:
        measurements.append(_decision_requirements(treatment, binding, eumd_lost))
    if session is None:
        return [
            *measurements,
            equal(
                "utility session record", "missing", "present", req, "session record", Kind.PAYER
            ),
        ]
    return [
        *measurements,
        equal(
            "decision scenario", session.scenario, treatment.scenario, req, "scenario", Kind.PAYER
        ),
        equal(
            "payer", session.payer_account_id, treatment.payer_account_id, req, "payer", Kind.PAYER
        ),
        equal("tariff", session.tariff_id, treatment.tariff_id, req, "tariff", Kind.TARIFF),
        equal(
            "incentive", session.incentive, treatment.incentive, req, "incentive", Kind.INCENTIVE
        ),
        equal(
            "session flagged",
            bool(session.flags),
            treatment.flagged,
            (*req, "BR-04") if treatment.flagged and "BR-04" not in req else req,
            "flagged",
            Kind.SESSION_FLAGGED,
        ),
    ]


def compare_intervals(
    intervals: Sequence[MeteringInterval], session: UtilitySession | None
) -> list[Measurement]:
    """BR-09: the utility holds every interval the ESI built, once (none lost or doubled)."""
    if session is None or session.interval_count is None:
        return []
    return [
        equal(
            "intervals at the utility",
            session.interval_count,
            len(intervals),
            ("BR-09",),
            "intervals held",
            Kind.INTERVALS,
        )
    ]


# --------------------------------------------------------------------- the bill


def _covering(lines: Sequence[BillLine], start: datetime, end: datetime) -> list[BillLine]:
    return [line for line in lines if line.start < end and line.end > start]


def _coverage_problems(
    intervals: Sequence[MeteringInterval], lines: Sequence[BillLine]
) -> tuple[list[str], list[str]]:
    """Intervals (partly) not billed, and intervals (partly) billed more than once."""
    missing: list[str] = []
    twice: list[str] = []
    for interval in sorted(intervals, key=lambda i: i.start):
        covering = _covering(lines, interval.start, interval.end)
        edges = sorted(
            {interval.start, interval.end}
            | {e for line in covering for e in (line.start, line.end)}
        )
        inside = [e for e in edges if interval.start <= e <= interval.end]
        counts = [len(_covering(covering, a, b)) for a, b in pairwise(inside)]
        if 0 in counts:
            missing.append(f"interval {_when(interval.start)} missing from bill")
        if any(count > 1 for count in counts):
            twice.append(f"interval {_when(interval.start)} billed twice")
    return missing, twice


def _rate_problems(expected: ExpectedBill, lines: Sequence[BillLine]) -> list[str]:
    problems = []
    for piece in expected.pieces:
        middle = piece.start + (piece.end - piece.start) / 2
        for line in (line for line in lines if line.start <= middle < line.end):
            if line.rate != piece.price.rate or line.rate_period != piece.price.period:
                problems.append(
                    f"interval {piece.interval}: billed rate {line.rate} {line.currency}/kWh at "
                    f"{line.rate_period}, expected {piece.price.rate} at {piece.price.period}"
                )
    return problems


def _line_problems(expected: ExpectedBill, lines: Sequence[BillLine]) -> list[str]:
    actual = {(line.start, line.end): line for line in lines}
    problems = []
    for want in expected.lines:
        span = f"line {_when(want.start)}–{_when(want.end)}"
        got = actual.pop((want.start, want.end), None)
        if got is None:
            problems.append(f"{span} not billed")
        elif (got.kwh, got.amount) != (want.kwh, want.amount):
            problems.append(
                f"{span}: billed {got.kwh} kWh for {got.amount} {got.currency}, "
                f"expected {want.kwh} kWh for {want.amount}"
            )
    problems += [f"line {_when(s)}–{_when(e)} not expected" for s, e in actual]
    return problems


def compare_bill(
    expected: ExpectedBill,
    intervals: Sequence[MeteringInterval],
    lines: Sequence[BillLine],
    treatment: Treatment,
) -> list[Measurement]:
    """The payer's bill lines for the session against the oracle's own bill."""
    billed = [line for line in lines if line.kind in PAYER_KINDS]
    req = treatment.requirements
    periods = {piece.price.period for piece in expected.pieces}
    programs = (("PG-TOU",) if periods & {"off_peak", "mid_peak", "on_peak"} else ()) + (
        ("PG-RTP",) if "hourly" in periods else ()
    )
    priced = (*req, *programs)
    accounts = ", ".join(sorted({line.account_id for line in billed})) or "none"
    tariffs = ", ".join(sorted({line.tariff_id for line in billed})) or "none"
    missing, twice = _coverage_problems(intervals, billed)
    total_kwh = sum((line.kwh for line in billed), Decimal(0))
    total_amount = sum((line.amount for line in billed), Decimal(0))
    return [
        equal("bill payer", accounts, treatment.payer_account_id, req, "payer", Kind.PAYER),
        equal("bill tariff", tariffs, expected.tariff_id, req, "tariff", Kind.TARIFF),
        Measurement.none_of(
            "intervals missing from bill",
            missing,
            "intervals",
            requirements=(*req, "BR-09"),
            answers=Kind.INTERVALS,
        ),
        Measurement.none_of(
            "intervals billed twice",
            twice,
            "intervals",
            requirements=(*req, "BR-09"),
            answers=Kind.INTERVALS,
        ),
        Measurement.none_of(
            "rate per interval",
            _rate_problems(expected, billed),
            "pieces",
            requirements=priced,
            answers=Kind.TARIFF,
        ),
        Measurement.none_of(
            "bill lines",
            _line_problems(expected, billed),
            "lines",
            requirements=priced,
            answers=Kind.AMOUNT,
        ),
        equal("billed energy", total_kwh, expected.total_kwh, req, "billed kWh", Kind.AMOUNT),
        equal(
            "billed amount",
            total_amount,
            expected.total_amount,
            req,
            f"billed {expected.currency}",
            Kind.AMOUNT,
        ),
    ]


def compare_netting(
    expected: ExpectedBill | None, host_account: str, lines: Sequence[BillLine]
) -> list[Measurement]:
    """SC-3: the host's netting credit, and no charge for the session on the host."""
    host = [line for line in lines if line.account_id == host_account]
    netting = [line for line in host if line.kind == "netting"]
    netted_kwh = sum((line.kwh for line in netting), Decimal(0))
    netted_amount = sum((line.amount for line in netting), Decimal(0))
    if expected is None:  # nothing due: this session does not exercise SC-3's netting
        return [equal("netting on host bill", netted_kwh, Decimal(0), (), "netted kWh", _NETTING)]
    charged = [line for line in host if line.kind in PAYER_KINDS]
    return [
        equal("netting energy", netted_kwh, -expected.total_kwh, ("SC-3",), "netted kWh", _NETTING),
        equal(
            "netting amount",
            netted_amount,
            -expected.total_amount,
            ("SC-3",),
            "netted amount",
            _NETTING,
        ),
        Measurement.none_of(
            "session charged to host",
            [
                f"line {_when(line.start)} charged {line.amount} to {host_account}"
                for line in charged
            ],
            "lines",
            requirements=("SC-3",),
            answers=_NETTING,
        ),
    ]
