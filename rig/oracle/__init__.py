"""The independent oracle: what a session should have produced, and whether it did.

Design principle 4: expected energy, payer, rates and amounts are computed by the
rig from the plan's facts, the tariff definitions and the metered intervals — never
by asking the services' billing code — so a lab can point the rig at a real utility
head-end and the same checks hold it to account. One concept per module:

- :mod:`~rig.oracle.payer` — who pays at which tariff, incentive, flag (SC-1…SC-6, BR-*)
- :mod:`~rig.oracle.tariff` — the oracle's own pricing of metered intervals
- :mod:`~rig.oracle.netting` — SC-3: the EUMD energy off the host's bill
- :mod:`~rig.oracle.settlement` — SC-4: customer price, settlement price, difference
- :mod:`~rig.oracle.energy` — J-04: EUMD, load and bill agree within a worked tolerance
- :mod:`~rig.oracle.electrical` — J-01, J-02, J-03, J-05, J-06 from the timelines
- :mod:`~rig.oracle.duty` — J-02: the pilot's duty is the one the EVSE was commanded
- :mod:`~rig.oracle.grid` — PG-DLC, PG-ALM: the load within the grid's limits
- :mod:`~rig.oracle.compare` — expected against recorded, as named measurements
- :mod:`~rig.oracle.compare_roaming` — SC-4: the clearinghouse's records against the oracle's
- :mod:`~rig.oracle.session` — :func:`check_session`, all of the above for one session
"""

from rig.oracle.session import UnknownTariff, check_session

__all__ = ["UnknownTariff", "check_session"]
