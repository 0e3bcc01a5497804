"""Uncertainty budgets, and the decision rule that makes "cannot tell" a verdict.

A calibration lab does not say a meter is in class because its error was below
the limit: the error is itself measured, with an uncertainty. ILAC-G8:09/2019 and
ISO 14253-1:2017 give the rule this rig uses wherever a measurement carries an
:class:`Uncertainty` (J-04's EUMD accuracy, :mod:`rig.oracle.energy`):

=================================  ==============================================
PASS                               |error| + U ≤ limit (inside the limit even at
                                   the worst of the uncertainty: guard band U)
FAIL                               |error| − U > limit (outside even at its best)
INCONCLUSIVE                       anything between: the bench cannot tell
=================================  ==============================================

``U`` is the **expanded uncertainty**: the combined standard uncertainty
``u_c = √Σuᵢ²`` of the budget's terms (GUM, JCGM 100:2008), times a coverage factor
``k = 2`` (about 95 % coverage). Each :class:`Term` is a half-width ``a`` in the
measurement's unit and a divisor: √3 for a rectangular distribution (an accuracy
class, a register's quantisation, a bounded timing error), 2 for a normal one
given at k = 2 (a calibration certificate's). The **test uncertainty ratio**
(:meth:`Uncertainty.tur`) is the half-width of the tolerance over U: a ratio of 4:1
or more is the usual aim; below 1:1 no item can ever be passed.

This module is pure arithmetic on floats; the verdict it leads to is
:meth:`rig.results.measurements.Limits.judge_guarded`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

#: The decision rule's name, as results and the report carry it.
GUARD_BANDED: Final = "guard-banded, ILAC-G8:09/2019 / ISO 14253-1:2017 (k=2)"
RECTANGULAR: Final = math.sqrt(3.0)
NORMAL_K2: Final = 2.0


@dataclass(frozen=True)
class Term:
    """One line of a budget: ``half_width`` (the measurement's unit) over ``divisor``."""

    name: str
    half_width: float
    divisor: float = RECTANGULAR
    note: str = ""
    """Where the figure comes from (``class 0.05 × 6.0006 kWh``)."""

    @property
    def standard(self) -> float:
        """The standard uncertainty ``u = a / divisor``."""
        return abs(self.half_width) / self.divisor


@dataclass(frozen=True)
class Uncertainty:
    """An uncertainty budget: its terms, coverage factor and decision rule."""

    terms: tuple[Term, ...]
    coverage_k: float = 2.0
    rule: str = GUARD_BANDED

    @property
    def combined(self) -> float:
        """``u_c``: the root sum of squares of the terms' standard uncertainties."""
        return math.sqrt(sum(term.standard**2 for term in self.terms))

    @property
    def expanded(self) -> float:
        """``U = k × u_c``."""
        return self.coverage_k * self.combined

    def tur(self, low: float | None, high: float | None) -> float | None:
        """Test uncertainty ratio: half the tolerance span over ``U`` (``None``: no span or U)."""
        if low is None or high is None or self.expanded == 0.0:
            return None
        return (high - low) / 2 / self.expanded

    def describe(self, unit: str = "") -> str:
        """``U = 0.058 % (k=2): reference 0.0289 + EUMD register 0.0001``."""
        suffix = f" {unit}" if unit else ""
        terms = " + ".join(f"{t.name} {t.standard:.4f}" for t in self.terms)
        return (
            f"U = {self.expanded:.3f}{suffix} (k={self.coverage_k:g}; standard uncertainties "
            f"{terms})"
        )
