"""One call for the runner: every check the oracle can make on a finished session.

:func:`check_session` reads a :class:`~rig.record.SessionRecord` and the tariff
definitions, works out what should have happened — the treatment from the facts
(:mod:`~rig.oracle.payer`), the bill from the metered intervals
(:mod:`~rig.oracle.tariff`), netting and settlement where they apply — and returns
the measurements comparing that with what the bench measured and the services
recorded. Which checks apply follows from the record: no intervals, no bill to
check; no EUMD (BR-04), no J-04; no pilot timeline, no electrical checks; no DR or
ALM event, no grid-limit check. The plan's verdict is
:func:`rig.results.measurements.overall_verdict` of the result (and none at all fails).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from rig.domain.tariff import Tariff
from rig.oracle.compare import (
    PAYER_KINDS,
    compare_bill,
    compare_intervals,
    compare_netting,
    compare_treatment,
)
from rig.oracle.compare_roaming import compare_settlement
from rig.oracle.duty import check_commanded_duty
from rig.oracle.electrical import ElectricalLimits, check_electrical
from rig.oracle.energy import EnergyTolerances, check_contiguous, check_energy
from rig.oracle.grid import check_grid_limits
from rig.oracle.meter_class import check_meter_class
from rig.oracle.netting import check_premise_meter, expected_netting
from rig.oracle.payer import expected_treatment
from rig.oracle.settlement import expected_settlement
from rig.oracle.tariff import expected_bill
from rig.record import SessionRecord
from rig.results.measurements import Measurement


class UnknownTariff(KeyError):
    """The facts name a tariff the data set does not define."""


def check_session(
    record: SessionRecord,
    tariffs: Mapping[str, Tariff],
    *,
    electrical: ElectricalLimits | None = None,
    energy: EnergyTolerances | None = None,
) -> list[Measurement]:
    """All applicable oracle measurements for one session (see the module docstring)."""
    for tariff_id in _tariff_ids(record):
        if tariff_id not in tariffs:
            raise UnknownTariff(f"tariff {tariff_id!r} is not in the utility data set")
    treatment = expected_treatment(record.facts)
    services = record.services
    measurements = compare_treatment(
        treatment, services.session, record.binding, eumd_lost=not record.facts.eumd_available
    )
    step_extra = Decimal(0)
    if record.intervals:
        bill = expected_bill(tariffs[treatment.tariff_id], record.intervals)
        step_extra = bill.total_kwh - bill.metered_kwh
        netting = expected_netting(treatment, record.facts, tariffs, record.intervals)
        settlement = expected_settlement(treatment, tariffs, record.intervals)
        measurements += [
            *compare_intervals(record.intervals, services.session),
            *compare_bill(bill, record.intervals, services.bill_lines, treatment),
            *compare_netting(netting, record.facts.premise.account_id, services.bill_lines),
            *compare_settlement(settlement, services.posting, services.settlement),
        ]
    if treatment.net_from_premise and record.premise_meter and record.eumd:
        measurements.append(check_premise_meter(record.premise_meter, record.eumd))
    measurements += check_contiguous(record.intervals, record.load)
    if record.eumd is not None and record.facts.eumd_available:
        billed = [line.kwh for line in services.bill_lines if line.kind in PAYER_KINDS]
        measurements += check_energy(
            record.eumd,
            record.load,
            sum(billed, Decimal(0)) if billed else None,
            intervals=len(record.intervals),
            step_extra_kwh=step_extra,
            tolerances=energy or EnergyTolerances(load_accuracy_pct=record.load_accuracy_pct),
        )
        measurements += check_meter_class(
            record.eumd, record.reference, record.load, record.load_accuracy_pct
        )
    limits = electrical or ElectricalLimits()
    if record.pilot:
        measurements += check_electrical(record.pilot, record.contactor, record.load, limits)
        measurements += check_commanded_duty(record.pilot, record.ampacity)
    return measurements + check_grid_limits(record.grid_events, record.load, limits)


def _tariff_ids(record: SessionRecord) -> set[str]:
    premise, pev = record.facts.premise, record.facts.pev
    ids = {premise.default_tariff_id, premise.guest_tariff_id, premise.settlement_tariff_id}
    return ids | ({pev.program_tariff_id} if pev.program_tariff_id else set())
