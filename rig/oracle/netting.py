"""SC-3 premise netting: the host's bill must not carry the PEV's energy.

When someone other than the premise customer pays for a session and the premise has
its own revenue meter, that meter counted the PEV's energy too. The use case says
the host's premise is not charged for it: the EUMD's energy comes off the host's
bill. The utility does that with *netting* lines on the host's account — the
session's metered intervals priced at the host's default tariff, with negative
energy and amount.

The oracle expects exactly that credit, computed with its own pricing
(:mod:`rig.oracle.tariff`) from the intervals the ESI reported: the host's netting
lines total ``−(EUMD interval energy)`` kWh and ``−(expected amount)``, and no charge
line for the session lands on the host's account. Where no netting is due (the host
pays, or there is no revenue meter) there must be no netting line either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rig.oracle.payer import Treatment
from rig.oracle.tariff import ExpectedBill, expected_bill
from rig.record import MeteringInterval, SessionFacts
from rig.services.tariffs import Tariff


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
