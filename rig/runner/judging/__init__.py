"""From a finished session to measurements: the oracle's, and the plan's own pins.

Two sources, kept apart on purpose:

1. **The oracle** (:func:`rig.oracle.check_session`) works out on its own what the
   session should have produced — who pays at which tariff, the bill to the Wh and
   the cent, netting, settlement, J-04 energy, electrical conformance, grid limits —
   from the facts, the tariff data and what the bench measured. Each of its
   measurements says which plan check it answers (``Measurement.answers``, a
   :class:`~rig.domain.checks.CheckKind`), and is filed with the plan's check of
   that kind. A check type that *chooses* (``PlanCheck.chooses``) decides which of
   its kind are judged at all: ``electrical`` its rules (none without it, with its
   ``follow_within`` as J-03's limit), ``energy_agreement`` J-04 (its
   ``tolerance_pct`` standing in for the EUMD's accuracy class). What the services
   owe — payer, bill, netting, settlement, grid limits — is always judged.
2. **The plan's pins**: the values a plan writes down (``payer: ACC-ALICE``,
   ``tariff: {rates: …}``, ``binding: refused``, ``intervals: 15 min``, …), each
   compared with what was recorded, so a plan can hold the oracle itself to a
   hand-computed figure. Some checks answer questions only the runner can: what
   the PEV was told (BR-12, the end-of-session summary against the oracle's
   :mod:`rig.oracle.summary`), whether the utility's interval records carry the PEV
   and premise IDs at the utility's interval length (BR-09), whether the ESI's
   audit log holds every transaction the utility saw from it and the utility's every
   one it answered (BR-10).

The grid windows the oracle judges are those the plan's steps published
(:mod:`.published`), not those the utility announced.

Every pin carries the requirement IDs its check type declares (``evidences``),
limited to those the plan covers, so the traceability matrix reads straight off the
results. One module per concern:

:mod:`.judge`      :func:`judge`: the oracle's measurements filed, then the pins
:mod:`.pins`       what a pin sees, and how a pin's measurement is named and tagged
:mod:`.billing`    pins of ``payer``, ``tariff``, ``incentive``, ``amount``,
                   ``premise_netting``
:mod:`.binding`    pins of ``binding``, ``grant``, ``pev_notified``
:mod:`.records`    pins of ``clearinghouse``, ``settlement``, ``intervals``,
                   ``session_flagged``, ``audit_log``
:mod:`.energy`     pins of ``energy``
:mod:`.published`  the grid signals the plan published, as the oracle judges them
"""

from rig.runner.judging.judge import Judged, judge
from rig.runner.judging.pins import Evidence

__all__ = ["Evidence", "Judged", "judge"]
