"""BR-12 at the session's end: what the PEV should be told it got.

The ESI tells the vehicle a summary when the session ends — when it began and
ended, how long it took, how much energy (:meth:`rig.esi.session.Esi.close`). The
oracle works out the same figures on its own:

- **began** when the pilot first left A (the vehicle plugged in), and **ended** at
  the first reading back in A after the last reading out of it (unplugged), both
  from the recorded pilot timeline;
- **energy** is the sum of the metered interval records (BR-09), to the Wh: the
  energy the session is billed for (:mod:`rig.oracle.tariff` prices the same
  intervals).

The pilot is read at the bench's sampling rate, so a told time is compared within
:data:`TIME_TOLERANCE_S` of the reading that shows the change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from drivers.kinds import PilotState
from rig.record import MeteringInterval, PilotSample

#: How far a told start or end may sit from the pilot reading that shows it (s).
TIME_TOLERANCE_S = 2.0


@dataclass(frozen=True)
class ExpectedSummary:
    """The session's summary as the oracle works it out; times in bench seconds."""

    started_s: float | None
    ended_s: float | None
    energy_kwh: Decimal


def expected_summary(
    pilot: Sequence[PilotSample], intervals: Sequence[MeteringInterval]
) -> ExpectedSummary:
    """The figures of the module docstring (a time is None when the pilot never showed it)."""
    plugged = [i for i, s in enumerate(pilot) if s.state is not PilotState.A]
    started = pilot[plugged[0]].t if plugged else None
    back = pilot[plugged[-1] + 1 :] if plugged else []
    ended = back[0].t if back else None
    return ExpectedSummary(started, ended, sum((i.kwh for i in intervals), Decimal(0)))
