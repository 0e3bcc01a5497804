"""How a failed plan reads in pytest: the failing step's YAML, and measured vs expected.

A plan is data, so a Python traceback through the runner would tell its author
nothing. Like Tavern, the plugin shows where *the plan* went wrong instead: the
plan item raises :class:`PlanFailed`, and :meth:`PlanItem.repr_failure
<rig.pytest_plugin.items.PlanItem.repr_failure>` prints :func:`describe` of it::

    plan sc1-home: fail at step 10 (charge), test_plans/sc1_home.yaml:19
        charge: {until: 60 kWh, within: 2 h}
    step 10 (charge) failed: the EUMD counted 10.953 kWh since plug-in, not 60 kWh, within 2 h
      expected: 60 kWh within 2 h
      measured: 10.953 kWh
    failing measurements:
      FAIL payer: account: billed to ACC-ALICE, expected ACC-HANK  [SC-1, BR-03]

A failing check (after the steps) is shown the same way, with the check's YAML.
Anything else that escapes the runner is a bug in the rig, and keeps its traceback.
"""

from __future__ import annotations

import textwrap

from rig.runner.api import Failure, PlanOutcome

INDENT = "    "


class PlanFailed(Exception):
    """A plan ran and did not pass; ``outcome`` says why."""

    def __init__(self, outcome: PlanOutcome) -> None:
        super().__init__(f"plan {outcome.plan_id}: {outcome.verdict}")
        self.outcome = outcome


def _where(failure: Failure) -> str:
    if failure.step_index is not None:
        what = f"step {failure.step_index + 1} ({failure.key})"  # counted from 1, as people do
    elif failure.key:
        what = f"check {failure.key}"
    else:
        return ""
    return f" at {what}" + (f", {failure.source}" if failure.source else "")


def describe(outcome: PlanOutcome) -> str:
    """The failure of ``outcome`` as a plan author reads it (see the module doc)."""
    failure = outcome.failure or Failure(message="no failure recorded")
    lines = [f"plan {outcome.plan_id}: {outcome.verdict}{_where(failure)}"]
    if failure.yaml:
        lines.append(textwrap.indent(failure.yaml.rstrip("\n"), INDENT))
    lines.append(failure.message)
    if failure.expected or failure.measured:
        lines += [f"  expected: {failure.expected}", f"  measured: {failure.measured}"]
    failing = [m for m in outcome.measurements if not m.passed]
    if failing:
        lines.append("failing measurements:")
        for measurement in failing:
            tags = f"  [{', '.join(measurement.requirements)}]" if measurement.requirements else ""
            lines.append(f"  {measurement.message}{tags}")
    return "\n".join(lines)
