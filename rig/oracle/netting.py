"""SC-3 premise netting: the host's bill must not carry the PEV's energy.

When someone other than the premise customer pays for a session and the premise has
its own revenue meter, that meter counted the PEV's energy too. The use case says
the host's premise is not charged for it: the EUMD's energy comes off the host's
bill. The utility does that with *netting* lines on the host's account — the
session's metered intervals priced at the host's default tariff, with negative
energy and amount.

That credit is only right if the host's meter really counted the PEV: so where the
record has both meters, the premise meter's delta must be at least the EUMD's, less
both meters' accuracy classes and register steps
(:func:`check_premise_meter`).

The oracle expects exactly that credit, computed with its own pricing
(:mod:`rig.oracle.tariff`) from the intervals the ESI reported: the host's netting
lines total ``−(EUMD interval energy)`` kWh and ``−(expected amount)``, and no charge
line for the session lands on the host's account. Where no netting is due (the host
pays, or there is no revenue meter) there must be no netting line either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from drivers.errors import InstrumentReplyError
from rig.domain.tariff import Tariff
from rig.measurements import Limits, Measurement
from rig.oracle.energy import metered_energy
from rig.oracle.payer import Treatment
from rig.oracle.tariff import ExpectedBill, expected_bill
from rig.record import MeteringInterval, MeterTimeline, SessionFacts


def expected_netting(
    treatment: Treatment,
    facts: SessionFacts,
    tariffs: Mapping[str, Tariff],
    intervals: Sequence[MeteringInterval],
) -> ExpectedBill | None:
    """The credit due on the host's account (as a positive bill), or ``None`` if none is due."""
    if not treatment.net_from_premise:
        return None
    return expected_bill(tariffs[facts.premise.default_tariff_id], intervals)


def check_premise_meter(premise: MeterTimeline, eumd: MeterTimeline) -> Measurement:
    """The host's meter saw at least the PEV's energy (what the netting credit takes off)."""
    name = "SC-3 premise meter counted the PEV"
    try:
        host, pev = metered_energy(premise), metered_energy(eumd)
    except (InstrumentReplyError, ValueError) as error:
        return Measurement.equals(name, str(error), "two meter deltas", requirements=("SC-3",))
    tolerance_wh = (
        premise.accuracy_pct / 100 * host.wh
        + eumd.accuracy_pct / 100 * pev.wh
        + host.register_wh
        + pev.register_wh
    )
    return Measurement.within(
        name,
        host.wh / 1000,
        "kWh",
        Limits(low=(pev.wh - tolerance_wh) / 1000),
        requirements=("SC-3",),
        detail=f"premise meter {host.wh / 1000:.4f} kWh, less than the EUMD's "
        f"{pev.wh / 1000:.4f} kWh by more than {tolerance_wh / 1000:.4f} kWh",
    )
