"""The uncertainty statement: one paragraph on how sure the energy verdicts are.

Design principle 10: a verdict states how sure it is. The J-04 measurements (energy
counted by the meter against the reference and the load) are the ones a calibration
lab reads for it, so the statement is made from them:

* with an uncertainty budget recorded on them, it states the decision rule, the
  range of the expanded uncertainty ``U`` and of the test uncertainty ratio, the
  budget's components, and how many ended in each verdict;
* without one (results written before budgets were recorded), it states the rule
  that was in use — simple acceptance against the recorded limits — and that no
  budget was recorded, so no guard band was applied.

A J-04 measurement carries its budget in its record's ``uncertainty``
(:class:`~rig.results.measurement_record.UncertaintyModel`: the decision rule, the
budget's terms, the expanded ``U`` and the test uncertainty ratio).
"""

from __future__ import annotations

from collections.abc import Iterable

from rig.report.text import value
from rig.results import MeasurementRecord
from rig.results.measurements import Verdict

REQUIREMENT = "J-04"

SIMPLE_ACCEPTANCE = (
    "simple acceptance: a value within its recorded limits passes (the limits include "
    "the meter's accuracy class, widened by the other instruments' accuracies and sampling)"
)


def _span(numbers: list[float], unit: str) -> str:
    low, high = min(numbers), max(numbers)
    text = value(low) if low == high else f"{value(low)} to {value(high)}"
    return f"{text} {unit}".rstrip()


def _budgeted(checks: list[MeasurementRecord]) -> str:
    budgets = [m.uncertainty for m in checks if m.uncertainty is not None]
    rules = sorted({u.rule for u in budgets})
    units = sorted({m.unit for m in checks})
    text = (
        f"{len(checks)} J-04 energy measurement(s) carry an uncertainty budget; decision "
        f"rule: {'; '.join(rules)}. Expanded uncertainty U "
        f"{_span([u.expanded for u in budgets], ', '.join(units))}"
    )
    tur = [u.tur for u in budgets if u.tur is not None]
    if tur:
        text += f", test uncertainty ratio {_span(tur, '')}"
    parts = sorted({t.name for u in budgets for t in u.terms})
    if parts:
        text += f"; budget components: {', '.join(parts)}"
    counts = [f"{sum(m.verdict is v for m in checks)} {v.value}" for v in Verdict]
    return f"{text}. Verdicts: {', '.join(c for c in counts if not c.startswith('0 '))}."


def statement(measurements: Iterable[MeasurementRecord]) -> str:
    """The paragraph for ``measurements`` (all of the report's; J-04's are picked)."""
    checks = [m for m in measurements if REQUIREMENT in m.requirements]
    if not checks:
        return "No J-04 energy measurement in these results: no uncertainty statement applies."
    budgeted = [m for m in checks if m.uncertainty is not None]
    plain = len(checks) - len(budgeted)
    parts = [_budgeted(budgeted)] if budgeted else []
    if plain:
        parts.append(
            f"{plain} J-04 energy measurement(s) were decided by {SIMPLE_ACCEPTANCE}. No "
            "uncertainty budget was recorded for them, so no guard band was applied: a "
            "pass close to a limit does not show that the meter is within its class."
        )
    return " ".join(parts)
