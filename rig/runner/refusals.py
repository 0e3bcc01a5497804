"""Refusals are loud: a record the utility refused (4xx) fails the step and the plan.

The ESI's outbox sets a refused message aside (retrying a 4xx cannot help,
:mod:`rig.esi.outbox`), so its ``pending`` count drops to 0 as if the message had
been delivered. A refused interval or close is a record the utility will never
bill, and the plan's other checks would only see its consequences ("billed kWh
0.273, expected 0.382", "intervals held 3, expected 4") without the cause. So:

- :func:`fail_on_new_refusals` runs after every step (:mod:`rig.runner.plan_run`):
  a refusal that happened during the step fails *that* step, with the utility's
  own reason as the step's note and the plan's failure;
- :func:`refusals_measurement`, when there was any refusal, is the first
  measurement of the plan ("utility refusals of ESI records", 0 expected), so a
  refusal after the last step (the outbox's final drain) fails the plan with the
  reason too, and the report lists it with the rest.
"""

from __future__ import annotations

from rig.esi.session import Esi
from rig.results.measurements import Measurement
from rig.runner.acting import StepFailed


def fail_on_new_refusals(esi: Esi, known: int) -> None:
    """Raise :class:`StepFailed` if the utility refused records beyond the first ``known``."""
    refused = esi.refusals()
    fresh = refused[known:]
    if fresh:
        more = f" (and {len(fresh) - 1} more)" if len(fresh) > 1 else ""
        raise StepFailed(
            f"the utility refused {fresh[0]}{more}",
            expected="every record accepted",
            measured="; ".join(fresh),
        )


def refusals_measurement(esi: Esi) -> Measurement | None:
    """The records the utility refused over the whole session (``None``: there were none)."""
    refused = esi.refusals()
    if not refused:
        return None
    return Measurement.none_of(
        "utility refusals of ESI records", refused, "records", requirements=("BR-09", "BR-12")
    )
