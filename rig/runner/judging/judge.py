"""The plan's measurements: the oracle's, each filed with the check it answers, then the pins.

See :mod:`rig.runner.judging` for what each source judges.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from rig.domain.checks import CheckKind
from rig.domain.tariff import Tariff
from rig.oracle import check_session
from rig.oracle.electrical import ElectricalLimits
from rig.oracle.tariff import as_published
from rig.plans import Plan
from rig.plans import checks as c
from rig.plans.checks import PlanCheck
from rig.record import SessionRecord
from rig.results import SeriesKind
from rig.results.measurements import Measurement
from rig.runner.judging import billing, binding, energy, records
from rig.runner.judging.pins import Evidence, Seen
from rig.runner.judging.published import judged_events, published_prices

#: Every check type's pins, by check type.
PINS = billing.PINS | binding.PINS | records.PINS | energy.PINS

#: The time series that back a measurement, by the requirement it evidences.
SERIES: dict[str, tuple[SeriesKind, ...]] = {
    "J-01": (SeriesKind.PILOT_STATE, SeriesKind.LOAD_CURRENT),
    "J-02": (SeriesKind.LOAD_CURRENT, SeriesKind.ADVERTISED_AMPACITY),
    "J-03": (SeriesKind.LOAD_CURRENT, SeriesKind.ADVERTISED_AMPACITY),
    "J-04": (SeriesKind.EUMD_REGISTER, SeriesKind.LOAD_ENERGY, SeriesKind.BILLED_ENERGY),
    "J-05": (SeriesKind.PILOT_STATE, SeriesKind.PILOT_DUTY),
    "J-06": (SeriesKind.PILOT_DUTY,),
    "PG-DLC": (SeriesKind.LOAD_POWER, SeriesKind.ADVERTISED_AMPACITY),
    "PG-ALM": (SeriesKind.LOAD_POWER, SeriesKind.ADVERTISED_AMPACITY),
}

#: A measurement and the index of the plan check it answers (None: the oracle's own).
Judged = tuple[Measurement, int | None]


def _with_series(m: Measurement) -> Measurement:
    names = dict.fromkeys(n.value for r in m.requirements for n in SERIES.get(r, ()))
    return replace(m, series=tuple(names)) if names and not m.series else m


def judge(
    plan: Plan, record: SessionRecord, tariffs: Mapping[str, Tariff], evidence: Evidence
) -> list[Judged]:
    """Every measurement of the plan (see :mod:`rig.runner.judging`)."""
    checks = plan.checks
    where = {check.kind: index for index, check in reversed(list(enumerate(checks)))}
    electrical = next((x.electrical for x in checks if isinstance(x, c.Electrical)), None)
    agreement = next((x.energy_agreement for x in checks if isinstance(x, c.EnergyAgreement)), None)
    # the grid windows as the plan published them, not as the utility announced them
    judged = replace(record, grid_events=judged_events(evidence.published, record.grid_events))
    if agreement is not None and agreement.tolerance_pct is not None and record.eumd:
        judged = replace(judged, eumd=replace(record.eumd, accuracy_pct=agreement.tolerance_pct))
    limits = ElectricalLimits(follow_s=electrical.follow_within.seconds if electrical else 5.0)
    published = published_prices(evidence.published)
    priced = {
        tariff_id: as_published(tariff, published[tariff_id]) if tariff_id in published else tariff
        for tariff_id, tariff in tariffs.items()
    }
    found: list[Judged] = []
    for m in map(_with_series, check_session(judged, priced, electrical=limits)):
        kind = m.answers if isinstance(m.answers, CheckKind) else None
        index = where.get(kind) if kind is not None else None
        if kind is None or _chosen(kind, checks[index] if index is not None else None, m):
            found.append((m, index))
    seen = Seen(record, evidence, frozenset(plan.covers))
    for index, check in enumerate(checks):
        pins = PINS.get(type(check))
        found += [(m, index) for m in (pins(check, seen) if pins else [])]
    return found


def _chosen(kind: CheckKind, check: PlanCheck | None, m: Measurement) -> bool:
    """Whether an oracle measurement of ``kind`` is judged, the plan's check of it being ``check``.

    Always, unless the check type chooses: then only when the plan has it and it selects ``m``.
    """
    if not c.CHECK_TYPES[kind].chooses:
        return True
    return check is not None and check.selects(m.requirements)
