"""SC-4 roaming money: what the customer pays, what the utilities settle.

Outside its home territory a PEV's session is priced twice:

* for the **customer**, at the option the customer chose — the roaming utility's
  *guest* tariff, or the *home* utility's PEV programme tariff — and posted by the
  clearinghouse to the customer's home account;
* for the **utilities**, at the roaming utility's *settlement* price: what the home
  utility owes the roaming utility for the energy.

The difference, customer amount minus settlement amount, is what the home utility
keeps (negative: what it makes up). Both prices come from the oracle's own pricing
(:mod:`rig.oracle.tariff`) of the intervals the ESI reported, and the clearinghouse's
posting and settlement statement are held to them by :mod:`rig.oracle.compare`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from rig.domain.tariff import Tariff
from rig.oracle.payer import Treatment
from rig.oracle.tariff import ExpectedBill, expected_bill
from rig.record import MeteringInterval


@dataclass(frozen=True)
class ExpectedSettlement:
    option: str
    account_id: str
    home_utility_id: str
    roaming_utility_id: str
    customer: ExpectedBill
    settlement: ExpectedBill

    @property
    def customer_amount(self) -> Decimal:
        return self.customer.total_amount

    @property
    def roaming_utility_owed(self) -> Decimal:
        return self.settlement.total_amount

    @property
    def difference(self) -> Decimal:
        """What the home utility keeps: customer amount minus settlement amount."""
        return self.customer_amount - self.roaming_utility_owed


def expected_settlement(
    treatment: Treatment,
    tariffs: Mapping[str, Tariff],
    intervals: Sequence[MeteringInterval],
) -> ExpectedSettlement | None:
    """SC-4 money for a roaming treatment; ``None`` for a session inside its home territory."""
    roaming = treatment.roaming
    if roaming is None:
        return None
    return ExpectedSettlement(
        option=roaming.option,
        account_id=treatment.payer_account_id,
        home_utility_id=roaming.home_utility_id,
        roaming_utility_id=roaming.roaming_utility_id,
        customer=expected_bill(tariffs[treatment.tariff_id], intervals),
        settlement=expected_bill(tariffs[roaming.settlement_tariff_id], intervals),
    )
